"""The risk engine's end-of-day valuation of the book (``BookValuation`` of ``RiskCreditChecker``).

Each batch of trades is compiled once: its NPVs come from those terms, and the terms are copied into the
books of the accounts holding the trade (scaled by the side's sign and the FX rate into the account's
base currency) and merged there, form by form. ``finish`` revalues each distinct form once per scenario
for all accounts of a scenario set (``SharedKernel``: the risk engine's end-of-day form) and takes each
account's margin of its vector. Memory follows the distinct forms per account, not the book's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from gateway.clearing.revaluation import FloatArray, TradeValues
from gateway.domain.enums import AccountType
from gateway.domain.trade import Trade
from gateway.risk.engine import RiskEngine
from gateway.risk.terms import TermSet, concat, merge

_CENT = Decimal("0.01")


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(_CENT)


class RiskBook:
    """Accounts' books of terms, filled a batch at a time, revalued at the end."""

    def __init__(self, engine: RiskEngine, account_types: Sequence[AccountType]) -> None:
        self.engine = engine
        self.types = list(account_types)
        self._held: dict[AccountType, TermSet] = {}
        self._valued = np.zeros(len(self.types), dtype=bool)  # accounts holding a valued trade

    def add(
        self, trades: Sequence[tuple[Trade, str]], holdings: Sequence[tuple[int, int, float]]
    ) -> TradeValues:
        terms, ok, failed = self.engine.eod_terms([t for t, _ in trades], [p for _, p in trades])
        npvs: list[Decimal | None] = [None] * len(trades)
        failures = tuple((i, exc.issues[0]) for i, exc in failed)
        if terms is None:
            return TradeValues(tuple(npvs), failures)
        for i, v in zip(ok, terms.npv().tolist(), strict=True):
            npvs[i] = _money(v)
        place = np.full(len(trades), -1, dtype=np.int64)
        place[ok] = np.arange(len(ok))
        held = [(int(place[u]), a, w) for u, a, w in holdings if place[u] >= 0]
        owners = len(self.types)
        merged: dict[AccountType, TermSet] = {}
        for at in sorted(set(self.types)):
            mine = [h for h in held if self.types[h[1]] is at]
            if not mine:
                continue
            part = self.engine.held(
                terms,
                np.array([h[0] for h in mine], dtype=np.int64),
                np.array([h[1] for h in mine], dtype=np.int64),
                np.array([h[2] for h in mine], dtype=np.float64),
                owners,
            )
            before = self._held.get(at)
            merged[at] = (
                part if before is None else merge(concat([before, part], owners), np.arange(owners), owners)
            )
        self._held.update(merged)  # only once the whole batch went through
        for _, a, _ in held:
            self._valued[a] = True
        return TradeValues(tuple(npvs), failures)

    def finish(self) -> list[tuple[FloatArray, Decimal]]:
        owners = len(self.types)
        out: list[tuple[FloatArray, Decimal]] = [
            (np.zeros(len(self.engine.scenarios(at).dates)), Decimal(0)) for at in self.types
        ]
        for at, held in self._held.items():
            pnl = self.engine.books_pnl(held, at)
            for a in range(owners):
                if self.types[a] is at and self._valued[a]:
                    out[a] = (pnl[a], _money(self.engine.margin(pnl[a], at).im))
        return out
