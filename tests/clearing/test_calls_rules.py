"""The pure rules of margin calls: amounts per account and currency, due times, intraday thresholds, settling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gateway.clearing.calls import (
    AccountFigures,
    CallSettings,
    CallState,
    due_at,
    eod_calls,
    intraday_calls,
    settle,
)
from gateway.domain.errors import GatewayError

D = Decimal
SYDNEY = ZoneInfo("Australia/Sydney")
FRIDAY = date(2026, 1, 9)


def weekdays(d: date) -> bool:
    return d.weekday() < 5


def test_each_currency_is_called_apart_and_an_excess_calls_nothing() -> None:
    f = AccountFigures(
        "BANKA", "HOUSE", "AUD", im=D("1000.00"), collateral=D("900.00"),
        vm={"AUD": D("50.00"), "USD": D("-30.00"), "EUR": D("20.00")}, pai={"USD": D("0.40")},
    )  # fmt: skip
    due = datetime(2026, 1, 12, 10, tzinfo=SYDNEY)
    calls = {c.currency: c for c in eod_calls([f], FRIDAY, due)}
    # AUD: 1000 IM - 50 VM received - 900 held = 50; USD: 30 VM owed - 0.40 PAI received = 29.60;
    # EUR: the member received 20, owes nothing
    assert {k: c.amount for k, c in calls.items()} == {"AUD": D("50.00"), "USD": D("29.60")}
    assert calls["AUD"].call_id == "EOD-20260109-BANKA-HOUSE-AUD"
    assert calls["USD"].components.collateral == 0  # collateral counts against the base currency only


def test_a_friday_call_is_due_on_monday_at_ten_local() -> None:
    due = due_at(FRIDAY, CallSettings(), SYDNEY, weekdays)
    assert due == datetime(2026, 1, 12, 10, 0, tzinfo=SYDNEY)
    assert due.astimezone(UTC) == datetime(2026, 1, 11, 23, 0, tzinfo=UTC)


def test_an_intraday_threshold_by_currency_or_as_a_fraction_of_im() -> None:
    now = datetime(2026, 1, 9, 8, 31, tzinfo=SYDNEY)
    low = AccountFigures("BANKA", "HOUSE", "AUD", im=D(1000), collateral=D(1050))
    rich = AccountFigures("BANKB", "HOUSE", "AUD", im=D(1000), collateral=D(5000))
    by_fraction = CallSettings(intraday_fraction=D("0.10"))
    [call] = intraday_calls([low, rich], FRIDAY, time(8, 30), now, by_fraction)
    assert (call.member_id, call.amount, call.call_id) == (
        "BANKA",
        D("50.00"),
        "INTRADAY-20260109-0830-BANKA-HOUSE-AUD",
    )
    by_amount = CallSettings(intraday_threshold={"AUD": D(4500)}, intraday_fraction=D("0.10"))
    found = {c.member_id: c.amount for c in intraday_calls([low, rich], FRIDAY, time(8, 30), now, by_amount)}
    # the amount by currency wins over the fraction: back to 4,500 of excess from 50 and from 4,000
    assert found == {"BANKA": D("4450.00"), "BANKB": D("500.00")}
    assert intraday_calls([low], FRIDAY, time(8, 30), now, CallSettings()) == []  # no threshold: no call


def test_settling_in_part_then_in_full_and_the_refusals() -> None:
    [call] = eod_calls(
        [AccountFigures("BANKA", "HOUSE", "AUD", im=D(100), collateral=D(0))],
        FRIDAY,
        datetime(2026, 1, 12, tzinfo=UTC),
    )
    at = datetime(2026, 1, 12, tzinfo=UTC)
    part = settle(call, D(40), True, "ops", at)
    assert (part.state, part.outstanding) == (CallState.ISSUED, D(60))
    done = settle(part, D(60), True, "ops", at)
    assert (done.state, done.outstanding, done.settled_amount) == (CallState.SETTLED, D(0), D(100))
    with pytest.raises(GatewayError, match="settled already"):
        settle(done, D(1), True, "ops", at)
    with pytest.raises(GatewayError) as bad:
        settle(call, D(0), True, "ops", at)
    assert (bad.value.issues[0].code.value, bad.value.issues[0].path) == ("CALL_BAD_AMOUNT", "amount")
