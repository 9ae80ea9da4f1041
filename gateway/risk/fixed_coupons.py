"""Floating coupons already (partly) set by published fixings, as of a valuation date. Pure.

A term-index coupon whose fixing date is before the valuation date pays ``(fixing + spread) x accrual``:
a known amount; fixed on the valuation date itself, it does so once that day's fixing is stored and is
projected until then (a fixing is published during its day). An overnight-compounded coupon accrues ``prod(1 + r_i d_i / B)`` over the
business days of its period before the valuation date (``r_i`` the fixing of day ``i``, ``d_i`` the
calendar days it applies for, ``B`` 360 for an ACT/360 leg and 365 otherwise); a period that has ended is
then a known amount, a running one is that accrued factor times the projection from the valuation date
to the period's end. A fixing the store lacks is an error naming the index and the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from gateway.risk.business_days import FIRST, BusinessDays, business_days
from gateway.risk.market.curves import FloatArray, IntArray
from gateway.risk.market.fixings import FixingTable
from gateway.risk.resolve import ResolvedLeg


@dataclass(frozen=True, slots=True, eq=False)
class SetCoupons:
    """Per coupon of a leg: ``known`` is the amount per unit of notional once set (NaN when not set);
    a running overnight coupon has ``growth`` (the accrued factor, 1 otherwise), projected from ``start``."""

    known: FloatArray
    growth: FloatArray
    running: np.ndarray  # bool
    start: IntArray


def day_basis(day_count: str) -> float:
    return 360.0 if "360" in day_count and "30" not in day_count else 365.0


def accrued_factor(
    index: str,
    start: int,
    stop: int,
    basis: float,
    days: BusinessDays,
    fixings: FixingTable,
    where: str,
) -> float:
    """``prod(1 + r_i d_i / basis)`` over the business days ``i`` in ``[start, stop)`` (ordinals)."""
    lo = int(days.rank[start - FIRST])
    hi = int(days.rank[stop - FIRST])
    good = days.positions[lo:hi]
    if good.size == 0:
        return 1.0
    until = np.minimum(np.append(good[1:], stop), stop)
    rates = np.array([fixings.rate(index, date.fromordinal(int(g)), where) for g in good])
    return float(np.prod(1.0 + rates * (until - good) / basis))


def touches(leg: ResolvedLeg, as_of: int) -> bool:
    """Whether a fixing may set one of ``leg``'s unpaid coupons on ``as_of`` (cheap: dates ascend)."""
    if leg.projection is None or leg.pay.size == 0 or leg.pay[-1] <= as_of:
        return False
    return bool(leg.start[0] < as_of) if leg.overnight else bool(leg.fixing[0] <= as_of)


def set_coupons(leg: ResolvedLeg, as_of: int, fixings: FixingTable, where: str) -> SetCoupons:
    """What the published fixings set of ``leg``'s coupons not yet paid on ``as_of`` (an ordinal)."""
    n = leg.pay.size
    known = np.full(n, np.nan)
    growth = np.ones(n)
    running = np.zeros(n, dtype=bool)
    start = leg.start.copy()
    index = leg.projection
    if index is None:
        return SetCoupons(known, growth, running, start)
    live = leg.pay > as_of
    if not leg.overnight:
        for k in np.flatnonzero(live & (leg.fixing <= as_of)):
            day = date.fromordinal(int(leg.fixing[k]))
            rate = fixings.get(index, day) if leg.fixing[k] == as_of else fixings.rate(index, day, where)
            if rate is not None:
                known[k] = (rate + leg.spread[k]) * leg.accrual[k]
        return SetCoupons(known, growth, running, start)
    started = np.flatnonzero(live & (leg.start < as_of))
    if started.size == 0:
        return SetCoupons(known, growth, running, start)
    days = business_days(leg.centres)
    basis = day_basis(leg.day_count)
    for k in started:
        s, e = int(leg.start[k]), int(leg.end[k])
        factor = accrued_factor(index, s, min(e, as_of), basis, days, fixings, where)
        if e <= as_of:
            known[k] = factor - 1.0 + leg.spread[k] * leg.accrual[k]
        else:
            growth[k] = factor
            running[k] = True
            start[k] = as_of
    return SetCoupons(known, growth, running, start)
