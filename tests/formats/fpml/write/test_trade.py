"""Canonical trade -> FpML ``trade``: valid for every shape, and saying what the trade says."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.formats.fpml.write import FpmlWriteError, trade_document
from gateway.formats.fpml.write.schemes import FPML_NS, UTI
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.conftest import SchemaCheck
from tests.strategies import LEI_A, LEI_B, irs_trades, vanilla_irs

NS = {"f": FPML_NS}


def texts(root: etree._Element, path: str) -> list[str]:
    return [el.text or "" for el in root.xpath(path, namespaces=NS)]


def text(root: etree._Element, path: str) -> str:
    found = texts(root, path)
    assert len(found) == 1, f"{path}: {found}"
    return found[0]


def party_of(root: etree._Element, href: str) -> str:
    """The partyId of the party element a reference points at."""
    return text(root, f"/f:dataDocument/f:party[@id='{href}']/f:partyId")


def write(trade: Trade, assert_valid: SchemaCheck) -> etree._Element:
    return assert_valid(trade_document(trade, source=shapes.SOURCE))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trade=shapes.all_shapes())
def test_every_shape_is_valid_fpml(trade: Trade, assert_valid: SchemaCheck) -> None:
    root = write(trade, assert_valid)
    product = "fra" if trade.product.value == "FRA" else "swap"
    assert root.xpath(f"count(/f:dataDocument/f:trade/f:{product})", namespaces=NS) == 1


@settings(max_examples=30, deadline=None)
@given(trade=irs_trades())
def test_random_vanilla_swaps_are_valid_and_keep_their_economics(
    trade: Trade, assert_valid: SchemaCheck
) -> None:
    root = write(trade, assert_valid)
    fixed, floating = trade.streams
    stream = "/f:dataDocument/f:trade/f:swap/f:swapStream"
    assert [Decimal(t) for t in texts(root, f"{stream}//f:notionalStepSchedule/f:initialValue")] == [
        fixed.notional,
        floating.notional,
    ]
    assert Decimal(text(root, f"{stream}//f:fixedRateSchedule/f:initialValue")) == fixed.fixed_rate
    payer_href = root.xpath(f"{stream}[1]/f:payerPartyReference/@href", namespaces=NS)[0]
    assert party_of(root, payer_href) == fixed.payer
    source_id = text(root, "//f:tradeHeader/f:partyTradeIdentifier/f:versionedTradeId/f:tradeId")
    assert source_id == trade.identifiers.source_trade_id


def test_output_is_deterministic() -> None:
    trade = shapes.amortising()
    assert trade_document(trade, source="S") == trade_document(trade, source="S")


def test_vanilla_swap_streams(assert_valid: SchemaCheck) -> None:
    root = write(shapes.irs(), assert_valid)
    fixed, floating = root.xpath("//f:swapStream", namespaces=NS)
    assert text(fixed, "f:calculationPeriodDates/f:calculationPeriodFrequency/f:rollConvention") == "18"
    assert text(fixed, "f:calculationPeriodAmount/f:calculation/f:dayCountFraction") == "30/360"
    assert not fixed.xpath("f:resetDates", namespaces=NS)
    assert text(floating, ".//f:floatingRateIndex") == "AUD-BBR-BBSW"
    assert texts(floating, ".//f:indexTenor/*") == ["6", "M"]
    assert texts(floating, "f:resetDates/f:fixingDates/f:periodMultiplier") == ["0"]
    assert texts(floating, "f:resetDates/f:fixingDates//f:businessCenter") == ["AUSY"]
    assert (
        text(floating, "f:paymentDates/f:paymentDatesAdjustments/f:businessDayConvention") == "MODFOLLOWING"
    )
    payer = floating.xpath("f:payerPartyReference/@href", namespaces=NS)[0]
    assert party_of(root, payer) == LEI_B
    account = floating.xpath("f:payerAccountReference/@href", namespaces=NS)[0]
    assert text(root, f"//f:account[@id='{account}']/f:accountId") == "CLIENT-7"
    assert root.xpath(f"//f:account[@id='{account}']/f:accountBeneficiary/@href", namespaces=NS) == [payer]


def test_identifiers_source_version_party_ids_and_uti(assert_valid: SchemaCheck) -> None:
    root = write(shapes.ois(), assert_valid)
    ids = root.xpath("//f:tradeHeader/f:partyTradeIdentifier", namespaces=NS)
    assert len(ids) == 3
    source_ref = ids[0].xpath("f:partyReference/@href", namespaces=NS)[0]
    assert party_of(root, source_ref) == shapes.SOURCE
    assert texts(ids[0], "f:versionedTradeId/*") == ["MW-200", "2"]
    assert party_of(root, ids[1].xpath("f:partyReference/@href", namespaces=NS)[0]) == LEI_A
    assert texts(ids[1], "f:tradeId") == ["A-MW-200"]
    assert texts(ids[2], "f:issuer") == [LEI_A]
    assert ids[2].xpath("f:tradeId/@tradeIdScheme", namespaces=NS) == [UTI]
    assert texts(ids[2], "f:tradeId") == ["MW200"]


def test_uti_without_an_lei_prefix_is_written_whole(assert_valid: SchemaCheck) -> None:
    root = write(vanilla_irs(source_trade_id="X1"), assert_valid)
    uti = root.xpath(f"//f:partyTradeIdentifier[f:tradeId/@tradeIdScheme='{UTI}']", namespaces=NS)[0]
    assert texts(uti, "f:tradeId") == ["UTI-X1"]
    assert not uti.xpath("f:issuer", namespaces=NS)


def test_ois_payment_lag_and_daily_resets(assert_valid: SchemaCheck) -> None:
    root = write(shapes.ois(), assert_valid)
    for stream in root.xpath("//f:swapStream", namespaces=NS):
        assert texts(stream, "f:paymentDates/f:paymentDaysOffset/*") == ["2", "D", "Business"]
    floating = root.xpath("//f:swapStream[f:resetDates]", namespaces=NS)[0]
    assert texts(floating, "f:resetDates/f:resetFrequency/*") == ["1", "D"]
    assert text(floating, ".//f:floatingRateIndex") == "AUD-AONIA-OIS-COMPOUND"


def test_basis_spread_and_compounding(assert_valid: SchemaCheck) -> None:
    root = write(shapes.basis(), assert_valid)
    three, six = root.xpath("//f:swapStream", namespaces=NS)
    assert Decimal(text(three, ".//f:spreadSchedule/f:initialValue")) == Decimal("0.0015")
    assert text(three, ".//f:compoundingMethod") == "Flat"
    assert texts(three, "f:paymentDates/f:paymentFrequency/*") == ["6", "M"]
    assert texts(three, "f:calculationPeriodDates/f:calculationPeriodFrequency/f:period") == ["M"]
    assert not six.xpath(".//f:spreadSchedule | .//f:compoundingMethod", namespaces=NS)


def test_amortising_notional_and_stepped_rate(assert_valid: SchemaCheck) -> None:
    trade = shapes.amortising()
    root = write(trade, assert_valid)
    fixed = root.xpath("//f:swapStream", namespaces=NS)[0]
    steps = fixed.xpath(".//f:notionalStepSchedule/f:step", namespaces=NS)
    assert [(text(s, "f:stepDate"), Decimal(text(s, "f:stepValue"))) for s in steps] == [
        (s.date.isoformat(), s.value) for s in trade.streams[0].notional_steps
    ]
    assert texts(fixed, ".//f:fixedRateSchedule/f:step/f:stepValue") == ["0.0550", "0.0575"]


def test_stub_dates_and_roll(assert_valid: SchemaCheck) -> None:
    root = write(shapes.stubbed(), assert_valid)
    dates = root.xpath("//f:swapStream[1]/f:calculationPeriodDates", namespaces=NS)[0]
    assert text(dates, "f:firstRegularPeriodStartDate") == "2026-08-20"
    assert text(dates, "f:lastRegularPeriodEndDate") == "2032-08-20"
    assert text(dates, "f:calculationPeriodFrequency/f:rollConvention") == "20"
    assert texts(dates, "f:effectiveDate/f:dateAdjustments//f:businessCenter") == ["EUTA"]


def test_zero_coupon_pays_once_and_compounds(assert_valid: SchemaCheck) -> None:
    root = write(shapes.zero_coupon(), assert_valid)
    fixed = root.xpath("//f:swapStream[1]", namespaces=NS)[0]
    assert texts(fixed, "f:paymentDates/f:paymentFrequency/*") == ["1", "T"]
    assert text(fixed, ".//f:compoundingMethod") == "Straight"


def test_cross_currency_principal_exchanges(assert_valid: SchemaCheck) -> None:
    root = write(shapes.xccy(), assert_valid)
    for stream in root.xpath("//f:swapStream", namespaces=NS):
        assert texts(stream, "f:principalExchanges/*") == ["true", "true", "false"]
    assert texts(root, "//f:notionalStepSchedule/f:currency") == ["USD", "EUR"]
    assert texts(root, "//f:spreadSchedule/f:initialValue") == ["-0.00125"]


def test_fra(assert_valid: SchemaCheck) -> None:
    trade = shapes.fra()
    root = write(trade, assert_valid)
    fra = root.xpath("//f:fra", namespaces=NS)[0]
    assert party_of(root, fra.xpath("f:buyerPartyReference/@href", namespaces=NS)[0]) == LEI_A
    assert party_of(root, fra.xpath("f:sellerPartyReference/@href", namespaces=NS)[0]) == LEI_B
    assert text(fra, "f:adjustedEffectiveDate") == "2026-06-17"
    assert text(fra, "f:adjustedTerminationDate") == "2026-12-17"
    assert text(fra, "f:calculationPeriodNumberOfDays") == "183"
    assert texts(fra, "f:fixingDateOffset/f:periodMultiplier") == ["-2"]
    effective_id = fra.xpath("f:adjustedEffectiveDate/@id", namespaces=NS)[0]
    assert fra.xpath("f:fixingDateOffset/f:dateRelativeTo/@href", namespaces=NS) == [effective_id]
    assert texts(fra, "f:notional/*") == ["EUR", "25000000"]
    assert text(fra, "f:fixedRate") == "0.0291"
    assert texts(fra, "f:indexTenor/*") == ["6", "M"]
    assert text(fra, "f:fraDiscounting") == "ISDA"
    aud = write(shapes.fra(currency="AUD", index="AUD-BBR-BBSW"), assert_valid)
    assert text(aud, "//f:fraDiscounting") == "ISDA"  # the canonical FRA is ISDA-settled


def test_venue_and_sub_block_flag(assert_valid: SchemaCheck) -> None:
    root = write(shapes.fra(), assert_valid)
    info = root.xpath("//f:tradeHeader/f:partyTradeInformation", namespaces=NS)
    assert len(info) == 1
    related = info[0].xpath("f:relatedParty", namespaces=NS)[0]
    assert texts(related, "f:role") == ["ExecutionFacility"]
    assert party_of(root, related.xpath("f:partyReference/@href", namespaces=NS)[0]) == shapes.VENUE
    assert texts(info[0], "f:category") == ["SubBlock"]
    assert not write(shapes.irs(), assert_valid).xpath("//f:partyTradeInformation", namespaces=NS)


def test_decimals_are_written_without_exponent(assert_valid: SchemaCheck) -> None:
    trade = vanilla_irs(notional=Decimal("1E+7"), fixed_rate=Decimal("1E-5"))
    root = write(trade, assert_valid)
    assert texts(root, "//f:notionalStepSchedule/f:initialValue") == ["10000000", "10000000"]
    assert text(root, "//f:fixedRateSchedule/f:initialValue") == "0.00001"


# ---------------------------------------------------------------- what cannot be written


def _issue(exc: pytest.ExceptionInfo[FpmlWriteError]) -> tuple[ReasonCode, str]:
    return exc.value.code, exc.value.path


def test_control_character_in_an_identifier_cannot_reach_the_writer() -> None:
    """The canonical trade refuses an identifier no status could carry, so no status is left unwritable."""
    with pytest.raises(TradeInvalid) as exc:
        vanilla_irs(source_trade_id="MW\x01")
    assert [(i.code, i.path) for i in exc.value.issues] == [(ReasonCode.FPML_INVALID_VALUE, "tradeHeader")]
    assert "U+0001" in exc.value.issues[0].message


def test_control_character_in_the_source_is_refused_by_the_writer() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        trade_document(vanilla_irs(), source="S\x01")
    assert "U+0001" in exc.value.issues[0].message


def test_identifier_longer_than_the_scheme_allows_is_refused() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        trade_document(vanilla_irs(source_trade_id="M" * 256), source="S")
    assert _issue(exc) == (ReasonCode.FPML_INVALID_VALUE, "tradeHeader.tradeId")


def test_unknown_roll_convention_is_refused() -> None:
    trade = shapes.irs()
    bad = replace(trade, streams=(replace(trade.streams[0], roll_convention="31"), trade.streams[1]))
    with pytest.raises(FpmlWriteError) as exc:
        trade_document(bad, source="S")
    assert _issue(exc) == (ReasonCode.FPML_UNKNOWN_CODE, "stream1.calculationPeriodFrequency.rollConvention")


def test_fra_that_is_not_one_fixed_and_one_floating_leg_is_refused() -> None:
    trade = shapes.fra()
    fixed = trade.streams[0]
    both_fixed = replace(trade, streams=(fixed, replace(fixed, payer=fixed.receiver, receiver=fixed.payer)))
    with pytest.raises(FpmlWriteError) as exc:
        trade_document(both_fixed, source="S")
    assert _issue(exc) == (ReasonCode.FPML_INVALID_VALUE, "streams")


def test_fra_legs_with_different_notionals_are_refused() -> None:
    trade = shapes.fra()
    fixed, floating = trade.streams
    with pytest.raises(FpmlWriteError) as exc:
        trade_document(replace(trade, streams=(fixed, replace(floating, notional=Decimal(1)))), source="S")
    assert _issue(exc) == (ReasonCode.FPML_INVALID_VALUE, "streams.notional")
