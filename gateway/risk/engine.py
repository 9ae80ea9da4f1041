"""``RiskEngine``: prices trades, produces scenario P&L vectors and margins.

Resolution (schedules, calendars) happens once per trade and is cached; compilation against the
market (terms) is cheap and vectorised; scenario revaluation is the ``Kernel``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gateway.domain.enums import AccountType
from gateway.domain.errors import GatewayError
from gateway.domain.trade import Trade
from gateway.risk.config import RiskConfig
from gateway.risk.kernel import Kernel, SharedKernel, bucketed_deltas, parallel_pv01
from gateway.risk.margin import MarginResult, margin_report
from gateway.risk.market.curves import FloatArray, IntArray
from gateway.risk.market.data import MarketData
from gateway.risk.market.fixings import FixingTable
from gateway.risk.report import cashflow_rows
from gateway.risk.resolve import ResolvedTrade, resolve
from gateway.risk.scenarios import ScenarioSet, build_scenarios
from gateway.risk.terms import TermSet, compile_terms, concat, group_rows, merge

_CACHE_SIZE = 200_000
# Relative cost of one ``expm1`` against one multiply-add of the shared kernel's holdings product: it
# decides whether a batch of new trades shares enough forms (same dates, same curves) to revalue each
# distinct form once (``SharedKernel``) rather than each term (``Kernel``). Both are full revaluations.
_EXPM1_COST = 50.0


@dataclass(frozen=True, slots=True)
class Valuation:
    trade_id: str
    perspective: str
    currency: str
    npv: float
    pv01: float  # NPV change for +1bp on every pillar of every curve
    deltas: dict[str, dict[str, float]]  # curve -> tenor -> NPV change for +1bp on that pillar alone
    cashflows: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "trade_id": self.trade_id,
            "perspective": self.perspective,
            "currency": self.currency,
            "npv": self.npv,
            "pv01": self.pv01,
            "deltas": self.deltas,
        }
        if self.cashflows:
            out["cashflows"] = list(self.cashflows)
        return out


class RiskEngine:
    """Valuation and margin against one ``MarketData``; safe to share, not to mutate concurrently."""

    def __init__(
        self, market: MarketData, config: RiskConfig | None = None, fixings: FixingTable | None = None
    ) -> None:
        self.market = market
        self.config = config or RiskConfig()
        self.fixings = fixings  # the published fixings; None: fixed coupons at the curve-implied rate
        self._resolved: OrderedDict[Trade, ResolvedTrade] = OrderedDict()
        self._scenarios: dict[int, ScenarioSet] = {}

    def with_market(self, market: MarketData, fixings: FixingTable | None = None) -> RiskEngine:
        """An engine over another day's market (and fixings) with this one's configuration, sharing its
        resolutions (schedules and calendars do not depend on the market)."""
        other = RiskEngine(market, self.config, fixings)
        other._resolved = self._resolved
        return other

    # -- resolution and compilation -------------------------------------------------------------
    def resolve(self, trade: Trade) -> ResolvedTrade:
        found = self._resolved.get(trade)
        if found is None:
            found = resolve(trade)
            self._resolved[trade] = found
            if len(self._resolved) > _CACHE_SIZE:
                self._resolved.popitem(last=False)
        return found

    def terms(self, trades: Sequence[Trade], perspectives: Sequence[str]) -> TermSet:
        return compile_terms(
            [self.resolve(t) for t in trades],
            perspectives,
            self.market,
            max_extrapolation_days=self.config.max_extrapolation_days,
            fixings=self.fixings,
        )

    # -- valuation -------------------------------------------------------------------------------
    def price(self, trade: Trade, perspective: str, *, cashflows: bool = False) -> Valuation:
        resolved = self.resolve(trade)
        terms = self.terms([trade], [perspective])
        labels = self.market.pillar_labels()
        deltas_row = bucketed_deltas(terms, self.market.pillar_count)[0]
        deltas: dict[str, dict[str, float]] = {}
        for (curve, tenor), d in zip(labels, deltas_row, strict=True):
            if d != 0.0:
                deltas.setdefault(curve, {})[tenor] = float(d)
        rows = tuple(cashflow_rows(resolved, perspective, self.market, self.fixings)) if cashflows else ()
        return Valuation(
            trade_id=resolved.trade_id,
            perspective=perspective,
            currency=resolved.currency,
            npv=float(terms.npv()[0]),
            pv01=float(parallel_pv01(terms)[0]),
            deltas=deltas,
            cashflows=rows,
        )

    # -- scenarios -------------------------------------------------------------------------------
    def scenarios(self, account_type: AccountType = AccountType.HOUSE) -> ScenarioSet:
        horizon = self.config.scenarios.horizon(account_type)
        found = self._scenarios.get(horizon)
        if found is None:
            found = build_scenarios(self.market, self.config.scenarios, horizon)
            self._scenarios[horizon] = found
        return found

    def kernel(self, trades: Sequence[Trade], perspectives: Sequence[str]) -> Kernel:
        """Compiled revaluation of these trades, reusable across scenario sets.

        A trade's terms with the same form (a fixed coupon and the floating leg's notional term paid
        on the same day) are added up first, so each form costs one ``expm1`` per scenario.
        """
        terms = self.terms(trades, perspectives)
        return Kernel.build(merge(terms, np.arange(terms.owners, dtype=np.int64), terms.owners))

    def trade_pnl(
        self, trade: Trade, perspective: str, account_type: AccountType = AccountType.HOUSE
    ) -> FloatArray:
        """Scenario P&L vector of one trade from ``perspective``'s side, by full revaluation."""
        row: FloatArray = self.pnl_batch([trade], [perspective], account_type)[0]
        return row

    def pnl_batch(
        self,
        trades: Sequence[Trade],
        perspectives: Sequence[str],
        account_type: AccountType = AccountType.HOUSE,
    ) -> FloatArray:
        """``(trades x scenarios)`` P&L; raises on the first unpriceable trade (see ``pnl_batch_collect``)."""
        kernel = self.kernel(trades, perspectives)  # trade errors before market data errors
        return kernel.pnl(self.scenarios(account_type).shifts_t)

    def pnl_batch_collect(
        self,
        trades: Sequence[Trade],
        perspectives: Sequence[str],
        account_type: AccountType = AccountType.HOUSE,
    ) -> tuple[FloatArray, list[int], list[tuple[int, GatewayError]]]:
        """P&L rows of the priceable trades, their indices, and every failure with its trade index."""
        ok: list[int] = []
        failures: list[tuple[int, GatewayError]] = []
        for i, (t, who) in enumerate(zip(trades, perspectives, strict=True)):
            try:
                self.terms([t], [who])
            except GatewayError as exc:
                failures.append((i, exc))
            else:
                ok.append(i)
        pnl = self.pnl_batch([trades[i] for i in ok], [perspectives[i] for i in ok], account_type)
        return pnl, ok, failures

    def pnl_rows(
        self,
        trades: Sequence[Trade],
        perspectives: Sequence[str],
        account_types: Sequence[AccountType] = (AccountType.HOUSE,),
    ) -> tuple[dict[AccountType, FloatArray], list[int], list[tuple[int, GatewayError]]]:
        """Batch form for new trades: ``(trades x scenarios)`` P&L per scenario set, of the priceable trades.

        The batch is compiled at once; when a trade cannot be valued, each is compiled on its own and an
        unpriceable one is reported with its index, costing the others nothing. The batch is then revalued
        in one kernel. Trades of one day share most of their forms (the same spot date, standard tenors), so
        when that makes it cheaper each distinct form is revalued once for the whole batch; either way every
        row is a full revaluation of its trade.
        """
        batch, ok, failures = self._terms_collect(trades, perspectives)
        out: dict[AccountType, FloatArray] = {}
        if not ok:
            for at in account_types:
                out[at] = np.zeros((0, self.scenarios(at).shifts_t.shape[1]))
            return out, ok, failures
        assert batch is not None
        merged = merge(batch, np.arange(len(ok), dtype=np.int64), len(ok))
        forms = group_rows(merged.nodes)[2]
        shared = forms * (_EXPM1_COST + len(ok)) < merged.size * _EXPM1_COST
        kernel: Kernel | SharedKernel = SharedKernel.build(merged) if shared else Kernel.build(merged)
        for at in account_types:
            out[at] = kernel.pnl(self.scenarios(at).shifts_t)
        return out, ok, failures

    def _terms_collect(
        self, trades: Sequence[Trade], perspectives: Sequence[str]
    ) -> tuple[TermSet | None, list[int], list[tuple[int, GatewayError]]]:
        """The batch's terms (owner: position among the priceable), the priceable trades' indices and every
        failure: one compilation when all are priceable, else each trade compiled on its own."""
        try:  # the usual case, every trade priceable: one compilation for the batch
            return self.terms(trades, perspectives), list(range(len(trades))), []
        except GatewayError:  # find the unpriceable ones; the others are compiled on their own
            pass
        ok: list[int] = []
        failures: list[tuple[int, GatewayError]] = []
        parts: list[TermSet] = []
        for i, (t, who) in enumerate(zip(trades, perspectives, strict=True)):
            try:
                terms = self.terms([t], [who])
            except GatewayError as exc:
                failures.append((i, exc))
                continue
            owner = np.full(terms.size, len(ok), dtype=np.int64)
            parts.append(TermSet(owner, terms.value, terms.pillars, terms.weights, terms.nodes, 1))
            ok.append(i)
        return (concat(parts, len(ok)) if parts else None), ok, failures

    def eod_terms(
        self, trades: Sequence[Trade], perspectives: Sequence[str]
    ) -> tuple[TermSet | None, list[int], list[tuple[int, GatewayError]]]:
        """End-of-day batch: the terms of the priceable trades (owner: position among them; ``npv()`` gives
        each one's NPV), their indices, and every failure with its trade index."""
        return self._terms_collect(trades, perspectives)

    @staticmethod
    def held(terms: TermSet, trade: IntArray, owner: IntArray, weight: FloatArray, owners: int) -> TermSet:
        """Terms re-owned by books (accounts): holding ``k`` puts a copy of trade ``trade[k]``'s terms, scaled
        by ``weight[k]`` (a side's sign, an FX rate), into book ``owner[k]``; identical forms of one book are
        then added up (``merge``), so the result's size follows the distinct forms of each book."""
        order = np.argsort(terms.owner, kind="stable")
        counts = np.bincount(terms.owner, minlength=terms.owners)
        starts = np.cumsum(counts) - counts
        n = counts[trade]
        first = np.repeat(starts[trade] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        idx = order[first]
        copy = TermSet(
            np.repeat(owner, n),
            terms.value[idx] * np.repeat(weight, n),
            terms.pillars[idx],
            terms.weights[idx],
            terms.nodes[idx],
            owners,
        )
        return merge(copy, np.arange(owners, dtype=np.int64), owners)

    def books_pnl(self, held: TermSet, account_type: AccountType = AccountType.HOUSE) -> FloatArray:
        """``(books x scenarios)`` P&L of terms ``held`` by books: each distinct form revalued once for all."""
        shifts_t = self.scenarios(account_type).shifts_t
        if held.size == 0:
            return np.zeros((held.owners, shifts_t.shape[1]))
        return SharedKernel.build(held).pnl(shifts_t)

    def account_pnl(
        self,
        trades: Sequence[Trade],
        perspectives: Sequence[str],
        accounts: Sequence[str],
        account_type: AccountType = AccountType.HOUSE,
        *,
        chunk: int = 10_000,
    ) -> dict[str, FloatArray]:
        """End-of-day form: every account's P&L vector; each distinct term is revalued once for all.

        Trades are compiled ``chunk`` at a time and merged per account as they go, so memory follows
        the number of distinct terms in the book, not the number of trades.
        """
        names = sorted(set(accounts))
        index = {a: i for i, a in enumerate(names)}
        owner_of = np.array([index[a] for a in accounts], dtype=np.int64)
        parts: list[TermSet] = []
        for lo in range(0, len(trades), chunk):
            terms = self.terms(trades[lo : lo + chunk], perspectives[lo : lo + chunk])
            parts.append(merge(terms, owner_of[lo : lo + chunk], len(names)))
        if not parts:
            return {}
        kernel = SharedKernel.build(concat(parts, len(names)))
        pnl = kernel.pnl(self.scenarios(account_type).shifts_t)
        return {a: pnl[i] for a, i in index.items()}

    # -- margin -------------------------------------------------------------------------------------
    def margin(
        self, pnl: FloatArray, account_type: AccountType = AccountType.HOUSE, member: str | None = None
    ) -> MarginResult:
        scen = self.scenarios(account_type)
        return margin_report(
            pnl,
            self.config.margin,
            dates=scen.dates,
            starts=scen.starts,
            horizon_days=scen.horizon_days,
            member=member,
        )
