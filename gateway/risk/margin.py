"""Initial margin from a scenario P&L vector: VaR by interpolated order statistics, or ES, plus add-ons.

The VaR quantile is numpy's default ("linear") definition, computed with a partial sort so it costs
O(scenarios): for ``n`` P&Ls and level ``q = 1 - confidence``, ``h = (n - 1) q`` and the quantile is
``x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`` over the ascending order statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from gateway.risk.config import MarginConfig, MarginModel
from gateway.risk.market.curves import FloatArray


@dataclass(frozen=True, slots=True)
class _Order:
    lo: int
    hi: int
    frac: float
    tail: int  # ES: how many worst scenarios are averaged


@lru_cache(maxsize=64)
def _order(n: int, confidence: float) -> _Order:
    h = (n - 1) * (1.0 - confidence)
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    tail = max(1, math.ceil(n * (1.0 - confidence) - 1e-12))
    return _Order(lo, hi, h - lo, tail)


def base_margin(pnl: FloatArray, config: MarginConfig, *, overwrite: bool = False) -> float:
    """The model's loss at the configured confidence, floored at zero (before add-ons).

    With ``overwrite`` the vector is partially sorted in place (for a scratch vector: no copy).
    """
    order = _order(pnl.shape[-1], config.confidence)
    if config.model is MarginModel.ES:
        worst = np.partition(pnl, order.tail - 1)[: order.tail]
        return max(0.0, -float(worst.mean()))
    if overwrite:
        pnl.partition((order.lo, order.hi))
        part = pnl
    else:
        part = np.partition(pnl, (order.lo, order.hi))
    a = float(part[order.lo])
    q = a + order.frac * (float(part[order.hi]) - a)
    return max(0.0, -q)


def base_margin_rows(pnl: FloatArray, config: MarginConfig, *, overwrite: bool = False) -> FloatArray:
    """``base_margin`` of every row of a ``(accounts x scenarios)`` matrix at once.

    With ``overwrite`` the rows are partially sorted in place (no copy of the matrix).
    """
    order = _order(pnl.shape[-1], config.confidence)
    if config.model is MarginModel.ES:
        worst = np.partition(pnl, order.tail - 1, axis=1)[:, : order.tail]
        es: FloatArray = np.maximum(0.0, -worst.mean(axis=1))
        return es
    if overwrite:
        pnl.partition((order.lo, order.hi), axis=1)
        part = pnl
    else:
        part = np.partition(pnl, (order.lo, order.hi), axis=1)
    a = part[:, order.lo]
    q = a + order.frac * (part[:, order.hi] - a)
    return np.maximum(0.0, -q)


def with_addons(base: float, config: MarginConfig, member: str | None = None) -> tuple[float, float, float]:
    """(total, credit add-on, concentration add-on) for a base margin."""
    credit = base * config.credit_addon.get(member, 0.0) if member is not None else 0.0
    excess = base - config.concentration_threshold
    concentration = config.concentration_rate * excess if excess > 0 else 0.0
    return base + credit + concentration, credit, concentration


def initial_margin_rows(
    pnl: FloatArray,
    config: MarginConfig,
    members: Sequence[str | None] | None = None,
    *,
    overwrite: bool = False,
) -> FloatArray:
    """``initial_margin`` of every row of a ``(accounts x scenarios)`` matrix, row ``i`` for ``members[i]``."""
    base = base_margin_rows(pnl, config, overwrite=overwrite)
    mult = np.ones(base.size)
    if members is not None and config.credit_addon:
        mult += np.array([config.credit_addon.get(m, 0.0) if m is not None else 0.0 for m in members])
    total: FloatArray = base * mult + config.concentration_rate * np.maximum(
        base - config.concentration_threshold, 0.0
    )
    return total


def initial_margin(pnl: FloatArray, config: MarginConfig | None = None, member: str | None = None) -> float:
    """IM of an account whose scenario P&L vector is ``pnl``: base model plus the member's add-ons."""
    cfg = config or MarginConfig()
    return with_addons(base_margin(pnl, cfg), cfg, member)[0]


@dataclass(frozen=True, slots=True)
class MarginResult:
    im: float
    base: float
    credit_addon: float
    concentration_addon: float
    model: MarginModel
    confidence: float
    scenarios: int
    horizon_days: int
    worst: tuple[tuple[date, date, float], ...]  # (window start, window end, P&L), worst first


def margin_report(
    pnl: FloatArray,
    config: MarginConfig,
    *,
    dates: tuple[date, ...],
    starts: tuple[date, ...],
    horizon_days: int,
    member: str | None = None,
) -> MarginResult:
    base = base_margin(pnl, config)
    total, credit, conc = with_addons(base, config, member)
    k = min(config.worst_reported, pnl.size)
    worst_idx = np.argpartition(pnl, k - 1)[:k] if 0 < k < pnl.size else np.arange(pnl.size)[:k]
    worst_idx = worst_idx[np.argsort(pnl[worst_idx], kind="stable")]
    return MarginResult(
        im=total,
        base=base,
        credit_addon=credit,
        concentration_addon=conc,
        model=config.model,
        confidence=config.confidence,
        scenarios=int(pnl.size),
        horizon_days=horizon_days,
        worst=tuple((starts[i], dates[i], float(pnl[i])) for i in worst_idx),
    )
