"""The one calendar module: service hours, the risk engine's schedules and reconciliation's ageing agree."""

from __future__ import annotations

from datetime import date

import pytest
import QuantLib as ql

from gateway.refdata.calendars import (
    CALENDAR_NAMES,
    NamedCalendar,
    UnknownCalendar,
    WeekendCalendar,
    add_business_days,
    business_days_between,
    joint_calendar,
    service_calendar,
)
from gateway.risk.conventions import Unpriceable, calendar_for

AUSTRALIA_DAY = date(2026, 1, 26)


def test_business_day_arithmetic() -> None:
    cal = service_calendar("AUSY")
    assert add_business_days(cal, date(2026, 1, 23), 1) == date(2026, 1, 27)  # over the weekend and 26 Jan
    assert add_business_days(cal, date(2026, 1, 27), -1) == date(2026, 1, 23)
    assert business_days_between(cal, date(2026, 1, 23), date(2026, 1, 27)) == 1
    assert business_days_between(cal, date(2026, 1, 27), date(2026, 1, 23)) == -1
    assert WeekendCalendar(frozenset({date(2026, 1, 7)})).is_business_day(date(2026, 1, 7)) is False


def test_one_centre_is_the_same_calendar_for_hours_risk_and_recon() -> None:
    hours = service_calendar("AUSY")
    risk = calendar_for(("AUSY",))
    recon = NamedCalendar("Australia")
    for day in (AUSTRALIA_DAY, date(2026, 1, 27), date(2026, 1, 24)):
        expected = day.weekday() < 5 and day != AUSTRALIA_DAY
        assert hours.is_business_day(day) is expected
        assert bool(risk.isBusinessDay(ql.Date(day.day, day.month, day.year))) is expected
        assert recon.is_business_day(day) is expected


def test_a_joint_calendar_is_good_only_where_every_centre_is() -> None:
    joint = joint_calendar(("AUSY", "GBLO"))
    assert not joint.isBusinessDay(ql.Date(26, 1, 2026))  # Australia Day
    assert not joint.isBusinessDay(ql.Date(25, 8, 2025))  # the English summer bank holiday
    assert joint.isBusinessDay(ql.Date(27, 1, 2026))


def test_recon_counts_business_days_after_the_start_up_to_the_end() -> None:
    weekends = NamedCalendar("WeekendsOnly")
    assert weekends.business_days_between(date(2026, 1, 23), date(2026, 1, 26)) == 1  # Fri -> Mon
    assert NamedCalendar("Australia").business_days_between(date(2026, 1, 23), date(2026, 1, 27)) == 1
    assert weekends.business_days_between(date(2026, 1, 26), date(2026, 1, 23)) == 0
    assert set(CALENDAR_NAMES) == {
        "WeekendsOnly",
        "Australia",
        "UnitedKingdom",
        "UnitedStates",
        "TARGET",
        "Japan",
    }


def test_an_unknown_calendar_says_which_are_known_and_each_caller_names_its_own_reason() -> None:
    with pytest.raises(UnknownCalendar, match="unknown calendar 'Mars'; known: WeekendsOnly, Australia"):
        NamedCalendar("Mars")
    with pytest.raises(UnknownCalendar, match="'CHZU'"):
        service_calendar("CHZU")  # a trade may be adjusted in Zurich; service hours are kept in five centres
    with pytest.raises(Unpriceable) as err:
        calendar_for(("AUSY", "XXXX"), "streams[0].paymentDates")
    assert err.value.issues[0].path == "streams[0].paymentDates"
    assert "XXXX" in err.value.issues[0].message
