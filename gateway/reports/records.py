"""What the reports keep in the database: the initial margin a day's reports took (``margin_history``),
the notifications owed to members (``report_notices``), and what the writer needs to know of members and
days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store import tables as t


@dataclass(frozen=True, slots=True)
class Notice:
    member_id: str
    business_date: date
    payload: bytes


async def take_margin(conn: AsyncConnection, business_date: date) -> int:
    """Every account's initial margin now (``account_risk``, in the account's base currency) as the day's,
    replacing what the day had; accounts never margined count with 0."""
    a, r, m = t.accounts.c, t.account_risk.c, t.margin_history.c
    await conn.execute(delete(t.margin_history).where(m.business_date == business_date))
    found = await conn.execute(
        select(a.member_id, a.account_id, a.base_currency, r.margin, r.trade_count).outerjoin(
            t.account_risk, (r.member_id == a.member_id) & (r.account_id == a.account_id)
        )
    )
    rows = [
        {
            "business_date": business_date,
            "member_id": x.member_id,
            "account_id": x.account_id,
            "currency": x.base_currency,
            "initial_margin": x.margin if x.margin is not None else Decimal(0),
            "trade_count": x.trade_count or 0,
        }
        for x in found
    ]
    if rows:
        await conn.execute(insert(t.margin_history), rows)
    return len(rows)


async def margin_taken(conn: AsyncConnection, business_date: date) -> bool:
    m = t.margin_history.c
    found = await conn.execute(select(m.member_id).where(m.business_date == business_date).limit(1))
    return found.first() is not None


async def margin_series(
    conn: AsyncConnection, member_id: str, since: date, until: date
) -> dict[str, list[tuple[date, Decimal]]]:
    """Each account's initial margin (label ``account currency``) on the dates its reports took it."""
    m = t.margin_history.c
    out: dict[str, list[tuple[date, Decimal]]] = {}
    for r in await conn.execute(
        select(m.account_id, m.currency, m.business_date, m.initial_margin)
        .where(m.member_id == member_id, m.business_date >= since, m.business_date <= until)
        .order_by(m.account_id, m.business_date)
    ):
        out.setdefault(f"{r.account_id} {r.currency}", []).append((r.business_date, r.initial_margin))
    return out


async def members(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(member id, name) of every member, in id order."""
    c = t.members.c
    return [
        (r.member_id, r.name) for r in await conn.execute(select(c.member_id, c.name).order_by(c.member_id))
    ]


async def day_known(conn: AsyncConnection, business_date: date) -> bool:
    """Whether an end of day of ``business_date`` was run (its steps are in ``eod_runs``)."""
    r = t.eod_runs.c
    found = await conn.execute(select(r.step).where(r.business_date == business_date).limit(1))
    return found.first() is not None


async def put_notice(conn: AsyncConnection, notice: Notice, at: datetime) -> bool:
    """The member's notification of the day; owed again only if its files changed (True when owed)."""
    n = t.report_notices.c
    key = (n.member_id == notice.member_id) & (n.business_date == notice.business_date)
    held = (await conn.execute(select(n.payload).where(key))).scalar_one_or_none()
    text = notice.payload.decode("utf-8")
    if held == text:
        return False
    if held is not None:
        await conn.execute(delete(t.report_notices).where(key))
    await conn.execute(
        insert(t.report_notices).values(
            member_id=notice.member_id,
            business_date=notice.business_date,
            payload=text,
            created_at=at,
            delivered_at=None,
        )
    )
    return True


async def pending_notices(conn: AsyncConnection, limit: int) -> list[Notice]:
    n = t.report_notices.c
    rows = await conn.execute(
        select(n.member_id, n.business_date, n.payload)
        .where(n.delivered_at.is_(None))
        .order_by(n.created_at, n.member_id)
        .limit(limit)
    )
    return [Notice(r.member_id, r.business_date, r.payload.encode("utf-8")) for r in rows]


async def mark_delivered(conn: AsyncConnection, notices: Sequence[Notice], at: datetime) -> None:
    n = t.report_notices.c
    for x in notices:
        await conn.execute(
            update(t.report_notices)
            .where(
                n.member_id == x.member_id,
                n.business_date == x.business_date,
                n.payload == x.payload.decode("utf-8"),
            )
            .values(delivered_at=at)
        )
