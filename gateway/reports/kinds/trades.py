"""``trades.csv``: the member's cleared trade sides registered on the business date."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = (
    "business_date",
    "member",
    "account",
    "ccp_trade_id",
    "uti",
    "product",
    "currency",
    "notional",
    "direction",
    "fixed_rate",
    "floating_index",
    "index_tenor",
    "spread",
    "effective_date",
    "maturity_date",
    "status",
    "novated_at",
)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    c = t.cleared_trades.c
    q = (
        select(
            c.account_id,
            c.ccp_trade_id,
            c.uti,
            c.product,
            c.currency,
            c.original_notional,
            c.notional,
            c.direction,
            c.fixed_rate,
            c.floating_index,
            c.index_tenor,
            c.spread,
            c.effective_date,
            c.maturity_date,
            c.status,
            c.novated_at,
        )
        .where(c.member_id == scope.member_id, c.business_date == scope.business_date)
        .order_by(c.account_id, c.ccp_trade_id)
    )
    out: list[Row] = []
    for r in await conn.execute(q):
        notional = r.original_notional if r.original_notional is not None else r.notional
        out.append(
            (
                scope.business_date,
                scope.member_id,
                r.account_id,
                r.ccp_trade_id,
                r.uti,
                r.product,
                r.currency,
                notional,
                r.direction,
                r.fixed_rate,
                r.floating_index,
                r.index_tenor,
                r.spread,
                r.effective_date,
                r.maturity_date,
                r.status,
                r.novated_at,
            )
        )
    return out


KIND = ReportKind("trades", COLUMNS, rows)
