"""End-of-day revaluation: what a margin model must offer to value the whole book at once (NPV per cleared
trade, each account's P&L vector and margin rebuilt from its live trades on the day's market), and what the
run reports."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from gateway.domain.enums import AccountType
from gateway.domain.errors import Issue
from gateway.domain.trade import Trade

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class TradeValues:
    """A batch of trades valued each from one party's side."""

    npvs: tuple[
        Decimal | None, ...
    ]  # per trade, in its currency, to the cent; None when it could not be valued
    pnl: Mapping[AccountType, FloatArray]  # (trades x scenarios) per scenario set asked; zero rows elsewhere
    failures: tuple[tuple[int, Issue], ...] = ()  # (trade index, why)


@runtime_checkable
class PortfolioValuer(Protocol):
    """A margin model that can also value the whole book at end of day."""

    def value_trades(
        self,
        trades: Sequence[tuple[Trade, str]],  # each trade with the party whose side is valued
        account_types: Sequence[
            Collection[AccountType]
        ],  # per trade, the scenario sets its rows are wanted in
        as_of: date,
    ) -> TradeValues: ...

    def scenario_count(self, account_type: AccountType) -> int: ...

    def fx_rate(self, currency: str, base_currency: str) -> float:
        """Units of ``base_currency`` per unit of ``currency`` (P&L in a trade's currency into the account's)."""
        ...

    def account_margin(self, pnl: FloatArray, account_type: AccountType) -> Decimal:
        """Initial margin of an account's scenario P&L vector."""
        ...


@dataclass(frozen=True, slots=True)
class RevaluationReport:
    accounts: int
    trades_valued: int
    failures: tuple[tuple[str, str], ...]  # (CCP trade id or account, error)
