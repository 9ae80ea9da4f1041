"""A stand-in margin model for the credit check.

The production ``CreditChecker`` is backed by ``gateway.risk``, which another engineer is building at the
same time; these pipeline tests use this small, deterministic linear model instead so that their margin
figures are known in advance: a trade's scenario P&L is its fixed-leg PV01 (notional x whole years x 1bp) times
a fixed set of parallel rate shocks, and initial margin is the worst scenario loss of the portfolio.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np

from gateway.clearing.credit import MarginImpact
from gateway.clearing.revaluation import TradeValues
from gateway.domain.enums import AccountType
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade

SHOCKS_BP = (-50.0, -25.0, -10.0, 0.0, 10.0, 25.0, 50.0)


def _decode(blob: bytes | None) -> list[float]:
    if blob is None:
        return [0.0] * len(SHOCKS_BP)
    return list(struct.unpack(f"<{len(SHOCKS_BP)}d", blob))


def _encode(v: list[float]) -> bytes:
    return struct.pack(f"<{len(SHOCKS_BP)}d", *v)


def worst_loss(v: list[float]) -> Decimal:
    return Decimal(str(round(max(0.0, -min(v)), 2)))


class LinearMargin:
    """Receiving fixed gains when rates fall: P&L = -sign x PV01 x shock."""

    def __init__(self, unpriceable_currency: str | None = None) -> None:
        self.unpriceable_currency = unpriceable_currency
        self.calls = 0

    def trade_pnl(self, trade: Trade, party_id: str) -> list[float]:
        fixed = (
            next(s for s in trade.streams if s.fixed_rate is not None)
            if any(s.fixed_rate is not None for s in trade.streams)
            else trade.streams[0]
        )
        years = round((fixed.termination_date - fixed.effective_date).days / 365.25)  # whole years
        pv01 = float(fixed.notional) * years * 1e-4
        sign = 1.0 if fixed.receiver == party_id else -1.0
        return [-sign * pv01 * shock for shock in SHOCKS_BP]

    def margin_impact(
        self,
        trade: Trade,
        party_id: str,
        base_currency: str,
        pnl_before: bytes | None,
        as_of: date,
        account_type: AccountType = AccountType.HOUSE,
    ) -> MarginImpact:
        self.calls += 1
        if trade.currency == self.unpriceable_currency:
            raise GatewayError.of(
                ReasonCode.RISK_UNPRICEABLE, "streams.currency", f"no curve for {trade.currency}"
            )
        before = _decode(pnl_before)
        after = [a + b for a, b in zip(before, self.trade_pnl(trade, party_id), strict=True)]
        return MarginImpact(worst_loss(after) - worst_loss(before), worst_loss(after), _encode(after))


class SeriesMargin(LinearMargin):
    """``LinearMargin`` that also values accounts at end of day (a ``PortfolioValuer``) from a hand-built
    NPV series: on each date, a trade's NPV is ``per_million[date]`` per million of notional for the fixed
    receiver, its opposite for the fixed payer. A date without a figure leaves the trade unvalued."""

    def __init__(self, per_million: dict[date, Decimal]) -> None:
        super().__init__()
        self.per_million = per_million
        self.valued: list[date] = []

    def npv(self, trade: Trade, party_id: str, as_of: date) -> Decimal | None:
        unit = self.per_million.get(as_of)
        if unit is None:
            return None
        fixed = next(s for s in trade.streams if s.fixed_rate is not None)
        sign = Decimal(1) if fixed.receiver == party_id else Decimal(-1)
        return sign * unit * fixed.notional / Decimal(1_000_000)

    def book(self, account_types: Sequence[AccountType], as_of: date) -> SeriesBook:
        self.valued.append(as_of)
        return SeriesBook(self, len(account_types), as_of)

    def fx_rate(self, currency: str, base_currency: str, as_of: date) -> float:
        return 1.0


class SeriesBook:
    """``SeriesMargin``'s end-of-day book: each account's P&L the sum of its sides' linear P&L."""

    def __init__(self, model: SeriesMargin, accounts: int, as_of: date) -> None:
        self.model = model
        self.as_of = as_of
        self.totals = [[0.0] * len(SHOCKS_BP) for _ in range(accounts)]

    def add(
        self, trades: Sequence[tuple[Trade, str]], holdings: Sequence[tuple[int, int, float]]
    ) -> TradeValues:
        npvs: list[Decimal | None] = []
        failures: list[tuple[int, Issue]] = []
        for i, (trade, party) in enumerate(trades):
            value = self.model.npv(trade, party, self.as_of)
            npvs.append(value)
            if value is None:
                failures.append((i, Issue(ReasonCode.RISK_UNPRICEABLE, "as_of", f"no NPV for {self.as_of}")))
        for u, a, w in holdings:
            row = self.model.trade_pnl(*trades[u])
            self.totals[a] = [x + w * y for x, y in zip(self.totals[a], row, strict=True)]
        return TradeValues(tuple(npvs), tuple(failures))

    def finish(self) -> list[tuple[np.ndarray, Decimal]]:
        return [(np.array(v), worst_loss(v)) for v in self.totals]
