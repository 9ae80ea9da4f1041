"""Normalisation rules beyond the golden examples: product classes, identifiers, packages, accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.enums import ProductClass
from gateway.domain.errors import InputRejected
from gateway.domain.messages import ClearingRequest, TradeDocument
from gateway.domain.values import Period
from gateway.formats.fpml.read import FpmlOptions, parse_fpml, parse_trade_xml
from tests.formats.fpml.read.helpers import VANILLA, drop, find_all, load, set_text, to_bytes


@pytest.mark.official_fpml
def test_zero_coupon_when_the_fixed_leg_pays_once() -> None:
    """ird-ex32 without its pre-effective accrual start: a 30y GBP zero-coupon swap."""
    root = drop(
        load("products/interest-rate-derivatives/ird-ex32-zero-coupon-swap.xml"),
        "trade/swap/swapStream/calculationPeriodDates/firstPeriodStartDate",
    )
    parsed = parse_fpml(to_bytes(root))
    (trade,) = parsed.trades
    assert trade.product is ProductClass.ZERO_COUPON
    fixed, floating = trade.streams
    assert fixed.fixed_rate == Decimal("0.03")
    assert fixed.calculation_frequency == Period.parse("1Y")
    assert fixed.payment_frequency == Period.parse("1T")
    assert floating.compounding_method.value == "Flat"
    assert floating.calculation_frequency == Period.parse("3M")
    assert floating.index_tenor == Period.parse("6M")
    assert trade.maturity_date == date(2035, 2, 22)
    # the execution notification names accounts by beneficiary: one each
    assert [p.account for p in trade.parties] == ["PRIM_450", "CROSS_560"]


@pytest.mark.official_fpml
def test_sonia_ois_with_uti_as_the_only_identifier() -> None:
    """GBP-OIS-uti without its upfront fee: SONIA compounded is overnight, so the trade is an OIS."""
    root = drop(load("cdm-samples/fpml-5-10/products/rates/GBP-OIS-uti.xml"), "trade/swap/additionalPayment")
    trade = parse_trade_xml(to_bytes(root))
    assert trade.product is ProductClass.OIS
    assert trade.identifiers.uti == "54930084UKLVMY22DS16UITD7895394"
    assert trade.identifiers.source_trade_id == trade.identifiers.uti
    assert trade.identifiers.party_trade_ids == ()
    floating = trade.streams[1]
    assert floating.floating_index == "GBP-SONIA-COMPOUND"
    assert floating.index_tenor == Period.parse("1D")


def _package() -> bytes:
    root = load("business-processes/packages/pkg-ex60-request-clearing.xml")
    for el in find_all(
        root,
        "tradePackage/trade/swap/swapStream/calculationPeriodAmount/calculation/floatingRateCalculation/floatingRateIndex",
    ):
        el.text = "USD-LIBOR-BBA"
    return to_bytes(root)


@pytest.mark.official_fpml
def test_package_returns_every_trade_with_venue_and_client_account() -> None:
    parsed = parse_fpml(_package())
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.package_id == "123"
    assert parsed.message.correlation_id == "234231132"
    assert [t.identifiers.source_trade_id for t in parsed.trades] == ["1", "2"]
    for trade in parsed.trades:
        assert trade.execution_venue == "549300RE0FSXJE8G1L65"  # the SEF, ExecutionFacility of the package
        fcm = trade.party("969500A1DO2476C1ZL52")
        assert fcm.account == "1111"  # the client account the FCM clears for
        assert trade.party("FB0QLOLRQ9EUQ13C5P60").account is None
    assert parsed.trades[1].streams[1].fixed_rate == Decimal("0.01002")


@pytest.mark.official_fpml
def test_package_reports_every_failing_trade_not_just_the_first() -> None:
    root = load("business-processes/packages/pkg-ex60-request-clearing.xml")
    set_text(
        root,
        "tradePackage/trade/swap/swapStream/calculationPeriodAmount/calculation/dayCountFraction",
        "ACT/999",
    )
    with pytest.raises(InputRejected) as caught:
        parse_fpml(to_bytes(root))
    paths = [i.path for i in caught.value.issues]
    assert any(p.startswith("/requestClearing/tradePackage/trade[1]/") for p in paths)
    assert any(p.startswith("/requestClearing/tradePackage/trade[2]/") for p in paths)


@pytest.mark.official_fpml
def test_data_document_with_partial_option_returns_good_trades_and_failures() -> None:
    root = load(VANILLA)
    trade = find_all(root, "trade")[0]
    bad = load(VANILLA).find("{http://www.fpml.org/FpML-5/confirmation}trade")
    assert bad is not None
    set_text(bad, "swap/swapStream/calculationPeriodAmount/calculation/dayCountFraction", "ACT/999", index=0)
    local_ids = {el.get("id") for el in bad.iter() if el.get("id")}
    for el in bad.iter():
        for attr in ("id", "href"):
            if el.get(attr) in local_ids:
                el.set(attr, f"{el.get(attr)}-2")
    trade.addnext(bad)
    data = to_bytes(root)
    with pytest.raises(InputRejected):
        parse_fpml(data)
    parsed = parse_fpml(data, options=FpmlOptions(allow_partial=True))
    assert isinstance(parsed.message, TradeDocument)
    assert len(parsed.trades) == 1
    (failure,) = parsed.failures
    assert failure.index == 1
    assert failure.issues[0].code.value == "FPML_UNKNOWN_CODE"
    assert failure.issues[0].path.startswith("/dataDocument/trade[2]/")


@pytest.mark.official_fpml
def test_retraction_without_a_trade_is_a_request_marked_retracted() -> None:
    root = load(
        "business-processes/option-exercise-expiry/msg-ex114-clearing-requested-from-swaption-exercise.xml"
    )
    root.tag = "{http://www.fpml.org/FpML-5/confirmation}requestClearingRetracted"
    drop(root, "isCorrection")
    parsed = parse_fpml(to_bytes(root))
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.retracted
    assert parsed.message.correlation_id == "TRD0001"


@pytest.mark.official_fpml
def test_parse_trade_xml_refuses_a_document_without_a_trade() -> None:
    data = to_bytes(load("business-processes/clearing/msg-ex01-clearing-status.xml"))
    with pytest.raises(InputRejected) as caught:
        parse_trade_xml(data)
    assert caught.value.code.value == "SCOPE_NO_TRADE"


@pytest.mark.official_fpml
def test_sender_trade_id_is_preferred_as_source_id() -> None:
    root = load(VANILLA)
    # a requestClearing-like header is not present on a dataDocument; the first party id wins
    assert parse_trade_xml(to_bytes(root)).identifiers.source_trade_id == "TW9235"
    ptis = find_all(root, "trade/tradeHeader/partyTradeIdentifier")
    ptis[0].addprevious(ptis[1])  # party2's id first in document order
    assert parse_trade_xml(to_bytes(root)).identifiers.source_trade_id == "SW2000"


@pytest.mark.official_fpml
def test_identifiers_keep_non_xml_white_space() -> None:
    """Only space, tab, CR and LF are trimmed: a no-break space is part of the identifier."""
    root = set_text(load(VANILLA), "trade/tradeHeader/partyTradeIdentifier/tradeId", " TW9235\u00a0\n", 0)
    assert parse_trade_xml(to_bytes(root)).identifiers.source_trade_id == "TW9235\u00a0"


@pytest.mark.official_fpml
def test_parties_follow_the_document_party_order() -> None:
    root = load(VANILLA)
    parties = find_all(root, "party")
    parties[0].addprevious(parties[1])  # party2 first in the document
    trade = parse_trade_xml(to_bytes(root))
    assert [p.party_id for p in trade.parties] == ["529900DTJ5A7S5UCBB52", "549300VBWWV6BYQOWM67"]
    assert trade.streams[0].payer == "549300VBWWV6BYQOWM67"  # economics unchanged


def test_status_written_by_our_writer_reads_back_with_exact_reasons() -> None:
    """A real round trip through gateway.formats.fpml.write (the writers), not a double."""
    from gateway.domain.enums import ClearingStatusCode
    from gateway.domain.errors import Issue
    from gateway.domain.messages import ClearingStatusReport, MessageHeader
    from gateway.domain.reasons import ReasonCode
    from gateway.formats.fpml.write import clearing_status
    from tests.strategies import vanilla_irs

    trade = vanilla_irs()
    reasons = (
        Issue(ReasonCode.FIX_MISSING_FIELD, "tag 55", "Symbol missing"),
        Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "party[1]", "needs 1.2m more"),
    )
    from datetime import UTC, datetime

    header = MessageHeader("M-1", "CCP", ("MARKITWIRE",), datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    report = ClearingStatusReport(header, ClearingStatusCode.PENDING, trade, "C-1", 3, reasons)
    parsed = parse_fpml(clearing_status(report, source="MARKITWIRE"))
    message = parsed.message
    assert parsed.trades[0].streams == trade.streams
    assert parsed.trades[0].identifiers.source_trade_id == trade.identifiers.source_trade_id
    assert message.status is ClearingStatusCode.PENDING  # type: ignore[union-attr]
    assert message.reasons == reasons  # type: ignore[union-attr]
    assert message.correlation_id == "C-1"  # type: ignore[union-attr]


@pytest.mark.official_fpml
def test_consent_and_confirmation_requests_carry_their_trade() -> None:
    for name in ("requestConsent", "requestConfirmation"):
        root = load(
            "business-processes/option-exercise-expiry/msg-ex114-clearing-requested-from-swaption-exercise.xml"
        )
        root.tag = f"{{http://www.fpml.org/FpML-5/confirmation}}{name}"
        parsed = parse_fpml(to_bytes(root))
        assert parsed.message_type.value == name
        assert isinstance(parsed.message, TradeDocument)
        assert parsed.message.trades == parsed.trades
        assert parsed.message.header is not None
        assert parsed.message.header.message_id == "R00ABC1"
        assert parsed.trades[0].identifiers.source_trade_id == "123"
