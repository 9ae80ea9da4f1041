"""End-of-day revaluation of each account: NPV per cleared trade, and the account's P&L vector and margin
rebuilt from its live cleared trades on the day's market (so they follow the new scenario set)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from gateway.domain.enums import AccountType
from gateway.domain.errors import Issue
from gateway.domain.trade import Trade


@dataclass(frozen=True, slots=True)
class AccountValuation:
    pnl_vector: bytes  # the account's scenario P&L, base currency (the CreditChecker's encoding)
    margin: Decimal  # initial margin of that vector
    npvs: tuple[Decimal | None, ...]  # per trade, in the trade's currency; None when it could not be valued
    failures: tuple[tuple[int, Issue], ...] = ()  # (trade index, why)


@runtime_checkable
class PortfolioValuer(Protocol):
    """A margin model that can also value a whole account at end of day."""

    def revalue_account(
        self,
        trades: Sequence[tuple[Trade, str]],  # each cleared trade with the member's party id
        base_currency: str,
        account_type: AccountType,
        as_of: date,
    ) -> AccountValuation: ...


@dataclass(frozen=True, slots=True)
class RevaluationReport:
    accounts: int
    trades_valued: int
    failures: tuple[tuple[str, str], ...]  # (CCP trade id or account, error)
