"""What the ``cashflows`` step of end of day keeps in the store (``UnitOfWork.cashflows``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from gateway.clearing.cash_flows import CashFlow, NetCashFlow
from gateway.domain.trade import Trade
from gateway.risk.market.fixings import FixingTable

PAYMENT_LAG = timedelta(days=31)  # a side that matured this long before a window may still pay in it


@dataclass(frozen=True, slots=True)
class ClearedSide:
    """A member side of a cleared trade, as cash flows read it."""

    ccp_trade_id: str
    member_id: str
    account_id: str
    party_id: str
    trade: Trade


class CashFlowRepository(Protocol):
    async def sides(self, start: date, end: date) -> list[ClearedSide]:
        """Member sides that may pay after ``start`` and up to ``end``: cleared on or before ``end``, still
        cleared or matured (a trade maturing in the window pays its last coupon), not terminated or
        de-cleared, effective by ``end`` and maturing no earlier than ``PAYMENT_LAG`` before ``start``;
        by CCP trade id."""
        ...

    async def fixings(self, spans: Mapping[str, tuple[date, date]]) -> FixingTable:
        """The stored fixings of each index between its two dates (inclusive)."""
        ...

    async def put(self, business_date: date, flows: Sequence[CashFlow]) -> None:
        """The flows end of day of ``business_date`` computed, replacing the ones it wrote before; the
        netted rows of every payment date concerned rebuilt."""
        ...

    async def flows(self, start: date, end: date, member_id: str | None = None) -> list[CashFlow]:
        """The flows paying after ``start`` and up to ``end`` (one member's when given)."""
        ...

    async def netted(self, payment_date: date, member_id: str | None = None) -> list[NetCashFlow]: ...
