from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given

from gateway.domain import (
    InputRejected,
    PackageRef,
    Period,
    PeriodUnit,
    ReasonCode,
    Trade,
    TradeInvalid,
    codec,
)
from tests.strategies import LEI_A, irs_trades, vanilla_irs


@given(irs_trades())
def test_json_round_trip_is_lossless(trade: Trade) -> None:
    assert codec.loads(codec.dumps(trade)) == trade


def test_json_uses_snake_case_and_iso_dates() -> None:
    data = json.loads(codec.dumps(vanilla_irs()))
    assert data["trade_date"] == "2026-01-05"
    assert data["product"] == "IRS"
    fixed, floating = data["streams"]
    assert fixed["fixed_rate"] == 0.0525
    assert fixed["day_count"] == "30/360"
    assert floating["floating_index"] == "EUR-EURIBOR-Telerate"
    assert floating["index_tenor"] == "6M"
    assert floating["effective_date"] == "2026-01-07"
    assert floating["termination_date"] == "2036-01-07"


def test_decimal_that_a_float_cannot_carry_is_written_as_a_string() -> None:
    t = vanilla_irs(notional=Decimal("12345678901234567.89"))
    text = codec.dumps(t)
    assert '"12345678901234567.89"' in text
    assert codec.loads(text).notional == Decimal("12345678901234567.89")


def test_stream_with_termination_before_effective_is_refused() -> None:
    t = vanilla_irs()
    with pytest.raises(TradeInvalid) as err:
        dataclasses.replace(t.streams[0], termination_date=date(2025, 1, 1))
    assert err.value.code is ReasonCode.FPML_DATE_ORDER


def test_negative_notional_is_refused() -> None:
    with pytest.raises(TradeInvalid) as err:
        dataclasses.replace(vanilla_irs().streams[0], notional=Decimal(-1))
    assert err.value.code is ReasonCode.FPML_NOTIONAL_NOT_POSITIVE


def test_stream_with_both_fixed_rate_and_index_is_refused() -> None:
    with pytest.raises(TradeInvalid) as err:
        dataclasses.replace(
            vanilla_irs().streams[0],
            floating_index="EUR-EURIBOR-Telerate",
            index_tenor=Period(6, PeriodUnit.MONTH),
        )
    assert err.value.code is ReasonCode.FPML_MISSING_FIELD


def test_same_party_on_both_sides_is_refused() -> None:
    t = vanilla_irs()
    with pytest.raises(TradeInvalid) as err:
        dataclasses.replace(t, parties=(t.parties[0], t.parties[0]))
    assert err.value.code is ReasonCode.FPML_PARTIES_NOT_DISTINCT


def test_json_reader_names_the_bad_field() -> None:
    data = json.loads(codec.dumps(vanilla_irs()))
    data["streams"][1]["day_count"] = "ACT/999"
    with pytest.raises(InputRejected) as err:
        codec.trade_from_dict(data)
    assert err.value.code is ReasonCode.FPML_UNKNOWN_CODE
    assert err.value.path == "trade.streams[1].day_count"


def test_json_reader_refuses_non_numeric_notional() -> None:
    data = json.loads(codec.dumps(vanilla_irs()))
    data["streams"][0]["notional"] = "lots"
    with pytest.raises(InputRejected) as err:
        codec.trade_from_dict(data)
    assert err.value.path == "trade.streams[0].notional"


def test_period_parse() -> None:
    assert Period.parse("6m") == Period(6, PeriodUnit.MONTH)
    assert str(Period.parse("1T")) == "1T"
    assert Period.parse("-2D").multiplier == -2
    with pytest.raises(TradeInvalid):
        Period.parse("six months")
    assert vanilla_irs().party(LEI_A).name == "Bank A"


def test_a_trades_package_round_trips_and_a_trade_outside_one_has_no_package_key() -> None:
    plain = vanilla_irs()
    assert "package" not in json.loads(codec.dumps(plain))  # the stored JSON of other trades is unchanged
    for package in (PackageRef("SW-1", 2, 1, "SEF"), PackageRef(None, 3)):
        trade = dataclasses.replace(plain, package=package)
        assert codec.loads(codec.dumps(trade)) == trade


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("P", 0, None, "I"), "originatingPackage.size"),
        (("P", 2, 3, "I"), "originatingPackage.sequenceNumber"),
        (("P", 2, 1, None), "originatingPackage.packageIdentifier"),
        ((" ", 2, 1, "I"), "originatingPackage.packageIdentifier"),
    ],
)
def test_an_impossible_package_is_refused_naming_the_field(
    args: tuple[str | None, int, int | None, str | None], path: str
) -> None:
    with pytest.raises(TradeInvalid) as err:
        PackageRef(*args)
    assert err.value.path == path
