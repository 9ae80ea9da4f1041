"""``positions.csv``: the member's cleared sides as the ``member_positions`` view shows them when the report
is written (the standard position columns, then the lifecycle ones)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.clearing import MEMBER_POSITION_COLUMNS
from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = ("business_date", *MEMBER_POSITION_COLUMNS)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    v = t.member_positions.c
    q = (
        select(*(v[name] for name in MEMBER_POSITION_COLUMNS))
        .where(v.member == scope.member_id)
        .order_by(v.account, v.trade_id)
    )
    return [(scope.business_date, *r) for r in await conn.execute(q)]


KIND = ReportKind("positions", COLUMNS, rows)
