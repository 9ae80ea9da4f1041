"""Business-day calendars by FpML business centre code, backed by QuantLib's holiday rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode


class BusinessCalendar(Protocol):
    def is_business_day(self, d: date) -> bool: ...


@dataclass(frozen=True, slots=True)
class WeekendCalendar:
    """Monday to Friday, minus the listed holidays."""

    holidays: frozenset[date] = frozenset()

    def is_business_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays


class QuantLibCalendar:
    """A QuantLib calendar for one business centre."""

    def __init__(self, centre: str) -> None:
        self.centre = centre
        self._cal = _ql_calendar(centre)

    def is_business_day(self, d: date) -> bool:
        import QuantLib as ql

        return bool(self._cal.isBusinessDay(ql.Date(d.day, d.month, d.year)))


def _ql_calendar(centre: str) -> Any:
    import QuantLib as ql

    makers = {
        "AUSY": lambda: ql.Australia(ql.Australia.Settlement),
        "USNY": lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
        "GBLO": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
        "EUTA": lambda: ql.TARGET(),
        "JPTO": lambda: ql.Japan(),
    }
    if centre not in makers:
        raise InputRejected(
            [
                Issue(
                    ReasonCode.REF_INVALID_INPUT,
                    "service_hours.calendar",
                    f"unknown business centre {centre!r}",
                )
            ]
        )
    return makers[centre]()


@lru_cache(maxsize=16)
def calendar_for(centre: str) -> BusinessCalendar:
    """The calendar of a business centre code; ``WEEKENDS`` for a holiday-free Monday-Friday calendar."""
    if centre == "WEEKENDS":
        return WeekendCalendar()
    return QuantLibCalendar(centre)


def add_business_days(cal: BusinessCalendar, d: date, n: int) -> date:
    """``d`` moved by ``n`` business days (``n`` may be negative); ``d`` itself need not be a business day."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        d += timedelta(days=step)
        if cal.is_business_day(d):
            remaining -= 1
    return d


def business_days_between(cal: BusinessCalendar, start: date, end: date) -> int:
    """Business days in (start, end]; negative when end is before start."""
    if end < start:
        return -business_days_between(cal, end, start)
    count = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if cal.is_business_day(d):
            count += 1
    return count
