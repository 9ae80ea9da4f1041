"""The memory store's cash flows (``CashFlowRepository`` of gateway/clearing/cash_flow_ports.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date

from gateway.clearing.cash_flow_ports import PAYMENT_LAG, ClearedSide
from gateway.clearing.cash_flows import CashFlow, NetCashFlow, flow_order, net
from gateway.domain.enums import PositionStatus
from gateway.risk.market.fixings import Fixing, FixingTable
from gateway.store.memory_books import State

_PAYING = (PositionStatus.CLEARED.value, PositionStatus.MATURED.value)


class MemoryCashFlows:
    def __init__(self, state: State) -> None:
        self.s = state

    async def sides(self, start: date, end: date) -> list[ClearedSide]:
        return [
            ClearedSide(ccp_trade_id, c.row.member_id, c.row.account_id, c.row.party_id, c.row.trade)
            for ccp_trade_id, c in sorted(self.s.cleared.items())
            if c.status in _PAYING
            and c.business_date <= end
            and c.row.effective_date <= end
            and c.row.maturity_date >= start - PAYMENT_LAG
        ]

    async def fixings(self, spans: Mapping[str, tuple[date, date]]) -> FixingTable:
        return FixingTable.of(
            Fixing(index, day, rate)
            for (index, day), rate in sorted(self.s.fixings.items())
            if index in spans and spans[index][0] <= day <= spans[index][1]
        )

    async def put(self, business_date: date, flows: Sequence[CashFlow]) -> None:
        self.s.cash_flows[business_date] = tuple(
            dataclasses.replace(f, business_date=business_date) for f in flows
        )

    async def flows(self, start: date, end: date, member_id: str | None = None) -> list[CashFlow]:
        found = [
            f
            for run in self.s.cash_flows.values()
            for f in run
            if start < f.payment_date <= end and member_id in (None, f.member_id)
        ]
        return sorted(found, key=flow_order)

    async def netted(self, payment_date: date, member_id: str | None = None) -> list[NetCashFlow]:
        day = payment_date.toordinal()
        return net(await self.flows(date.fromordinal(day - 1), payment_date, member_id))
