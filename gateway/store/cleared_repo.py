"""Cleared trades (one row per member side of a novated trade) and the positions they make: rows <-> values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    Date,
    String,
    and_,
    bindparam,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.clearing.ports import LiveSide
from gateway.domain import codec
from gateway.domain.clearing import MEMBER_POSITION_COLUMNS, Position
from gateway.domain.enums import PositionStatus
from gateway.domain.events import SideState
from gateway.domain.positions_asof import positions_as_of_sql
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    ClearedRow,
)
from gateway.store import tables as t


async def insert_cleared_many(
    conn: AsyncConnection,
    rows: Sequence[tuple[int, ClearedRow]],
    business_date_of: dict[int, date],
    at: datetime,
) -> None:
    """The cleared trades of a batch of novations, ``(submission id, row)``, in one statement."""
    if not rows:
        return
    await conn.execute(
        t.cleared_trades.insert(),
        [_cleared_values(submission_id, c, business_date_of[submission_id], at) for submission_id, c in rows],
    )


def _cleared_values(submission_id: int, c: ClearedRow, business_date: date, at: datetime) -> dict[str, Any]:
    return {
        "ccp_trade_id": c.ccp_trade_id,
        "submission_id": submission_id,
        "member_id": c.member_id,
        "account_id": c.account_id,
        "party_id": c.party_id,
        "uti": c.uti,
        "product": c.product,
        "currency": c.currency,
        "notional": c.notional,
        "original_notional": c.notional,
        "direction": c.direction,
        "fixed_rate": c.fixed_rate,
        "floating_index": c.floating_index,
        "index_tenor": c.index_tenor,
        "spread": c.spread,
        "effective_date": c.effective_date,
        "maturity_date": c.maturity_date,
        "status": PositionStatus.CLEARED.value,
        "npv": None,
        "business_date": business_date,
        "novated_at": at,
        "trade_json": codec.dumps(c.trade),
    }


async def mark_event(
    conn: AsyncConnection, ccp_trade_ids: Sequence[str], kind: str, business_date: date
) -> None:
    """The sides an event confirmed on ``business_date`` changed (or created) carry it as their last one,
    and their state after it (notional, status) joins their history in ``side_events``."""
    c = t.cleared_trades.c
    ids = list(ccp_trade_ids)
    await conn.execute(
        update(t.cleared_trades)
        .where(c.ccp_trade_id.in_(ids))
        .values(last_event=kind, last_event_date=business_date)
    )
    await conn.execute(
        t.side_events.insert().from_select(
            ["ccp_trade_id", "kind", "business_date", "notional", "status"],
            select(
                c.ccp_trade_id,
                literal(kind, String(24)),
                literal(business_date, Date),
                c.notional,
                c.status,
            )
            .where(c.ccp_trade_id.in_(ids))
            .order_by(c.ccp_trade_id),
        )
    )


async def positions_as_of(
    conn: AsyncConnection, member_id: str | None, account_id: str | None, business_date: date
) -> list[Position]:
    """The open positions as they stood at ``business_date``'s end of day (``gateway.domain.positions_asof``:
    the query clearing-recon --db --date reads, without the sides ended that day), a member's or one
    account's if given."""
    params: dict[str, Any] = {"as_of": business_date}
    binds: list[BindParameter[Any]] = [bindparam("as_of", type_=Date)]
    if member_id is not None:
        params["member"] = member_id
        binds.append(bindparam("member", type_=String))
    if account_id is not None:
        params["account"] = account_id
        binds.append(bindparam("account", type_=String))
    sql = positions_as_of_sql(member=member_id is not None, account=account_id is not None, ended=False)
    typed = text(sql).bindparams(*binds).columns(*(t.member_positions.c[c] for c in MEMBER_POSITION_COLUMNS))
    rows = await conn.execute(typed, params)
    return [Position.from_row(dict(r._mapping)) for r in rows]


