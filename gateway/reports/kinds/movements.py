"""``movements.csv``: the member's collateral lodged (+) and withdrawn (-) during the business day."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = (
    "business_date",
    "member",
    "account",
    "at",
    "asset_id",
    "kind",
    "currency",
    "quantity_delta",
    "price",
    "haircut",
)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    m = t.collateral_movements.c
    q = (
        select(m.account_id, m.at, m.asset_id, m.kind, m.currency, m.quantity_delta, m.price, m.haircut)
        .where(m.member_id == scope.member_id, m.at > scope.start, m.at <= scope.end)
        .order_by(m.at, m.id)
    )
    return [(scope.business_date, scope.member_id, *r) for r in await conn.execute(q)]


KIND = ReportKind("movements", COLUMNS, rows)
