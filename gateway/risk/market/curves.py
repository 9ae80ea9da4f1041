"""Zero curves: pillars at tenors from the as-of date, continuously compounded ACT/365F zero rates.

Between pillars the zero rate is interpolated linearly in time; before the first and after the last
pillar it is held flat. ``log_df_weights`` expresses ``ln DF(t)`` as a linear form in the pillar rates,
which is what makes scenario revaluation a matrix product.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from gateway.domain.enums import PeriodUnit
from gateway.domain.values import Period

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAYS_PER_YEAR = 365.0


def add_period(start: date, period: Period) -> date:
    """``start`` moved by a tenor, unadjusted; month ends clamp (31 Jan + 1M = 28/29 Feb)."""
    if period.unit is PeriodUnit.DAY:
        return start + timedelta(days=period.multiplier)
    if period.unit is PeriodUnit.WEEK:
        return start + timedelta(weeks=period.multiplier)
    months = period.months
    if months is None:
        raise ValueError(f"tenor {period} has no length")
    total = start.year * 12 + start.month - 1 + months
    year, month = divmod(total, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def year_time(as_of: date, d: date) -> float:
    """ACT/365F time from the as-of date."""
    return (d - as_of).days / DAYS_PER_YEAR


@dataclass(frozen=True, slots=True, eq=False)
class Curve:
    """One curve's pillars; ``offset`` is where its rates sit in the market's pillar vector."""

    name: str
    tenors: tuple[Period, ...]
    dates: tuple[date, ...]
    times: FloatArray
    zero_rates: FloatArray
    offset: int

    @property
    def size(self) -> int:
        return len(self.tenors)

    @property
    def last_date(self) -> date:
        return self.dates[-1]

    def pillar_labels(self) -> list[str]:
        return [str(t) for t in self.tenors]

    def log_df_weights(self, t: FloatArray) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """For times ``t``: pillar indices (global) and weights with ``ln DF(t) = wa*z[ia] + wb*z[ib]``."""
        times = self.times
        n = times.size
        if n == 1:
            ia = np.zeros(t.shape, dtype=np.int64)
            wa = -t.astype(np.float64)
            return ia + self.offset, wa, ia + self.offset, np.zeros_like(wa)
        j = np.clip(np.searchsorted(times, t, side="right") - 1, 0, n - 2)
        t0 = times[j]
        t1 = times[j + 1]
        w = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        return j + self.offset, -t * (1.0 - w), j + 1 + self.offset, -t * w

    def zero_rate(self, t: FloatArray) -> FloatArray:
        """Interpolated zero rates at times ``t`` (linear, flat outside the pillars)."""
        return np.interp(t, self.times, self.zero_rates)

    def discount(self, t: FloatArray) -> FloatArray:
        return np.exp(-self.zero_rate(t) * t)
