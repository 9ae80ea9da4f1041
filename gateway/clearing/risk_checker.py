"""The production ``CreditChecker``: scenario P&L and initial margin from ``gateway.risk.RiskEngine``.

An account keeps its portfolio's scenario P&L vector (float64, little-endian, in the account's base
currency). A new trade's vector, converted at the configured FX rate, is added to it and the margin
recomputed: the incremental margin is the difference, in O(scenarios).

The checker holds the market days it was given (``MarketTimeline``): a check of business date D prices on
D's market data and FX, or the latest day before D. ``install`` adds a day; a batch in progress keeps
the days it started with (``prepare`` takes them), so no batch is ever priced on two markets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np

from gateway.clearing.credit import MarginImpact
from gateway.clearing.risk_book import RiskBook
from gateway.domain.enums import AccountType
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.refdata.fx import FxRates
from gateway.risk.engine import RiskEngine
from gateway.risk.margin import initial_margin
from gateway.risk.market.drop import MarketDay
from gateway.risk.market.fixings import FixingTable
from gateway.risk.market.timeline import MarketTimeline

_CENT = Decimal("0.01")
_DTYPE = np.dtype("<f8")
_IM_MEMO = 10_000


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(_CENT)


class RiskCreditChecker:
    """Margin impact of a trade on an account, valued by the risk engine."""

    def __init__(self, engine: RiskEngine, fx: FxRates) -> None:
        market = engine.market
        self._template = engine  # configuration and trade resolutions, shared by every day's engine
        self._timeline = MarketTimeline((MarketDay(market.as_of, market, fx, (), market.source),))
        self._batch: MarketTimeline | None = None  # the days the batch in progress started with
        self._engines: dict[date, tuple[MarketDay, RiskEngine]] = {
            market.as_of: (self._timeline.latest, engine)
        }
        self._last: tuple[Trade, str, AccountType, RiskEngine, np.ndarray] | None = None
        # Rows priced by ``prepare`` for the batch at hand: id(trade) -> (trade, party, {type: row} | error)
        self._prepared: dict[int, tuple[Trade, str, dict[AccountType, np.ndarray] | GatewayError]] = {}
        # IM of the P&L vectors this checker returned, by the identity of the returned bytes: the next trade
        # on the same account starts from that vector, whose IM is then not recomputed (same value).
        self._ims: dict[int, tuple[bytes, AccountType, float]] = {}
        self._prepared_by: RiskEngine | None = None

    # -- market days -------------------------------------------------------------------------------
    @property
    def timeline(self) -> MarketTimeline:
        return self._timeline

    def install(self, day: MarketDay) -> None:
        """Add a market day; checks started after this (the next batch) price on it for its dates."""
        self._timeline = self._timeline.add(day)

    def use_fixings(self, table: FixingTable) -> None:
        """Value fixed coupons on ``table`` (the fixings store) on every day held without one, from the next
        batch on (a day taken from the drop later comes with its own)."""
        timeline = self._timeline
        for day in timeline.days:
            if day.fixing_table is None:
                timeline = timeline.add(replace(day, fixing_table=table))
        self._timeline = timeline

    def market_day(self, as_of: date) -> MarketDay:
        """The market day in force for business date ``as_of`` (MKT_NO_MARKET if none is on or before it)."""
        return self._timeline.at(as_of)

    def engine_for(self, as_of: date) -> RiskEngine:
        """The risk engine over the market day in force for ``as_of``."""
        return self._engine_of(self.market_day(as_of))

    def _engine_of(self, day: MarketDay) -> RiskEngine:
        found = self._engines.get(day.business_date)
        if found is not None and found[0] is day:
            return found[1]
        engine = self._template.with_market(day.market, day.fixing_table)
        kept = set(self._timeline.dates)
        self._engines = {d: e for d, e in self._engines.items() if d in kept}
        self._engines[day.business_date] = (day, engine)
        return engine

    @property
    def engine(self) -> RiskEngine:
        """The engine of the latest market day."""
        return self._engine_of(self._timeline.latest)

    @property
    def fx(self) -> FxRates:
        """The FX rates of the latest market day."""
        return self._timeline.latest.fx

    def prepare(self, items: Sequence[tuple[Trade, AccountType]]) -> None:
        """Price a batch of new trades in one kernel, ahead of their ``margin_impact`` calls.

        Each trade is revalued once per scenario set, from its first party's side (the other side's P&L
        is the negative); a trade that cannot be valued keeps its error for ``margin_impact`` to raise.
        Replaces what the previous batch prepared, and takes the market days now held for the whole batch.
        """
        self._batch = self._timeline
        engine = self._engine_of(self._batch.latest)
        wanted: dict[int, tuple[Trade, set[AccountType]]] = {}
        for trade, account_type in items:
            wanted.setdefault(id(trade), (trade, set()))[1].add(account_type)
        trades = [t for t, _ in wanted.values()]
        sides = [t.parties[0].party_id for t in trades]
        types = sorted({a for _, kinds in wanted.values() for a in kinds})
        prepared: dict[int, tuple[Trade, str, dict[AccountType, np.ndarray] | GatewayError]] = {}
        if trades:
            rows, ok, failed = engine.pnl_rows(trades, sides, types)
            for n, i in enumerate(ok):
                prepared[id(trades[i])] = (trades[i], sides[i], {a: rows[a][n] for a in types})
            for i, exc in failed:
                prepared[id(trades[i])] = (trades[i], sides[i], exc)
        self._prepared = prepared
        self._prepared_by = engine
        self._ims = {}

    def _trade_pnl(
        self, trade: Trade, party_id: str, account_type: AccountType, engine: RiskEngine
    ) -> np.ndarray:
        """One revaluation per trade: the other side's scenario P&L of a bilateral trade is its negative."""
        found = self._prepared.get(id(trade)) if engine is self._prepared_by else None
        if found is not None and found[0] is trade:
            _, side, rows = found
            if isinstance(rows, GatewayError):
                raise rows
            row = rows.get(account_type)
            if row is not None:
                if side == party_id:
                    return row
                if {side, party_id} == {p.party_id for p in trade.parties}:
                    return -row
        last = self._last
        if last is not None and last[2] is account_type and last[3] is engine and last[0] == trade:
            if last[1] == party_id:
                return last[4]
            if {last[1], party_id} == {p.party_id for p in trade.parties}:
                return -last[4]
        pnl = np.asarray(engine.trade_pnl(trade, party_id, account_type), dtype=np.float64)
        self._last = (trade, party_id, account_type, engine, pnl)
        return pnl

    @classmethod
    def from_market_dir(cls, directory: str | Path, fx: FxRates | None = None) -> RiskCreditChecker:
        """A checker over the market data in ``directory`` (market.toml, curves.csv, history.csv)."""
        from gateway.risk.market.loader import load_market

        return cls(RiskEngine(load_market(directory)), fx or FxRates.load())

    def margin_impact(
        self,
        trade: Trade,
        party_id: str,
        base_currency: str,
        pnl_before: bytes | None,
        as_of: date,
        account_type: AccountType = AccountType.HOUSE,
    ) -> MarginImpact:
        day = (self._batch or self._timeline).at(as_of)  # a batch keeps the days it started with
        engine = self._engine_of(day)
        rate = float(day.fx.convert(Decimal(1), trade.currency, base_currency))
        trade_pnl = self._trade_pnl(trade, party_id, account_type, engine) * rate
        if pnl_before is None:
            before = np.zeros_like(trade_pnl)
            im_before = 0.0
        else:
            before = np.frombuffer(pnl_before, dtype=_DTYPE).astype(np.float64)
            if before.size != trade_pnl.size:
                raise GatewayError(
                    [
                        Issue(
                            ReasonCode.RISK_UNPRICEABLE,
                            "account.pnl_vector",
                            f"the account's stored P&L has {before.size} scenarios, the market {trade_pnl.size}: "
                            "rebuild the account's risk state after a scenario-set change",
                        )
                    ]
                )
            known = self._ims.get(id(pnl_before))
            if known is not None and known[0] is pnl_before and known[1] is account_type:
                im_before = known[2]
            else:
                im_before = initial_margin(before, engine.config.margin)
        after = before + trade_pnl
        im_after = initial_margin(after, engine.config.margin)  # = engine.margin(...).im, no report
        margin_after = _money(im_after)
        blob = after.astype(_DTYPE).tobytes()
        if len(self._ims) >= _IM_MEMO:
            self._ims.clear()
        self._ims[id(blob)] = (blob, account_type, im_after)
        return MarginImpact(margin_after - _money(im_before), margin_after, blob)

    # -- end of day (``PortfolioValuer``) ----------------------------------------------------------
    def book(self, account_types: Sequence[AccountType], as_of: date) -> RiskBook:
        return RiskBook(self.engine_for(as_of), account_types)

    def fx_rate(self, currency: str, base_currency: str, as_of: date) -> float:
        return float(self.market_day(as_of).fx.convert(Decimal(1), currency, base_currency))
