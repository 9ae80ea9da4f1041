"""What margin calls keep in the store (``ClearingService.calls``): the figures they are computed from and
the calls themselves. Its own transactions: a call is issued, marked overdue or read apart from the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from gateway.clearing.calls import CallState, MarginCall
from gateway.refdata.model import Holding


@dataclass(frozen=True, slots=True)
class AccountBook:
    """One account as stored: its margin (with add-ons), holdings and, at end of day, the day's VM and PAI
    by currency."""

    member_id: str
    account_id: str
    base_currency: str
    margin: Decimal
    holdings: tuple[Holding, ...]
    vm: Mapping[str, Decimal] = field(default_factory=dict)
    pai: Mapping[str, Decimal] = field(default_factory=dict)


class CallStore(Protocol):
    async def books(self, business_date: date | None) -> list[AccountBook]:
        """Every account with a margin, collateral, or (given a date) a VM or PAI of that date."""
        ...

    async def issue(self, calls: Sequence[MarginCall], at: datetime) -> int:
        """Store the calls not stored yet (by id); answers how many were new."""
        ...

    async def mark_overdue(self, now: datetime) -> list[MarginCall]:
        """Issued calls past their due time with something outstanding, now OVERDUE (each once)."""
        ...

    async def calls(
        self, member_id: str | None = None, business_date: date | None = None, state: CallState | None = None
    ) -> list[MarginCall]: ...
