"""``cash_flows`` and ``net_cash_flows`` rows <-> values (``CashFlowRepository``). The netted rows are summed
here rather than by SQL: exact on SQLite too, whose decimal columns hold text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.clearing.cash_flow_ports import PAYMENT_LAG, ClearedSide
from gateway.clearing.cash_flows import CashFlow, FlowKind, NetCashFlow, net
from gateway.domain import codec
from gateway.domain.enums import PositionStatus
from gateway.risk.market.fixings import FixingTable
from gateway.store import fixings_repo
from gateway.store import tables as t

_CHUNK = 5_000


def _values(business_date: date, f: CashFlow) -> dict[str, Any]:
    return {
        "business_date": business_date,
        "payment_date": f.payment_date,
        "ccp_trade_id": f.ccp_trade_id,
        "member_id": f.member_id,
        "account_id": f.account_id,
        "currency": f.currency,
        "kind": f.kind.value,
        "stream": f.stream,
        "amount": f.amount,
        "notional": f.notional,
        "rate": f.rate,
        "accrual_start": f.accrual_start,
        "accrual_end": f.accrual_end,
        "floating_index": f.index,
        "fixing_date": f.fixing_date,
    }


def _flow(r: Any) -> CashFlow:
    return CashFlow(
        payment_date=r.payment_date,
        ccp_trade_id=r.ccp_trade_id,
        member_id=r.member_id,
        account_id=r.account_id,
        currency=r.currency,
        kind=FlowKind(r.kind),
        stream=r.stream,
        amount=r.amount,
        notional=r.notional,
        rate=r.rate,
        accrual_start=r.accrual_start,
        accrual_end=r.accrual_end,
        index=r.floating_index,
        fixing_date=r.fixing_date,
        business_date=r.business_date,
    )


class SqlCashFlows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def sides(self, start: date, end: date) -> list[ClearedSide]:
        c = t.cleared_trades.c
        q = (
            select(c.ccp_trade_id, c.member_id, c.account_id, c.party_id, c.trade_json)
            .where(
                c.status.in_((PositionStatus.CLEARED.value, PositionStatus.MATURED.value)),
                c.business_date <= end,
                c.effective_date <= end,
                c.maturity_date >= start - PAYMENT_LAG,
            )
            .order_by(c.ccp_trade_id)
        )
        return [
            ClearedSide(r.ccp_trade_id, r.member_id, r.account_id, r.party_id, codec.loads(r.trade_json))
            for r in await self._conn.execute(q)
        ]

    async def fixings(self, spans: Mapping[str, tuple[date, date]]) -> FixingTable:
        found = []
        for index, (lo, hi) in sorted(spans.items()):
            found += [s.fixing for s in await fixings_repo.between(self._conn, index, lo, hi)]
        return FixingTable.of(found)

    async def put(self, business_date: date, flows: Sequence[CashFlow]) -> None:
        f = t.cash_flows.c
        before = await self._conn.execute(
            select(f.payment_date).where(f.business_date == business_date).distinct()
        )
        touched = {r.payment_date for r in before} | {x.payment_date for x in flows}
        await self._conn.execute(delete(t.cash_flows).where(f.business_date == business_date))
        rows = [_values(business_date, x) for x in flows]
        for k in range(0, len(rows), _CHUNK):
            await self._conn.execute(t.cash_flows.insert(), rows[k : k + _CHUNK])
        n = t.net_cash_flows.c
        for day in sorted(touched):
            await self._conn.execute(delete(t.net_cash_flows).where(n.payment_date == day))
            paying = [
                _flow(r) for r in await self._conn.execute(select(t.cash_flows).where(f.payment_date == day))
            ]
            netted = net(paying)
            if netted:
                await self._conn.execute(
                    t.net_cash_flows.insert(),
                    [
                        {
                            "payment_date": x.payment_date,
                            "member_id": x.member_id,
                            "account_id": x.account_id,
                            "currency": x.currency,
                            "amount": x.amount,
                            "flows": x.flows,
                        }
                        for x in netted
                    ],
                )

    async def flows(self, start: date, end: date, member_id: str | None = None) -> list[CashFlow]:
        f = t.cash_flows.c
        q = select(t.cash_flows).where(f.payment_date > start, f.payment_date <= end)
        if member_id is not None:
            q = q.where(f.member_id == member_id)
        q = q.order_by(
            f.payment_date, f.member_id, f.account_id, f.currency, f.ccp_trade_id, f.stream, f.kind, f.id
        )
        return [_flow(r) for r in await self._conn.execute(q)]

    async def netted(self, payment_date: date, member_id: str | None = None) -> list[NetCashFlow]:
        n = t.net_cash_flows.c
        q = select(t.net_cash_flows).where(n.payment_date == payment_date)
        if member_id is not None:
            q = q.where(n.member_id == member_id)
        rows = await self._conn.execute(q.order_by(n.member_id, n.account_id, n.currency))
        return [
            NetCashFlow(r.payment_date, r.member_id, r.account_id, r.currency, Decimal(r.amount), r.flows)
            for r in rows
        ]
