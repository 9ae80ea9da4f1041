"""Business-day calendars: the one home of holiday calendars for rules, risk and recon.

A calendar is named by FpML business centre codes (``AUSY``, ``GBLO``...), joint when a date is
adjusted to several centres (a day is good only if it is good in every one); holidays are QuantLib's
rules for each centre. Service hours (``gateway.rules.hours``) use one centre or ``WEEKENDS``; the risk
engine adjusts schedules on the joint calendar of a stream's centres (``joint_calendar``, the QuantLib
object its arithmetic needs); reconciliation ages breaks on a calendar named as QuantLib names them
(``Australia``, ``WeekendsOnly``...), each of which is a centre's calendar here.

An unknown name raises ``UnknownCalendar`` (a ``ValueError`` saying which names are known); each caller
turns it into its own reason at its own path (a refused setting, an unpriceable trade).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Final, Protocol

import QuantLib as ql

WEEKENDS: Final = "WEEKENDS"
"""Monday to Friday without holidays: for service hours and tests."""


class UnknownCalendar(ValueError):
    """A centre code or calendar name with no calendar here."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown calendar '{name}'; known: {', '.join(known)}")
        self.name = name


_CENTRES: Final[dict[str, Callable[[], Any]]] = {
    "AUSY": lambda: ql.Australia(ql.Australia.Settlement),
    "AUME": lambda: ql.Australia(ql.Australia.Settlement),
    "USNY": lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
    "USGS": lambda: ql.UnitedStates(ql.UnitedStates.GovernmentBond),
    "GBLO": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
    "EUTA": lambda: ql.TARGET(),
    "DEFR": lambda: ql.Germany(ql.Germany.Settlement),
    "FRPA": lambda: ql.France(ql.France.Settlement),
    "JPTO": lambda: ql.Japan(),
    "CHZU": lambda: ql.Switzerland(),
    "CATO": lambda: ql.Canada(ql.Canada.Settlement),
    "CAMO": lambda: ql.Canada(ql.Canada.Settlement),
    "NZAU": lambda: ql.NewZealand(),
    "NZWE": lambda: ql.NewZealand(),
    "HKHK": lambda: ql.HongKong(),
    "SGSI": lambda: ql.Singapore(),
    "SEST": lambda: ql.Sweden(),
    "NOOS": lambda: ql.Norway(),
    "DKCO": lambda: ql.Denmark(),
    "BRSP": lambda: ql.Brazil(ql.Brazil.Settlement),
    "BRBD": lambda: ql.Brazil(ql.Brazil.Settlement),
    "ZAJO": lambda: ql.SouthAfrica(),
    "MXMC": lambda: ql.Mexico(),
    "PLWA": lambda: ql.Poland(),
    "CZPR": lambda: ql.CzechRepublic(),
    "HUBU": lambda: ql.Hungary(),
    "KRSE": lambda: ql.SouthKorea(ql.SouthKorea.Settlement),
    "CNBE": lambda: ql.China(),
    "ILTA": lambda: ql.Israel(),
}

SERVICE_CENTRES: Final[tuple[str, ...]] = (WEEKENDS, "AUSY", "USNY", "GBLO", "EUTA", "JPTO")
"""The calendars the service hours may be kept in (``service_hours.calendar``)."""

NAMED: Final[dict[str, str]] = {
    "WeekendsOnly": WEEKENDS,
    "Australia": "AUSY",
    "UnitedKingdom": "GBLO",
    "UnitedStates": "USNY",
    "TARGET": "EUTA",
    "Japan": "JPTO",
}
"""Calendars by QuantLib's name (reconciliation's settings) -> the centre whose calendar they are."""
CALENDAR_NAMES: Final[tuple[str, ...]] = tuple(NAMED)


def supported_centres() -> tuple[str, ...]:
    """Every business centre code with a holiday calendar."""
    return tuple(sorted(_CENTRES))


@lru_cache(maxsize=256)
def joint_calendar(centres: tuple[str, ...]) -> Any:
    """QuantLib's joint holiday calendar of ``centres`` (no holidays, weekends included, when empty)."""
    if not centres:
        return ql.NullCalendar()
    cals = []
    for code in sorted(set(centres)):
        factory = _CENTRES.get(code)
        if factory is None:
            raise UnknownCalendar(code, supported_centres())
        cals.append(factory())
    while len(cals) > 1:
        head, cals = cals[:4], cals[4:]
        cals.insert(0, ql.JointCalendar(*head) if len(head) > 1 else head[0])
    return cals[0]


class BusinessCalendar(Protocol):
    def is_business_day(self, d: date) -> bool: ...


@dataclass(frozen=True, slots=True)
class WeekendCalendar:
    """Monday to Friday, minus the listed holidays."""

    holidays: frozenset[date] = frozenset()

    def is_business_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays


class CentreCalendar:
    """The holiday calendar of one or more business centres."""

    __slots__ = ("_cal",)

    def __init__(self, centres: tuple[str, ...]) -> None:
        self._cal = joint_calendar(centres)

    def is_business_day(self, d: date) -> bool:
        return bool(self._cal.isBusinessDay(_ql(d)))

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        if end <= start:
            return 0
        return int(self._cal.businessDaysBetween(_ql(start), _ql(end), False, True))


@lru_cache(maxsize=16)
def service_calendar(centre: str) -> BusinessCalendar:
    """The calendar service hours are kept in: ``WEEKENDS`` or one of ``SERVICE_CENTRES``."""
    if centre == WEEKENDS:
        return WeekendCalendar()
    if centre not in SERVICE_CENTRES:
        raise UnknownCalendar(centre, SERVICE_CENTRES)
    return CentreCalendar((centre,))


class NamedCalendar(CentreCalendar):
    """A calendar by QuantLib's name (``WeekendsOnly`` skips Saturdays and Sundays only)."""

    __slots__ = ("name",)

    def __init__(self, name: str = "WeekendsOnly") -> None:
        if name not in NAMED:
            raise UnknownCalendar(name, CALENDAR_NAMES)
        centre = NAMED[name]
        self._cal = ql.WeekendsOnly() if centre == WEEKENDS else joint_calendar((centre,))
        self.name = name


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


def _ql(day: date) -> Any:
    return ql.Date(day.day, day.month, day.year)
