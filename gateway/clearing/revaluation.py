"""End-of-day revaluation: what a margin model must offer to value the whole book at once (NPV per cleared
trade, each account's P&L vector and margin rebuilt from its live trades on the day's market), and what the
run reports."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class TradeValues:
    """A batch of trades valued each from one party's side."""

    npvs: tuple[
        Decimal | None, ...
    ]  # per trade, in its currency, to the cent; None when it could not be valued
    failures: tuple[tuple[int, Issue], ...] = ()  # (trade index, why)


class BookValuation(Protocol):
    """One end of day's valuation of the book: trades added a batch at a time, each held by accounts."""

    def add(
        self, trades: Sequence[tuple[Trade, str]], holdings: Sequence[tuple[int, int, float]]
    ) -> TradeValues:
        """Value ``trades`` (each from its party's side) and add them to the accounts' scenario P&L:
        ``holdings`` are (trade index, account index, weight), the weight a side's sign (+1 the trade's
        party, -1 the opposite side) times the FX rate into the account's base currency."""
        ...

    def finish(self) -> list[tuple[FloatArray, Decimal]]:
        """Each account's scenario P&L vector (base currency) and its initial margin, in account order."""
        ...


@runtime_checkable
class PortfolioValuer(Protocol):
    """A margin model that can also value the whole book at end of day."""

    def book(self, account_types: Sequence[AccountType], as_of: date) -> BookValuation:
        """A valuation of the book for these accounts (index: position here), on the market of ``as_of``."""
        ...

    def fx_rate(self, currency: str, base_currency: str, as_of: date) -> float:
        """Units of ``base_currency`` per unit of ``currency`` on the market of ``as_of`` (P&L in a trade's
        currency into the account's)."""
        ...


@dataclass(frozen=True, slots=True)
class RevaluationReport:
    accounts: int
    trades_valued: int
    failures: tuple[tuple[str, str], ...]  # (CCP trade id or account, error)
