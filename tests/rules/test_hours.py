"""Service hours on Sydney business days, queueing to the open, and the backloading schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode as R
from gateway.rules.hours import ServiceHours, hours_calendar
from gateway.rules.settings import BackloadSettings, ClearingSettings, ServiceHoursSettings, ShortfallAction

HOURS = ServiceHours(ServiceHoursSettings(), BackloadSettings())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        (utc(2026, 1, 7, 0, 0), True, utc(2026, 1, 7, 0, 0)),  # Wed 11:00 AEDT
        (utc(2026, 1, 7, 9, 59), True, utc(2026, 1, 7, 9, 59)),  # Wed 20:59
        (utc(2026, 1, 7, 10, 0), False, utc(2026, 1, 7, 19, 0)),  # Wed 21:00 -> Thu 06:00
        (utc(2026, 1, 6, 18, 59), False, utc(2026, 1, 6, 19, 0)),  # Wed 05:59 -> Wed 06:00
        (utc(2026, 1, 9, 12, 0), False, utc(2026, 1, 11, 19, 0)),  # Fri 23:00 -> Mon 06:00
        (utc(2026, 1, 10, 1, 0), False, utc(2026, 1, 11, 19, 0)),  # Sat noon -> Mon 06:00
        (utc(2026, 1, 26, 1, 0), False, utc(2026, 1, 26, 19, 0)),  # Australia Day -> Tue 06:00
        (utc(2026, 6, 10, 0, 0), True, utc(2026, 6, 10, 0, 0)),  # Wed 10:00 AEST (winter, UTC+10)
        (utc(2026, 6, 10, 11, 30), False, utc(2026, 6, 10, 20, 0)),  # Wed 21:30 AEST -> Thu 06:00 AEST
    ],
)
def test_service_window(at: datetime, is_open: bool, next_open: datetime) -> None:
    assert HOURS.is_open(at) is is_open
    assert HOURS.next_open(at) == next_open


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_next_open_is_open_and_never_in_the_past(at: datetime) -> None:
    nxt = HOURS.next_open(at)
    assert nxt >= at
    assert HOURS.is_open(nxt)
    assert HOURS.business_date(at) == nxt.astimezone(HOURS.tz).date()


def test_timing_queues_outside_hours_and_backloads_old_trades() -> None:
    inside = HOURS.timing(utc(2026, 1, 7, 0, 0), date(2026, 1, 5))  # two business days old: not a backload
    assert (inside.queued_for_hours, inside.backload, inside.business_date) == (
        False,
        False,
        date(2026, 1, 7),
    )
    night = HOURS.timing(utc(2026, 1, 7, 12, 0), date(2026, 1, 7))
    assert (night.queued_for_hours, night.backload, night.business_date) == (True, False, date(2026, 1, 8))
    old = HOURS.timing(utc(2026, 1, 7, 0, 0), date(2026, 1, 2))  # three business days old
    assert (old.backload, old.business_date, old.due_at) == (True, date(2026, 1, 8), utc(2026, 1, 7, 19, 0))


def test_shipped_settings_and_bad_settings() -> None:
    s = ClearingSettings.load()
    assert s.service_hours.open == time(6, 0)
    assert s.credit.on_shortfall is ShortfallAction.PEND
    with pytest.raises(InputRejected) as err:
        ClearingSettings.from_toml("[service_hours]\nopen = '22:00'\nclose = '21:00'\n")
    assert err.value.code is R.REF_INVALID_INPUT
    assert err.value.path == "service_hours.close"
    with pytest.raises(InputRejected) as err:
        ClearingSettings.from_toml("[credit]\non_shortfall = 'maybe'\n")
    assert err.value.path == "credit.on_shortfall"
    with pytest.raises(InputRejected) as err:
        ClearingSettings.from_toml("[service_hours]\ntimezone = 'Mars/Olympus'\n")
    assert err.value.path == "service_hours.timezone"
    with pytest.raises(InputRejected) as err:
        ClearingSettings.from_toml("[credit]\ntolerance_by_score = [1, 2, 3]\n")
    assert err.value.path == "credit.tolerance_by_score"
    assert s.credit.tolerance_for(3) == 50_000_000
    with pytest.raises(InputRejected) as err:
        hours_calendar("XXXX")
    assert err.value.path == "service_hours.calendar"
    assert "unknown calendar 'XXXX'; known: WEEKENDS, AUSY" in err.value.issues[0].message
