"""The message writers on their own: every shape the business messages allow, and what they refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from lxml import etree

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.messages import ClearingConfirmation, ClearingRefusal, ClearingStatusReport, MessageHeader
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.domain.trade import PartyTradeId
from gateway.formats.fpml.write import (
    FpmlWriteError,
    clearing_acknowledgement,
    clearing_confirmed,
    clearing_refused,
    clearing_status,
)
from gateway.formats.fpml.write.schemes import FPML_NS
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.cases import AT
from tests.formats.fpml.write.conftest import SchemaCheck

NS = {"f": FPML_NS}
HEADER = MessageHeader("CCP-1", "EXCLEAR", ("MARKITWIRE",), AT, "SRC-1")


def texts(root: etree._Element, path: str) -> list[str]:
    return [el.text or "" for el in root.xpath(path, namespaces=NS)]


def report(**changes: object) -> ClearingStatusReport:
    base = ClearingStatusReport(HEADER, ClearingStatusCode.PENDING, shapes.irs(), "CORR-1", 1)
    return replace(base, **changes)  # type: ignore[arg-type]


def refusal(*issues: Issue) -> ClearingRefusal:
    return ClearingRefusal(HEADER, shapes.irs(), issues, "CORR-1", 2)


def expect(code: ReasonCode, path: str, exc: pytest.ExceptionInfo[FpmlWriteError]) -> None:
    assert (exc.value.code, exc.value.path) == (code, path), exc.value.issues


def test_naive_creation_time_is_refused() -> None:
    header = replace(HEADER, creation_timestamp=datetime(2026, 3, 16, 9, 30))
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(header=header), source="S")
    expect(ReasonCode.FPML_INVALID_VALUE, "header.creationTimestamp", exc)


def test_missing_creation_time_is_refused_rather_than_read_from_a_clock() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(header=replace(HEADER, creation_timestamp=None)), source="S")
    expect(ReasonCode.FPML_MISSING_FIELD, "header.creationTimestamp", exc)


def test_acknowledgement_needs_the_request_it_answers() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_acknowledgement(report(header=replace(HEADER, in_reply_to=None)), source="S")
    expect(ReasonCode.FPML_MISSING_FIELD, "header.inReplyTo", exc)


def test_acknowledgement_without_correlation_id_correlates_on_the_source_trade_id(
    assert_valid: SchemaCheck,
) -> None:
    root = assert_valid(
        clearing_acknowledgement(report(correlation_id=None, sequence_number=None), source="S")
    )
    assert texts(root, "f:correlationId") == ["MW-100"]


def test_acknowledgement_of_a_trade_known_by_ids(assert_valid: SchemaCheck) -> None:
    ids = (PartyTradeId("MARKITWIRE", "MW-900"),)
    root = assert_valid(
        clearing_acknowledgement(report(trade=None, trade_ids=ids, correlation_id=None), source="S")
    )
    assert texts(root, "f:correlationId") == ["MW-900"]
    assert texts(root, "f:tradeReferenceInformation/f:partyTradeIdentifier/f:tradeId") == ["MW-900"]


def test_status_by_identifiers_with_status_applies_to(assert_valid: SchemaCheck) -> None:
    ids = (PartyTradeId("MARKITWIRE", "MW-900"), PartyTradeId(shapes.LEI_A, "A-900", "http://a.example/id"))
    data = clearing_status(report(trade=None, trade_ids=ids, status_applies_to=(shapes.LEI_A,)), source="S")
    root = assert_valid(data)
    item = root.xpath("f:clearingStatusItem", namespaces=NS)[0]
    assert texts(item, "f:tradeIdentifier/f:tradeId") == ["MW-900", "A-900"]
    applies = item.xpath("f:statusAppliesTo/@href", namespaces=NS)
    assert texts(root, f"f:party[@id='{applies[0]}']/f:partyId") == [shapes.LEI_A]


def test_status_naming_no_trade_is_refused() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(trade=None), source="S")
    expect(ReasonCode.SCOPE_NO_TRADE, "clearingStatusItem", exc)


def test_status_applying_to_three_parties_is_refused() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(status_applies_to=("A", "B", "C")), source="S")
    expect(ReasonCode.FPML_INVALID_VALUE, "statusAppliesTo", exc)


def test_sequence_number_needs_a_correlation_id() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(correlation_id=None, sequence_number=3), source="S")
    expect(ReasonCode.FPML_MISSING_FIELD, "correlationId", exc)


def test_non_positive_sequence_number_is_refused() -> None:
    with pytest.raises(FpmlWriteError) as exc:
        clearing_status(report(sequence_number=0), source="S")
    expect(ReasonCode.FPML_INVALID_VALUE, "sequenceNumber", exc)


def test_confirmation_cleared_trade_must_face_the_ccp() -> None:
    trade = shapes.irs()
    confirmation = ClearingConfirmation(HEADER, trade, (trade, trade), shapes.LEI_CCP)
    with pytest.raises(FpmlWriteError) as exc:
        clearing_confirmed(confirmation, source="S")
    expect(ReasonCode.FPML_PARTIES_NOT_DISTINCT, "clearing.cleared[0]", exc)


def test_confirmation_of_a_novation_has_two_cleared_trades() -> None:
    trade = shapes.irs()
    confirmation = ClearingConfirmation(HEADER, trade, shapes.novate(trade)[:1], shapes.LEI_CCP)
    with pytest.raises(FpmlWriteError) as exc:
        clearing_confirmed(confirmation, source="S")
    expect(ReasonCode.FPML_INVALID_VALUE, "clearing.cleared", exc)


def test_confirmation_of_a_single_trade_with_its_originating_event(assert_valid: SchemaCheck) -> None:
    cleared = shapes.novate(shapes.irs())[0]
    confirmation = ClearingConfirmation(
        HEADER, None, (cleared,), shapes.LEI_CCP, originating_event="Exercise"
    )
    root = assert_valid(clearing_confirmed(confirmation, source="S"))
    assert texts(root, "f:originatingEvent") == ["Exercise"]
    assert len(root.xpath("f:trade", namespaces=NS)) == 1
    assert not root.xpath("f:clearing", namespaces=NS)


def test_confirmation_names_the_originating_event_of_a_novation(assert_valid: SchemaCheck) -> None:
    trade = shapes.irs()
    confirmation = ClearingConfirmation(
        HEADER, trade, shapes.novate(trade), shapes.LEI_CCP, originating_event="Backload"
    )
    root = assert_valid(clearing_confirmed(confirmation, source="S"))
    assert texts(root, "f:clearing/f:cleared/f:originatingEvent") == ["Backload", "Backload"]


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_code_can_be_sent_in_a_refusal(code: ReasonCode, assert_valid: SchemaCheck) -> None:
    root = assert_valid(clearing_refused(refusal(Issue(code, "tradeHeader/tradeDate", "why")), source="S"))
    assert texts(root, "f:reason/f:reasonCode") == [REASONS[code].fpml_reason]
    assert texts(root, "f:reason/f:validationRuleId") == [code.value]


def test_codes_sharing_an_fpml_reason_stay_distinguishable(assert_valid: SchemaCheck) -> None:
    assert (
        REASONS[ReasonCode.FPML_MISSING_FIELD].fpml_reason
        == REASONS[ReasonCode.FIX_MISSING_FIELD].fpml_reason
    )
    data = clearing_refused(
        refusal(
            Issue(ReasonCode.FPML_MISSING_FIELD, "a", "x"), Issue(ReasonCode.FIX_MISSING_FIELD, "b", "y")
        ),
        source="S",
    )
    root = assert_valid(data)
    assert texts(root, "f:reason/f:validationRuleId") == ["FPML_MISSING_FIELD", "FIX_MISSING_FIELD"]


def test_reason_text_with_markup_characters_is_escaped_not_lost(assert_valid: SchemaCheck) -> None:
    issue = Issue(ReasonCode.FPML_INVALID_VALUE, "swapStream[1]", 'rate "<0" & not </description>')
    root = assert_valid(clearing_refused(refusal(issue), source="S"))
    assert texts(root, "f:reason/f:description") == [issue.message]


def test_reason_quoting_a_control_character_is_still_sent_with_it_made_visible(
    assert_valid: SchemaCheck,
) -> None:
    issue = Issue(ReasonCode.XML_MALFORMED, "line 3\x0b", "byte \x00 in input, then \ufffe")
    root = assert_valid(clearing_refused(refusal(issue), source="S"))
    assert texts(root, "f:reason/f:description") == ["byte \\x00 in input, then \\ufffe"]
    assert texts(root, "f:reason/f:location") == ["line 3\\x0b"]
