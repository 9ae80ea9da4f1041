"""FpML rules the schema cannot express; every issue of a document is reported, each with its path."""

from __future__ import annotations

import pytest

from gateway.domain.errors import InputRejected
from gateway.formats.fpml.read import FpmlOptions, parse_fpml
from tests.formats.fpml.read.helpers import VANILLA, find_all, load, set_text, to_bytes

CALC = "trade/swap/swapStream/calculationPeriodAmount/calculation"


def _issues(data: bytes, options: FpmlOptions | None = None) -> list[tuple[str, str]]:
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=options)
    return [(i.code.value, i.path) for i in caught.value.issues]


@pytest.mark.official_fpml
def test_all_issues_are_collected() -> None:
    root = load(VANILLA)
    set_text(root, f"{CALC}/dayCountFraction", "ACT/366", 0)
    set_text(root, f"{CALC}/floatingRateCalculation/floatingRateIndex", "XXX-NOT-AN-INDEX")
    set_text(
        root,
        "trade/swap/swapStream/calculationPeriodDates/terminationDate/dateAdjustments/businessCenters/businessCenter",
        "MARS",
    )
    set_text(root, f"{CALC}/notionalSchedule/notionalStepSchedule/initialValue", "0", 1)
    issues = _issues(to_bytes(root))
    codes = sorted(c for c, _ in issues)
    assert codes == [
        "FPML_NOTIONAL_NOT_POSITIVE",
        "FPML_UNKNOWN_CODE",
        "FPML_UNKNOWN_CODE",
        "FPML_UNKNOWN_CODE",
    ]
    paths = dict((p, c) for c, p in issues)
    assert (
        "/dataDocument/trade/swap/swapStream[1]/calculationPeriodAmount/calculation/floatingRateCalculation/floatingRateIndex"
        in paths
    )
    assert (
        "/dataDocument/trade/swap/swapStream[1]/calculationPeriodDates/terminationDate/dateAdjustments/businessCenters/businessCenter"
        in paths
    )


@pytest.mark.official_fpml
def test_dates_out_of_order() -> None:
    root = set_text(
        load(VANILLA),
        "trade/swap/swapStream/calculationPeriodDates/terminationDate/unadjustedDate",
        "1994-01-01",
        0,
    )
    assert _issues(to_bytes(root)) == [
        ("FPML_DATE_ORDER", "/dataDocument/trade/swap/swapStream[1]/calculationPeriodDates/terminationDate")
    ]


@pytest.mark.official_fpml
def test_step_date_outside_the_stream_is_a_date_order_issue() -> None:
    root = load("products/interest-rate-derivatives/ird-ex02-stub-amort-swap.xml")
    set_text(root, f"{CALC}/notionalSchedule/notionalStepSchedule/step/stepDate", "2005-12-14", 0)
    issues = _issues(to_bytes(root))
    assert issues == [
        (
            "FPML_DATE_ORDER",
            "/dataDocument/trade/swap/swapStream[1]/calculationPeriodAmount/calculation/notionalSchedule"
            "/notionalStepSchedule/step",
        )
    ]


@pytest.mark.official_fpml
def test_stub_date_outside_the_stream_names_its_element() -> None:
    root = load("products/interest-rate-derivatives/ird-ex02-stub-amort-swap.xml")
    set_text(
        root, "trade/swap/swapStream/calculationPeriodDates/firstRegularPeriodStartDate", "1990-06-14", 0
    )
    assert _issues(to_bytes(root)) == [
        (
            "FPML_DATE_ORDER",
            "/dataDocument/trade/swap/swapStream[1]/calculationPeriodDates/firstRegularPeriodStartDate",
        )
    ]


@pytest.mark.official_fpml
def test_unresolved_href() -> None:
    root = load(VANILLA)
    find_all(root, "trade/swap/swapStream/payerPartyReference")[0].set("href", "nobody")
    assert _issues(to_bytes(root)) == [
        ("FPML_HREF_UNRESOLVED", "/dataDocument/trade/swap/swapStream[1]/payerPartyReference")
    ]


@pytest.mark.official_fpml
def test_two_distinct_parties_are_required() -> None:
    root = load(VANILLA)
    find_all(root, "trade/swap/swapStream/receiverPartyReference")[0].set("href", "party1")
    issues = _issues(to_bytes(root))
    assert {c for c, _ in issues} == {"FPML_PARTIES_NOT_DISTINCT"}


@pytest.mark.official_fpml
def test_same_party_id_on_both_sides_is_not_two_parties() -> None:
    root = load(VANILLA)
    set_text(root, "party/partyId", "549300VBWWV6BYQOWM67", 1)
    assert {c for c, _ in _issues(to_bytes(root))} == {"FPML_PARTIES_NOT_DISTINCT"}


@pytest.mark.official_fpml
def test_unknown_business_day_convention_is_caught_by_the_schema() -> None:
    root = set_text(
        load(VANILLA),
        "trade/swap/swapStream/calculationPeriodDates/calculationPeriodDatesAdjustments/businessDayConvention",
        "SOMETIMES",
        0,
    )
    issues = _issues(to_bytes(root), FpmlOptions(explain=False))
    assert issues[0][0] == "SCHEMA_INVALID"
    assert issues[0][1].endswith("businessDayConvention")


@pytest.mark.official_fpml
def test_term_index_without_tenor_is_missing_a_field() -> None:
    from tests.formats.fpml.read.helpers import drop

    root = drop(load(VANILLA), f"{CALC}/floatingRateCalculation/indexTenor")
    assert _issues(to_bytes(root)) == [
        (
            "FPML_MISSING_FIELD",
            "/dataDocument/trade/swap/swapStream[1]/calculationPeriodAmount/calculation/floatingRateCalculation/indexTenor",
        )
    ]


@pytest.mark.official_fpml
def test_scope_refusals_name_the_feature() -> None:
    from lxml import etree

    root = load(VANILLA)
    floating = find_all(root, f"{CALC}/floatingRateCalculation")[0]
    cap = etree.SubElement(floating, "{http://www.fpml.org/FpML-5/confirmation}capRateSchedule")
    etree.SubElement(cap, "{http://www.fpml.org/FpML-5/confirmation}initialValue").text = "0.05"
    issues = _issues(to_bytes(root), FpmlOptions(validate=False))
    assert issues == [
        (
            "SCOPE_CAP_FLOOR",
            "/dataDocument/trade/swap/swapStream[1]/calculationPeriodAmount/calculation/floatingRateCalculation/capRateSchedule",
        )
    ]
