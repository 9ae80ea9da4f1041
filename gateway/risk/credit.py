"""Incremental credit check: does the margin a trade adds fit in the member's headroom?

Scenario P&L adds across trades, so an account keeps its P&L vector; a new trade's vector is added
and the margin recomputed in O(scenarios). Headroom is excess collateral (collateral after haircuts
minus the current requirement) plus the unused part of the member's tolerance limit. A trade that
does not raise the margin is always approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from gateway.clearing.ports import CreditDecision
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.risk.config import MarginConfig
from gateway.risk.margin import base_margin, base_margin_rows, with_addons
from gateway.risk.market.curves import FloatArray

_DEFAULT = MarginConfig()
_CENT = Decimal("0.01")


def collateral_value(holdings: Iterable[tuple[float, float]]) -> float:
    """Value after haircuts of ``(market value, haircut)`` pairs (a haircut of 0.02 keeps 98%)."""
    return float(sum(v * (1.0 - h) for v, h in holdings))


def excess_collateral(collateral_after_haircuts: float, current_requirement: float) -> float:
    return collateral_after_haircuts - current_requirement


@dataclass(frozen=True, slots=True)
class CreditCheckResult:
    approved: bool
    im_before: float
    im_after: float
    incremental: float  # im_after - im_before (negative when the trade reduces risk)
    excess_collateral: float
    unused_tolerance: float
    tolerance_used: float  # part of the increase covered by the tolerance limit
    shortfall: float  # collateral still needed for approval (0 when approved)

    @property
    def headroom(self) -> float:
        return self.excess_collateral + self.unused_tolerance

    def to_decision(self, member: str, account: str) -> CreditDecision:
        """The clearing port's answer; amounts rounded to cents."""
        reasons: tuple[Issue, ...] = ()
        if not self.approved:
            reasons = (
                Issue(
                    ReasonCode.RISK_INSUFFICIENT_COLLATERAL,
                    f"account[{account}]",
                    f"incremental margin {self.incremental:,.2f} exceeds headroom {self.headroom:,.2f} "
                    f"(excess collateral {self.excess_collateral:,.2f} + unused tolerance "
                    f"{self.unused_tolerance:,.2f}); shortfall {self.shortfall:,.2f}",
                ),
            )
        return CreditDecision(
            approved=self.approved,
            member=member,
            account=account,
            incremental_margin=_money(self.incremental),
            headroom_before=_money(self.headroom),
            shortfall=_money(self.shortfall),
            reasons=reasons,
        )


def _money(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(_CENT)


def _decide(im_before: float, im_after: float, excess: float, tolerance: float) -> CreditCheckResult:
    inc = im_after - im_before
    headroom = excess + tolerance
    approved = inc <= 0.0 or inc <= headroom
    used = min(max(inc - max(excess, 0.0), 0.0), tolerance) if approved else 0.0
    return CreditCheckResult(
        approved=approved,
        im_before=im_before,
        im_after=im_after,
        incremental=inc,
        excess_collateral=excess,
        unused_tolerance=tolerance,
        tolerance_used=used,
        shortfall=0.0 if approved else inc - headroom,
    )


def incremental_check(
    account_pnl: FloatArray,
    trade_pnl: FloatArray,
    excess_collateral: float,
    unused_tolerance: float,
    *,
    config: MarginConfig = _DEFAULT,
    member: str | None = None,
    im_before: float | None = None,
) -> CreditCheckResult:
    """Check one trade; pass ``im_before`` when the account's current IM is known (it usually is)."""
    if im_before is None:
        im_before = with_addons(base_margin(account_pnl, config), config, member)[0]
    im_after = with_addons(base_margin(account_pnl + trade_pnl, config, overwrite=True), config, member)[0]
    return _decide(im_before, im_after, float(excess_collateral), float(unused_tolerance))


@dataclass(frozen=True, slots=True, eq=False)
class BatchCreditResult:
    approved: np.ndarray
    im_before: FloatArray
    im_after: FloatArray
    incremental: FloatArray
    tolerance_used: FloatArray
    shortfall: FloatArray

    def result(self, i: int, excess: float, tolerance: float) -> CreditCheckResult:
        return _decide(float(self.im_before[i]), float(self.im_after[i]), excess, tolerance)


def incremental_check_batch(
    account_pnls: FloatArray,
    trade_pnls: FloatArray,
    excess_collateral: FloatArray,
    unused_tolerance: FloatArray,
    *,
    config: MarginConfig = _DEFAULT,
    members: Sequence[str | None] | None = None,
    im_before: FloatArray | None = None,
) -> BatchCreditResult:
    """Row ``i`` checks trade ``i`` against account state ``i``, each independently of the others."""
    after_base = base_margin_rows(account_pnls + trade_pnls, config, overwrite=True)
    before_base = base_margin_rows(account_pnls, config) if im_before is None else None
    mult = np.ones(after_base.size)
    if members is not None and config.credit_addon:
        mult += np.array([config.credit_addon.get(m, 0.0) if m is not None else 0.0 for m in members])

    def total(base: FloatArray) -> FloatArray:
        conc = config.concentration_rate * np.maximum(base - config.concentration_threshold, 0.0)
        return base * mult + conc

    after = total(after_base)
    before = im_before if im_before is not None else total(before_base)  # type: ignore[arg-type]
    inc = after - before
    excess = np.asarray(excess_collateral, dtype=np.float64)
    tol = np.asarray(unused_tolerance, dtype=np.float64)
    headroom = excess + tol
    approved = (inc <= 0.0) | (inc <= headroom)
    used = np.where(approved, np.clip(inc - np.maximum(excess, 0.0), 0.0, tol), 0.0)
    shortfall = np.where(approved, 0.0, inc - headroom)
    return BatchCreditResult(approved, before, after, inc, used, shortfall)
