"""``requestConfirmation`` carrying a termination -> LifecycleRequest, with the official schema and the profile."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.domain.errors import InputRejected
from gateway.domain.events import EventKind, EventTerms, NamedTradeId, TradeRef
from gateway.domain.messages import LifecycleRequest, TradeDocument
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId
from gateway.formats.fpml.read import FpmlOptions, parse_fpml
from gateway.formats.fpml.write import schemes
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.cases import amendment_terms, increase_terms, termination_terms
from tools.demo.requests import (
    request_amendment,
    request_clearing,
    request_declear,
    request_reference_update,
    request_termination,
)

AT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
BY_CCP_ID = (NamedTradeId(shapes.LEI_CCP, "CCP-1-A", CCP_TRADE_ID_SCHEME),)
BOTH = (Party(shapes.LEI_A), Party(shapes.LEI_B))


def _request(terms: EventTerms, named: tuple[NamedTradeId, ...] = BY_CCP_ID) -> bytes:
    return request_termination(terms, named, BOTH, source="MARKITWIRE", message_id="EVT-1", at=AT)


@pytest.mark.official_fpml
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_a_partial_termination_with_a_fee_reads_back_as_it_was_written(profile: bool) -> None:
    terms = termination_terms()
    parsed = parse_fpml(_request(terms), options=FpmlOptions(profile=profile))
    assert ("clearing-profile" in parsed.schema) is profile
    message = parsed.message
    assert isinstance(message, LifecycleRequest)
    assert message.header.message_id == "EVT-1"
    assert message.correlation_id == "EVT-1"
    assert message.terms == replace(terms, parties=(shapes.LEI_A, shapes.LEI_B, shapes.LEI_CCP))


@pytest.mark.official_fpml
def test_the_source_may_name_its_own_trade_id_and_version() -> None:
    named = (NamedTradeId("MARKITWIRE", "MW-100", schemes.SOURCE_TRADE_ID, 2),)
    terms = replace(
        termination_terms(full=True, fee=False), trade=TradeRef(source_trade_id="MW-100", version=2)
    )
    message = parse_fpml(_request(terms, named)).message
    assert isinstance(message, LifecycleRequest)
    assert message.terms.trade == TradeRef(source_trade_id="MW-100", version=2)
    assert message.terms.notional.full
    assert message.terms.fee is None


def test_a_termination_naming_the_trade_by_original_trade_is_refused_as_unsupported() -> None:
    ident = (
        b'<tradeIdentifier><partyReference href="party3"/><tradeId tradeIdScheme="'
        + CCP_TRADE_ID_SCHEME.encode()
        + b'">CCP-1-A</tradeId></tradeIdentifier>'
    )
    data = _request(termination_terms()).replace(ident, b"<originalTrade/>")
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=FpmlOptions(profile=True, validate=False))
    codes = {i.code for i in caught.value.issues}
    assert ReasonCode.SCOPE_UNSUPPORTED_FEATURE in codes
    assert ReasonCode.FPML_MISSING_FIELD in codes


def test_a_negative_change_is_refused_by_the_profile_schema() -> None:
    data = _request(termination_terms()).replace(b"<amount>75000000</amount>", b"<amount>-75000000</amount>")
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=FpmlOptions(profile=True, explain=False))
    assert caught.value.code is ReasonCode.SCHEMA_INVALID
    assert "changeInNotionalAmount" in caught.value.path


def test_an_effective_date_that_is_no_date_names_the_field() -> None:
    data = _request(termination_terms()).replace(
        b"<effectiveDate>2026-03-17</effectiveDate>", b"<effectiveDate>soon</effectiveDate>"
    )
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=FpmlOptions(profile=True))
    assert [(i.code, i.path) for i in caught.value.issues] == [
        (ReasonCode.FPML_INVALID_VALUE, "/requestConfirmation/termination/effectiveDate")
    ]


def test_a_request_confirmation_without_an_event_is_still_a_trade_document() -> None:
    data = request_clearing(shapes.irs(), source="MARKITWIRE", message_id="M-1", at=AT).replace(
        b"requestClearing", b"requestConfirmation"
    )
    parsed = parse_fpml(data)
    assert isinstance(parsed.message, TradeDocument)
    assert [t.identifiers.source_trade_id for t in parsed.trades] == ["MW-100"]


@pytest.mark.official_fpml
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_a_declear_in_request_clearing_reads_back_as_it_was_written(profile: bool) -> None:
    terms = replace(termination_terms(), kind=EventKind.DECLEAR, notional=None, fee=None, reason="Bilateral")
    terms = replace(terms, agreement_date=terms.effective_date)
    data = request_declear(terms, BY_CCP_ID, BOTH, source="MARKITWIRE", message_id="EVT-D", at=AT)
    parsed = parse_fpml(data, options=FpmlOptions(profile=profile))
    message = parsed.message
    assert isinstance(message, LifecycleRequest)
    assert message.terms == replace(terms, parties=(shapes.LEI_A, shapes.LEI_B, shapes.LEI_CCP))


@pytest.mark.official_fpml
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_an_increase_reads_back_as_it_was_written(profile: bool) -> None:
    terms = increase_terms()
    parsed = parse_fpml(_request(terms), options=FpmlOptions(profile=profile))
    message = parsed.message
    assert isinstance(message, LifecycleRequest)
    assert message.terms == replace(terms, parties=(shapes.LEI_A, shapes.LEI_B, shapes.LEI_CCP))
    assert b"<increase>" in _request(terms)


@pytest.mark.official_fpml
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_a_reference_update_names_the_trade_and_each_partys_new_id(profile: bool) -> None:
    named = (
        NamedTradeId(shapes.LEI_CCP, "CCP-1-A", CCP_TRADE_ID_SCHEME),
        NamedTradeId(shapes.LEI_A, "A-NEW-1", "http://bank-a.example/trade-id"),
    )
    data = request_reference_update(named, BOTH, source="MARKITWIRE", message_id="REF-1", at=AT)
    message = parse_fpml(data, options=FpmlOptions(profile=profile)).message
    assert isinstance(message, LifecycleRequest)
    assert message.terms.kind is EventKind.REFERENCE_UPDATE
    assert message.terms.trade == TradeRef(ccp_trade_id="CCP-1-A")
    assert message.terms.party_trade_ids == (
        PartyTradeId(shapes.LEI_A, "A-NEW-1", "http://bank-a.example/trade-id"),
    )
    assert message.terms.effective_date == AT.date()


def test_a_reference_update_without_a_new_id_is_refused_naming_what_is_missing() -> None:
    named = (NamedTradeId(shapes.LEI_CCP, "CCP-1-A", CCP_TRADE_ID_SCHEME),)
    data = request_reference_update(named, BOTH, source="MARKITWIRE", message_id="REF-2", at=AT)
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data, options=FpmlOptions(profile=True))
    assert [(i.code, i.path) for i in caught.value.issues] == [
        (
            ReasonCode.FPML_MISSING_FIELD,
            "/requestTradeReferenceInformationUpdate/tradeReferenceInformation/partyTradeIdentifier",
        )
    ]


@pytest.mark.official_fpml
@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_an_amendment_reads_back_with_its_trade_as_amended(profile: bool) -> None:
    terms = amendment_terms()
    data = request_amendment(terms, BOTH, source="MARKITWIRE", message_id="EVT-9", at=AT)
    assert b"<amendment><trade>" in data
    parsed = parse_fpml(data, options=FpmlOptions(profile=profile))
    assert ("clearing-profile" in parsed.schema) is profile
    message = parsed.message
    assert isinstance(message, LifecycleRequest)
    read = message.terms
    assert read.kind is EventKind.AMENDMENT
    assert read.trade == TradeRef(source_trade_id="MW-100")
    assert read.amended is not None
    assert terms.amended is not None
    assert read.amended.identifiers.source_version == 2
    assert read.amended.streams == terms.amended.streams
    assert (read.agreement_date, read.effective_date, read.notional) == (
        terms.agreement_date,
        terms.effective_date,
        None,
    )


@pytest.mark.official_fpml
def test_an_amendment_may_name_the_cleared_trade_by_its_ccp_trade_id_in_the_trade_header() -> None:
    terms = amendment_terms()
    assert terms.amended is not None
    ccp_id = PartyTradeId(shapes.LEI_CCP, "CCP-1-A", CCP_TRADE_ID_SCHEME)
    ids = replace(
        terms.amended.identifiers, party_trade_ids=(*terms.amended.identifiers.party_trade_ids, ccp_id)
    )
    named = replace(terms, amended=replace(terms.amended, identifiers=ids))
    parties = (*BOTH, Party(shapes.LEI_CCP))
    data = request_amendment(named, parties, source="MARKITWIRE", message_id="EVT-9", at=AT)
    message = parse_fpml(data).message
    assert isinstance(message, LifecycleRequest)
    assert message.terms.trade == TradeRef(ccp_trade_id="CCP-1-A")


@pytest.mark.parametrize("profile", [True, False], ids=["profile", "official"])
def test_an_amendment_without_its_trade_is_refused_by_the_schema_where_the_trade_belongs(
    profile: bool,
) -> None:
    data = request_amendment(amendment_terms(), BOTH, source="MARKITWIRE", message_id="EVT-9", at=AT)
    start, end = data.index(b"<trade>"), data.index(b"</trade>") + len(b"</trade>")
    with pytest.raises(InputRejected) as caught:
        parse_fpml(data[:start] + data[end:], options=FpmlOptions(profile=profile))
    # where exactly depends on the validator in use (at the element met instead, or at amendment itself)
    [issue] = caught.value.issues
    assert issue.code is ReasonCode.SCHEMA_INVALID
    assert issue.path.startswith("/requestConfirmation/amendment")
    assert "trade" in issue.message