async def positions(
    conn: AsyncConnection, member_id: str | None, account_id: str | None, business_date: date
) -> list[Position]:
    """The positions live on ``business_date`` (cleared by then, not matured before it), read from the view
    ``member_positions``; a member's or one account's if given. Ordered by member, account, trade id."""
    v = t.member_positions.c
    c = t.cleared_trades.c
    q = (
        select(t.member_positions)
        .join(t.cleared_trades, c.ccp_trade_id == v.trade_id)  # the view has no business date
        .where(
            c.business_date <= business_date,
            v.maturity_date >= business_date,
            v.status.in_([PositionStatus.CLEARED.value, PositionStatus.MATURED.value]),
        )
    )
    if member_id is not None:
        q = q.where(v.member == member_id)
    if account_id is not None:
        q = q.where(v.account == account_id)
    rows = await conn.execute(q.order_by(v.member, v.account, v.trade_id))
    return [Position.from_row(r._asdict()) for r in rows]


async def cleared_accounts(conn: AsyncConnection, business_date: date) -> list[tuple[str, str]]:
    """(member, account) of every account with cleared trades live on ``business_date``."""
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.member_id, c.account_id)
        .where(
            c.business_date <= business_date,
            c.maturity_date >= business_date,
            c.status == PositionStatus.CLEARED.value,
        )
        .distinct()
        .order_by(c.member_id, c.account_id)
    )
    return [(r.member_id, r.account_id) for r in rows]


async def cleared_in_account(
    conn: AsyncConnection, member_id: str, account_id: str, business_date: date
) -> list[tuple[str, str, Trade]]:
    """(CCP trade id, the member's party id, cleared trade) of an account's live cleared trades."""
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.ccp_trade_id, c.party_id, c.trade_json)
        .where(
            c.member_id == member_id,
            c.account_id == account_id,
            c.business_date <= business_date,
            c.maturity_date >= business_date,
            c.status == PositionStatus.CLEARED.value,
        )
        .order_by(c.ccp_trade_id)
    )
    return [(r.ccp_trade_id, r.party_id, codec.loads(r.trade_json)) for r in rows]


async def live_sides(
    conn: AsyncConnection, business_date: date, after: tuple[int, str] | None, limit: int
) -> list[LiveSide]:
    """A page of the sides live on ``business_date``, in (submission id, CCP trade id) order after ``after``."""
    c = t.cleared_trades.c
    q = select(
        c.submission_id, c.ccp_trade_id, c.member_id, c.account_id, c.party_id, c.currency, c.trade_json
    ).where(
        c.business_date <= business_date,
        c.maturity_date >= business_date,
        c.status == PositionStatus.CLEARED.value,
    )
    if after is not None:
        q = q.where(
            or_(
                c.submission_id > after[0],
                and_(c.submission_id == after[0], c.ccp_trade_id > after[1]),
            )
        )
    rows = await conn.execute(q.order_by(c.submission_id, c.ccp_trade_id).limit(limit))
    return [
        LiveSide(
            int(r.submission_id),
            r.ccp_trade_id,
            r.member_id,
            r.account_id,
            r.party_id,
            r.currency,
            json.loads(r.trade_json),
        )
        for r in rows
    ]


async def set_npvs(conn: AsyncConnection, npvs: Sequence[tuple[str, Decimal | None]]) -> None:
    """Each trade's latest NPV: one statement executed for many rows."""
    if not npvs:
        return
    c = t.cleared_trades.c
    stmt = update(t.cleared_trades).where(c.ccp_trade_id == bindparam("k")).values(npv=bindparam("v"))
    await conn.execute(stmt, [{"k": ccp_trade_id, "v": npv} for ccp_trade_id, npv in npvs])


async def mature(conn: AsyncConnection, business_date: date) -> int:
    """Mark cleared trades whose maturity date is ``business_date`` or earlier as MATURED."""
    c = t.cleared_trades.c
    result = await conn.execute(
        update(t.cleared_trades)
        .where(c.status == PositionStatus.CLEARED.value, c.maturity_date <= business_date)
        .values(status=PositionStatus.MATURED.value)
    )
    return int(result.rowcount or 0)


async def ccp_trade_ids_of(conn: AsyncConnection, row_id: int) -> list[str]:
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.ccp_trade_id).where(c.submission_id == row_id).order_by(c.ccp_trade_id)
    )
    return [str(r) for r in rows.scalars()]


