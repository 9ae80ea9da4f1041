"""Margin calls in the database (``CallStore`` of gateway/clearing/call_ports.py) and the row <-> value
mapping the admin side settles them with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.clearing.call_ports import AccountBook
from gateway.clearing.calls import CallComponents, CallKind, CallState, MarginCall
from gateway.refdata.model import AssetKind, Holding
from gateway.store import tables as t
from gateway.store.engine import reading


def to_call(r: Any) -> MarginCall:
    return MarginCall(
        r.call_id,
        r.member_id,
        r.account_id,
        r.currency,
        r.business_date,
        CallKind(r.kind),
        Decimal(r.amount),
        CallComponents.from_json(r.components),
        r.due_at,
        CallState(r.state),
        Decimal(r.settled_amount),
        r.settled_at,
        r.settled_by,
    )


async def get(conn: AsyncConnection, call_id: str, *, lock: bool = False) -> MarginCall | None:
    query = select(t.margin_calls).where(t.margin_calls.c.call_id == call_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else to_call(row)


async def put_settlement(conn: AsyncConnection, call: MarginCall) -> None:
    c = t.margin_calls.c
    await conn.execute(
        update(t.margin_calls)
        .where(c.call_id == call.call_id)
        .values(
            state=call.state.value,
            settled_amount=call.settled_amount,
            settled_at=call.settled_at,
            settled_by=call.settled_by,
        )
    )


async def overdue_members(conn: AsyncConnection) -> dict[str, list[str]]:
    """The call ids each flagged member has overdue."""
    c = t.margin_calls.c
    rows = await conn.execute(
        select(c.member_id, c.call_id)
        .where(c.state == CallState.OVERDUE.value)
        .order_by(c.member_id, c.call_id)
    )
    out: dict[str, list[str]] = {}
    for member_id, call_id in rows:
        out.setdefault(member_id, []).append(call_id)
    return out


class SqlCalls:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def books(self, business_date: date | None) -> list[AccountBook]:
        r, h = t.account_risk.c, t.collateral.c
        async with reading(self.engine) as conn:
            bases = {
                (x.member_id, x.account_id): x.base_currency for x in await conn.execute(select(t.accounts))
            }
            margins = {
                (x.member_id, x.account_id): Decimal(x.margin)
                for x in await conn.execute(select(r.member_id, r.account_id, r.margin))
            }
            holdings: dict[tuple[str, str], list[Holding]] = {}
            for x in await conn.execute(select(t.collateral).order_by(h.member_id, h.account_id, h.asset_id)):
                holdings.setdefault((x.member_id, x.account_id), []).append(
                    Holding(x.asset_id, AssetKind(x.kind), x.currency, x.quantity, x.price, x.haircut)
                )
            vm: dict[tuple[str, str], dict[str, Decimal]] = {}
            pai: dict[tuple[str, str], dict[str, Decimal]] = {}
            if business_date is not None:
                v, p = t.variation_margin.c, t.price_alignment_interest.c
                for m, acct, ccy, total in await conn.execute(
                    select(v.member_id, v.account_id, v.currency, func.sum(v.vm))
                    .where(v.business_date == business_date)
                    .group_by(v.member_id, v.account_id, v.currency)
                ):
                    vm.setdefault((m, acct), {})[ccy] = Decimal(str(total))
                for m, acct, ccy, amount in await conn.execute(
                    select(p.member_id, p.account_id, p.currency, p.amount).where(
                        p.business_date == business_date
                    )
                ):
                    pai.setdefault((m, acct), {})[ccy] = Decimal(amount)
        keys = sorted(k for k in {*margins, *holdings, *vm, *pai} if k in bases)
        return [
            AccountBook(
                m,
                acct,
                bases[(m, acct)],
                margins.get((m, acct), Decimal(0)),
                tuple(holdings.get((m, acct), ())),
                vm.get((m, acct), {}),
                pai.get((m, acct), {}),
            )
            for m, acct in keys
        ]

    async def issue(self, calls: Sequence[MarginCall], at: datetime) -> int:
        if not calls:
            return 0
        c = t.margin_calls.c
        async with self.engine.begin() as conn:
            known = set(
                (
                    await conn.execute(select(c.call_id).where(c.call_id.in_([x.call_id for x in calls])))
                ).scalars()
            )
            new = [x for x in calls if x.call_id not in known]
            if new:
                # another process issuing the same call at the same moment: its row stands, not an error
                insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
                await conn.execute(
                    insert(t.margin_calls).on_conflict_do_nothing(index_elements=["call_id"]),
                    [
                        {
                            "call_id": x.call_id,
                            "member_id": x.member_id,
                            "account_id": x.account_id,
                            "currency": x.currency,
                            "business_date": x.business_date,
                            "kind": x.kind.value,
                            "amount": x.amount,
                            "components": x.components.to_json(),
                            "due_at": x.due_at,
                            "state": x.state.value,
                            "settled_amount": x.settled_amount,
                            "issued_at": at,
                            "settled_at": None,
                            "settled_by": None,
                        }
                        for x in new
                    ],
                )
        return len(new)

    async def mark_overdue(self, now: datetime) -> list[MarginCall]:
        c = t.margin_calls.c
        async with self.engine.begin() as conn:
            query = select(t.margin_calls).where(c.state == CallState.ISSUED.value, c.due_at <= now)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            due = [to_call(r) for r in await conn.execute(query)]
            late = [x for x in due if x.outstanding > 0]
            if late:
                await conn.execute(
                    update(t.margin_calls)
                    .where(c.call_id.in_([x.call_id for x in late]), c.state == CallState.ISSUED.value)
                    .values(state=CallState.OVERDUE.value)
                )
        return [
            MarginCall(
                x.call_id, x.member_id, x.account_id, x.currency, x.business_date, x.kind, x.amount,
                x.components, x.due_at, CallState.OVERDUE, x.settled_amount, x.settled_at, x.settled_by,
            )
            for x in late
        ]  # fmt: skip

    async def calls(
        self, member_id: str | None = None, business_date: date | None = None, state: CallState | None = None
    ) -> list[MarginCall]:
        c = t.margin_calls.c
        query = select(t.margin_calls).order_by(c.business_date, c.member_id, c.call_id)
        if member_id is not None:
            query = query.where(c.member_id == member_id)
        if business_date is not None:
            query = query.where(c.business_date == business_date)
        if state is not None:
            query = query.where(c.state == state.value)
        async with reading(self.engine) as conn:
            return [to_call(r) for r in await conn.execute(query)]
