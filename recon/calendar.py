"""Business days for ageing and scheduling, from QuantLib's calendars (weekends at least)."""

from __future__ import annotations

from datetime import date
from typing import Final

import QuantLib as ql

_CALENDARS: Final[dict[str, ql.Calendar]] = {
    "WeekendsOnly": ql.WeekendsOnly(),
    "Australia": ql.Australia(),
    "UnitedKingdom": ql.UnitedKingdom(),
    "UnitedStates": ql.UnitedStates(ql.UnitedStates.Settlement),
    "TARGET": ql.TARGET(),
    "Japan": ql.Japan(),
}
CALENDAR_NAMES: Final[tuple[str, ...]] = tuple(_CALENDARS)


class BusinessCalendar:
    """A named holiday calendar; ``WeekendsOnly`` skips Saturdays and Sundays only."""

    __slots__ = ("_cal", "name")

    def __init__(self, name: str = "WeekendsOnly") -> None:
        if name not in _CALENDARS:
            raise ValueError(f"unknown calendar '{name}'; known: {', '.join(CALENDAR_NAMES)}")
        self.name = name
        self._cal = _CALENDARS[name]

    def is_business_day(self, day: date) -> bool:
        return bool(self._cal.isBusinessDay(_ql(day)))

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        if end <= start:
            return 0
        return int(self._cal.businessDaysBetween(_ql(start), _ql(end), False, True))


def _ql(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)