async def pairs_of(conn: AsyncConnection, submission_ids: Iterable[int]) -> dict[int, tuple[Trade, Trade]]:
    """The two cleared trades (A-CCP, CCP-B) each novated submission among these was registered as (an
    amended trade's later pairs, whose ids sort after the registration's, are its events')."""
    ids = list(set(submission_ids))
    if not ids:
        return {}
    rows = await conn.execute(
        select(t.cleared_trades.c.submission_id, t.cleared_trades.c.trade_json)
        .where(t.cleared_trades.c.submission_id.in_(ids))
        .order_by(t.cleared_trades.c.submission_id, t.cleared_trades.c.ccp_trade_id)
    )
    grouped: dict[int, list[Trade]] = {}
    for r in rows:
        grouped.setdefault(int(r.submission_id), []).append(codec.loads(r.trade_json))
    return {k: (v[0], v[1]) for k, v in grouped.items() if len(v) >= 2}


# ---------------------------------------------------------------- the sides a lifecycle event reads and changes


async def submission_of(conn: AsyncConnection, ccp_trade_id: str) -> int | None:
    """The submission a cleared trade (either side) was novated from."""
    c = t.cleared_trades.c
    found = (await conn.execute(select(c.submission_id).where(c.ccp_trade_id == ccp_trade_id))).first()
    return None if found is None else int(found.submission_id)


_SIDE_COLUMNS = (
    t.cleared_trades.c.ccp_trade_id,
    t.cleared_trades.c.submission_id,
    t.cleared_trades.c.member_id,
    t.cleared_trades.c.account_id,
    t.cleared_trades.c.party_id,
    t.cleared_trades.c.notional,
    t.cleared_trades.c.status,
    t.cleared_trades.c.trade_json,
)
_CHUNK = 1000  # ids bound in one statement


def _side(r: Any) -> SideState:
    return SideState(
        ccp_trade_id=r.ccp_trade_id,
        submission_id=int(r.submission_id),
        member_id=r.member_id,
        account_id=r.account_id,
        party_id=r.party_id,
        notional=r.notional,
        status=PositionStatus(r.status),
        trade=codec.loads(r.trade_json),
    )


async def sides_of(conn: AsyncConnection, row_id: int, *, lock: bool = False) -> list[SideState]:
    """The member sides of a novated submission, in CCP trade id order (A-CCP, CCP-B); ``lock``: held
    until the transaction ends (FOR UPDATE where the database has it)."""
    c = t.cleared_trades.c
    q = select(*_SIDE_COLUMNS).where(c.submission_id == row_id).order_by(c.ccp_trade_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return [_side(r) for r in await conn.execute(q)]


async def sides_named(
    conn: AsyncConnection, ccp_trade_ids: Sequence[str], *, lock: bool = False
) -> list[SideState]:
    """Every side of each trade one of ``ccp_trade_ids`` names, by submission then CCP trade id: one
    statement per thousand ids; ``lock`` as ``sides_of``."""
    c = t.cleared_trades.c
    ids = list(dict.fromkeys(ccp_trade_ids))
    found: dict[str, SideState] = {}
    for start in range(0, len(ids), _CHUNK):
        named = select(c.submission_id).where(c.ccp_trade_id.in_(ids[start : start + _CHUNK]))
        q = (
            select(*_SIDE_COLUMNS)
            .where(c.submission_id.in_(named.scalar_subquery()))
            .order_by(c.submission_id, c.ccp_trade_id)
        )
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        for r in await conn.execute(q):
            found[r.ccp_trade_id] = _side(r)
    return sorted(found.values(), key=lambda s: (s.submission_id, s.ccp_trade_id))


_UPDATE_SIDE = (
    update(t.cleared_trades)
    .where(t.cleared_trades.c.ccp_trade_id == bindparam("b_ccp_trade_id"))
    .values(notional=bindparam("b_notional"), status=bindparam("b_status"), trade_json=bindparam("b_trade"))
)


async def update_sides(conn: AsyncConnection, sides: Sequence[SideState]) -> None:
    """Each side's notional, status and live terms as an event left them: one executemany."""
    if not sides:
        return
    await conn.execute(
        _UPDATE_SIDE,
        [
            {
                "b_ccp_trade_id": side.ccp_trade_id,
                "b_notional": side.notional,
                "b_status": side.status.value,
                "b_trade": codec.dumps(side.trade),
            }
            for side in sides
        ],
    )
