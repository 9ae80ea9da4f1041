"""``collateral.csv``: the member's holdings per account as held when the report is written, valued at the
holding's price and after its haircut (``collateral_value``, what covers margin)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = (
    "business_date",
    "member",
    "account",
    "asset_id",
    "kind",
    "currency",
    "quantity",
    "price",
    "haircut",
    "market_value",
    "collateral_value",
)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    c = t.collateral.c
    q = (
        select(c.account_id, c.asset_id, c.kind, c.currency, c.quantity, c.price, c.haircut)
        .where(c.member_id == scope.member_id)
        .order_by(c.account_id, c.asset_id)
    )
    out: list[Row] = []
    for r in await conn.execute(q):
        value = r.quantity * r.price
        out.append(
            (
                scope.business_date,
                scope.member_id,
                r.account_id,
                r.asset_id,
                r.kind,
                r.currency,
                r.quantity,
                r.price,
                r.haircut,
                value,
                value * (Decimal(1) - r.haircut),
            )
        )
    return out


KIND = ReportKind("collateral", COLUMNS, rows)
