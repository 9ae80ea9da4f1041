"""The market days a service holds, by business date: the day of a date is that date's or the latest before."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date

from gateway.domain.errors import Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.risk.market.drop import MarketDay

KEEP_DAYS = 10
"""Days kept: a credit check of a business date a few days back (a backload) still finds its own."""


@dataclass(frozen=True, slots=True, eq=False)
class MarketTimeline:
    """Immutable; a new day gives a new timeline, so a reader holding one never sees it change."""

    days: tuple[MarketDay, ...]

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("a market timeline needs a day")

    @property
    def latest(self) -> MarketDay:
        return self.days[-1]

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(d.business_date for d in self.days)

    def at(self, as_of: date) -> MarketDay:
        """The day of ``as_of``, or the latest before it; MKT_NO_MARKET when every day held is later."""
        i = bisect.bisect_right(self.dates, as_of)
        if i == 0:
            raise MarketDataError(
                [
                    Issue(
                        ReasonCode.MKT_NO_MARKET,
                        "as_of",
                        f"no market data on or before {as_of} (the earliest held is {self.days[0].business_date})",
                    )
                ]
            )
        return self.days[i - 1]

    def add(self, day: MarketDay, keep: int = KEEP_DAYS) -> MarketTimeline:
        """This timeline with ``day`` (replacing a day of the same date), the oldest beyond ``keep`` dropped."""
        others = [d for d in self.days if d.business_date != day.business_date]
        days = sorted([*others, day], key=lambda d: d.business_date)
        return MarketTimeline(tuple(days[-keep:]))
