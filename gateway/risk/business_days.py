"""Vectorised business-day arithmetic on a table of good days taken from a QuantLib calendar.

A calendar is sampled once (``isBusinessDay`` for every day of the table's range); adjusting or
advancing thousands of dates is then array indexing. Results equal QuantLib's ``adjust`` and
``advance`` (tests check it); dates outside the range are left to QuantLib by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import QuantLib as ql

from gateway.domain.enums import BusinessDayConvention
from gateway.risk.conventions import QL_EPOCH, calendar_for
from gateway.risk.market.curves import IntArray

FIRST = date(1970, 1, 1).toordinal()
LAST = date(2130, 12, 31).toordinal()
_UNIX = date(1970, 1, 1).toordinal()
SUPPORTED = frozenset(
    {
        BusinessDayConvention.FOLLOWING,
        BusinessDayConvention.MODFOLLOWING,
        BusinessDayConvention.PRECEDING,
        BusinessDayConvention.MODPRECEDING,
        BusinessDayConvention.NONE,
        BusinessDayConvention.NOT_APPLICABLE,
    }
)


def months_of(ords: IntArray) -> IntArray:
    """Year * 12 + month - 1 of each ordinal."""
    out: IntArray = (ords - _UNIX).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class BusinessDays:
    good: np.ndarray  # bool, index = ordinal - FIRST
    next_good: IntArray  # ordinal of the first good day on or after
    prev_good: IntArray  # ordinal of the last good day on or before
    rank: IntArray  # number of good days strictly before
    positions: IntArray  # ordinals of the good days
    adjusted: dict[BusinessDayConvention, IntArray]  # every day of the range adjusted, per convention

    @staticmethod
    def in_range(ords: IntArray, margin: int = 40) -> bool:
        """Whether ascending ``ords`` lie inside the table (with room for a few days' moves)."""
        return bool(ords.size == 0 or (ords[0] >= FIRST + margin and ords[-1] <= LAST - margin))

    def adjust(self, ords: IntArray, convention: BusinessDayConvention) -> IntArray:
        if convention in (BusinessDayConvention.NONE, BusinessDayConvention.NOT_APPLICABLE):
            return ords.copy()
        table = self.adjusted.get(convention)
        if table is None:
            raise ValueError(f"{convention} is not supported by the table")
        out: IntArray = table[ords - FIRST]
        return out

    def advance(self, ords: IntArray, days: int, convention: BusinessDayConvention) -> IntArray:
        """QuantLib ``advance(d, days, Days, convention)``: ``days`` good days on (adjust when 0)."""
        if days == 0:
            return self.adjust(ords, convention)
        i = ords - FIRST
        if days > 0:
            after = self.rank[i] + self.good[i]  # good days up to and including d
            out: IntArray = self.positions[after + days - 1]
        else:
            out = self.positions[self.rank[i] + days]
        return out


@lru_cache(maxsize=64)
def business_days(centres: tuple[str, ...]) -> BusinessDays:
    """The table of a joint calendar (cached per set of centres)."""
    cal = calendar_for(centres)
    n = LAST - FIRST + 1
    good = np.fromiter(
        (cal.isBusinessDay(ql.Date(FIRST + k - QL_EPOCH)) for k in range(n)), dtype=bool, count=n
    )
    ords = np.arange(FIRST, LAST + 1, dtype=np.int64)
    positions = ords[good]
    rank = np.concatenate([[0], np.cumsum(good)[:-1]]).astype(np.int64)
    idx_next = np.minimum(rank, positions.size - 1)
    next_good = np.where(good, ords, positions[idx_next])
    prev_good = np.where(good, ords, positions[np.maximum(rank - 1, 0)])
    month = months_of(ords)
    adjusted = {
        BusinessDayConvention.FOLLOWING: next_good,
        BusinessDayConvention.PRECEDING: prev_good,
        BusinessDayConvention.MODFOLLOWING: np.where(months_of(next_good) == month, next_good, prev_good),
        BusinessDayConvention.MODPRECEDING: np.where(months_of(prev_good) == month, prev_good, next_good),
    }
    return BusinessDays(good, next_good, prev_good, rank, positions, adjusted)
