"""Statuses about lifecycle events: the text writer against the lxml reference, valid FpML, what each sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from fpml_schemas import load_schema
from gateway.clearing.lifecycle import resized
from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import EventKind, EventTerms, Fee, Money, NamedTradeId, NotionalChange
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.write import FpmlWriteError, render, status_update_to_fpml
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import Emit
from tests.formats.fpml.write import reference, shapes
from tests.formats.fpml.write.cases import (
    CCP,
    RESIDUAL_ID,
    amendment_terms,
    compression_terms,
    event_update,
    increase_terms,
    reference_terms,
    residual_update,
    termination_terms,
)
from tests.formats.fpml.write.conftest import SchemaCheck
from tests.formats.fpml.write.test_render import _SETTINGS, as_lxml_writes_it, coded, prose, schemes

NS = {"f": "http://www.fpml.org/FpML-5/confirmation"}
amounts = st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2060, 12, 31))


@st.composite
def terms(draw: st.DrawFn) -> EventTerms:
    currency = draw(st.sampled_from(["AUD", "USD", "EUR"]))
    fee = None
    if draw(st.booleans()):
        fee = Fee(
            draw(st.sampled_from([shapes.LEI_A, shapes.LEI_B])),
            draw(st.sampled_from([shapes.LEI_B, shapes.LEI_A])),
            Money(draw(amounts), currency),
            draw(st.none() | days),
        )
    return replace(
        termination_terms(),
        agreement_date=draw(days),
        effective_date=draw(days),
        notional=NotionalChange(Money(draw(amounts), currency), Money(draw(amounts), currency)),
        fee=fee,
    )


named_ids = st.lists(
    st.builds(NamedTradeId, coded, coded, schemes, st.none() | st.integers(1, 99)), min_size=1, max_size=3
)


def increase(t: EventTerms) -> EventTerms:
    """``t`` as an increase (its amounts kept, an outstanding notional of zero made one: an increase leaves
    a notional the trade can have)."""
    assert t.notional is not None
    left = t.notional.outstanding
    if left.amount == 0:
        left = Money(Decimal(1), left.currency)
    return replace(t, kind=EventKind.INCREASE, fee=None, notional=replace(t.notional, outstanding=left))


def declear_terms(reason: str | None = None) -> EventTerms:
    return replace(termination_terms(), kind=EventKind.DECLEAR, notional=None, fee=None, reason=reason)


@_SETTINGS
@given(named=named_ids, reason=st.none() | coded, pretty=st.booleans(), effective=days)
def test_the_declear_element_is_byte_for_byte_what_lxml_builds(
    named: list[NamedTradeId], reason: str | None, pretty: bool, effective: date
) -> None:
    event = replace(declear_terms(reason), effective_date=effective, agreement_date=effective)
    parties = PartyTable()

    def body(emit: Emit, ind: str) -> None:
        render.de_clear(emit, ind, named, event, parties)
        render.party_elements(emit, ind, parties)

    text = render.document("clearingConfirmed", body, pretty=pretty)
    assert text == reference.notional_change_document(
        "clearingConfirmed", "deClear", named, event, pretty=pretty
    )


@_SETTINGS
@given(event=terms(), named=named_ids, pretty=st.booleans())
def test_the_termination_element_is_byte_for_byte_what_lxml_builds(
    event: EventTerms, named: list[NamedTradeId], pretty: bool
) -> None:
    parties = PartyTable()

    def body(emit: Emit, ind: str) -> None:
        render.notional_change(emit, ind, "termination", named, event, parties)
        render.party_elements(emit, ind, parties)

    text = render.document("clearingConfirmed", body, pretty=pretty)
    assert text == reference.notional_change_document(
        "clearingConfirmed", "termination", named, event, pretty=pretty
    )


@_SETTINGS
@given(
    event=terms()
    | st.builds(declear_terms, st.none() | coded)
    | terms().map(increase)
    | st.just(reference_terms()),
    status=st.sampled_from(
        [
            ClearingStatusCode.RECEIVED,
            ClearingStatusCode.PENDING,
            ClearingStatusCode.CLEARED,
            ClearingStatusCode.REJECTED,
        ]
    ),
    member=st.sampled_from([None, 0, 1]),
    recipient=coded,
    reason=prose,
)
def test_every_event_status_is_what_lxml_serialises_and_valid_fpml_and_profile(
    event: EventTerms,
    status: ClearingStatusCode,
    member: int | None,
    recipient: str,
    reason: str,
    assert_valid: SchemaCheck,
) -> None:
    reasons = (Issue(ReasonCode.LIFE_NOTIONAL_NOT_SMALLER, "outstandingNotionalAmount", reason),)
    with_reasons = (ClearingStatusCode.REJECTED, ClearingStatusCode.PENDING)
    update = event_update(status, event, sequence=5, reasons=reasons if status in with_reasons else ())
    member_party = None if member is None else update.trade.parties[member].party_id
    pretty = status_update_to_fpml(update, ccp=CCP, recipient=recipient, member_party=member_party)
    compact = status_update_to_fpml(
        update, ccp=CCP, recipient=recipient, member_party=member_party, pretty=False
    )
    assert compact == as_lxml_writes_it(compact, pretty=False)
    assert pretty == as_lxml_writes_it(compact, pretty=True)
    root = assert_valid(compact)
    assert load_schema(profile=True).check(root) is None


def _ids(doc: bytes, xpath: str) -> list[str]:
    return [str(x) for x in etree.fromstring(doc).xpath(xpath, namespaces=NS)]


def test_the_source_is_told_its_own_trade_id_and_both_ccp_ids_and_a_member_its_own_side_only() -> None:
    confirmed = event_update(ClearingStatusCode.CLEARED, termination_terms(), sequence=5)
    to_source = status_update_to_fpml(confirmed, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    to_b = status_update_to_fpml(
        confirmed, ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B, pretty=False
    )
    ids = "//f:termination/f:tradeIdentifier//f:tradeId/text()"
    assert _ids(to_source, ids) == ["MW-100", "CCP-1-A", "CCP-1-B"]
    assert _ids(to_b, ids) == ["CCP-1-B"]
    assert _ids(to_b, "//f:outstandingNotionalAmount/f:amount/text()") == ["50000000"]
    assert _ids(to_b, "//f:changeInNotionalAmount/f:amount/text()") == ["75000000"]
    assert _ids(to_b, "//f:payment/f:paymentAmount/f:amount/text()") == ["15250.75"]
    scheme = _ids(to_b, "//f:termination/f:tradeIdentifier/f:tradeId/@tradeIdScheme")
    assert scheme == [CCP_TRADE_ID_SCHEME]


def test_a_refusal_shows_a_member_its_own_cleared_trade_and_the_source_the_reasons() -> None:
    reasons = (
        Issue(ReasonCode.LIFE_TRADE_NOT_LIVE, "tradeIdentifier", "cleared trade CCP-1-A is terminated"),
    )
    refused = event_update(ClearingStatusCode.REJECTED, termination_terms(), sequence=5, reasons=reasons)
    to_a = status_update_to_fpml(refused, ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A, pretty=False)
    to_source = status_update_to_fpml(refused, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    assert _ids(to_a, "/f:clearingRefused/f:originatingEvent/text()") == ["Termination"]
    assert "CCP-1-B" not in to_a.decode()
    assert _ids(to_source, "//f:reason/f:validationRuleId/text()") == ["LIFE_TRADE_NOT_LIVE"]
    assert _ids(to_source, "//f:trade") == []


def test_an_event_status_with_no_message_of_its_own_is_a_write_error() -> None:
    withdrawn = event_update(ClearingStatusCode.WITHDRAWN, termination_terms(), sequence=5)
    with pytest.raises(FpmlWriteError):
        status_update_to_fpml(withdrawn, ccp=CCP, recipient=shapes.SOURCE)


def test_an_event_waiting_for_collateral_is_a_pending_status_naming_the_trade_and_the_shortfall() -> None:
    short = (
        Issue(
            ReasonCode.RISK_INSUFFICIENT_COLLATERAL,
            "member[BANKA].account[HOUSE]",
            "incremental margin 250000.00 exceeds excess collateral 50000.00",
        ),
    )
    pending = event_update(ClearingStatusCode.PENDING, termination_terms(), sequence=5, reasons=short)
    to_source = status_update_to_fpml(pending, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    to_b = status_update_to_fpml(pending, ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B, pretty=False)
    for doc in (to_source, to_b):
        assert _ids(doc, "/f:clearingStatus/f:clearingStatusItem/f:clearingStatusValue/text()") == ["Pending"]
        assert _ids(doc, "//f:reason/f:validationRuleId/text()") == ["RISK_INSUFFICIENT_COLLATERAL"]
        assert _ids(doc, "/f:clearingStatus/f:inReplyTo/text()") == []
    ids = "//f:clearingStatusItem/f:tradeIdentifier/f:tradeId/text()"
    assert _ids(to_source, ids) == ["CCP-1-A", "CCP-1-B"]
    assert _ids(to_b, ids) == ["CCP-1-B"]


def test_an_increase_is_confirmed_by_the_trade_each_recipient_now_holds() -> None:
    confirmed = event_update(ClearingStatusCode.CLEARED, increase_terms(), sequence=5)
    to_source = status_update_to_fpml(confirmed, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    to_a = status_update_to_fpml(
        confirmed, ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A, pretty=False
    )
    notional = "//f:swapStream/f:calculationPeriodAmount/f:calculation/f:notionalSchedule/f:notionalStepSchedule/f:initialValue/text()"
    for doc in (to_source, to_a):
        assert _ids(doc, "/f:clearingConfirmed/f:originatingEvent/text()") == ["Increase"]
        assert _ids(doc, notional) == ["150000000", "150000000"]
    tids = "//f:partyTradeIdentifier/f:tradeId[@tradeIdScheme='" + CCP_TRADE_ID_SCHEME + "']/text()"
    assert _ids(to_source, tids) == ["CCP-1-A", "CCP-1-B"]
    assert _ids(to_a, tids) == ["CCP-1-A"]


def test_an_increase_after_an_amendment_shows_the_source_the_amended_economics() -> None:
    """The source's confirmation follows the cleared trade as it stands, not the trade first submitted."""
    amended = amendment_terms().amended
    assert amended is not None
    larger = event_update(ClearingStatusCode.CLEARED, increase_terms(), sequence=9)
    a, b = shapes.novate(resized(amended, Decimal("175000000"), amended.notional))
    event = larger.event
    assert event is not None
    larger = replace(larger, event=replace(event, cleared=(a, b)))
    to_source = status_update_to_fpml(larger, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    rate = "//f:fixedRateSchedule/f:initialValue/text()"
    notional = "//f:notionalStepSchedule/f:initialValue/text()"
    assert _ids(to_source, rate) == ["0.041"]
    assert _ids(to_source, notional) == ["175000000", "175000000"]
    parties = "/f:clearingConfirmed/f:party/f:partyId/text()"
    assert shapes.LEI_CCP in _ids(to_source, parties)
    payers = "//f:swapStream/f:payerPartyReference/@href"
    assert len(set(_ids(to_source, payers))) == 2  # between the two members, the CCP in no stream


def test_an_amendment_is_confirmed_by_the_new_trade_on_the_new_ccp_trade_ids() -> None:
    confirmed = event_update(ClearingStatusCode.CLEARED, amendment_terms(), sequence=5)
    to_source = status_update_to_fpml(confirmed, ccp=CCP, recipient=shapes.SOURCE, pretty=False)
    to_b = status_update_to_fpml(
        confirmed, ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B, pretty=False
    )
    tids = "//f:partyTradeIdentifier/f:tradeId[@tradeIdScheme='" + CCP_TRADE_ID_SCHEME + "']/text()"
    assert _ids(to_source, tids) == ["CCP-1-A1-1", "CCP-1-A1-2"]
    assert _ids(to_b, tids) == ["CCP-1-A1-2"]
    for doc in (to_source, to_b):
        assert _ids(doc, "/f:clearingConfirmed/f:originatingEvent/text()") == ["Amendment"]
        assert _ids(doc, "//f:fixedRateSchedule/f:initialValue/text()") == ["0.041"]
    assert _ids(to_source, "//f:versionedTradeId/f:version/text()") == ["2"]


def test_a_compressed_trade_names_its_replacement_to_the_member_holding_it_only(
    assert_valid: SchemaCheck,
) -> None:
    """The member whose run it was is told its side ended and the residual now carrying its risk; the other
    member of a trade terminated with its consent is told of the termination alone."""
    confirmed = event_update(ClearingStatusCode.CLEARED, compression_terms(), sequence=5)
    to_a = status_update_to_fpml(
        confirmed, ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A, pretty=False
    )
    to_b = status_update_to_fpml(
        confirmed, ccp=CCP, recipient="BANKB", member_party=shapes.LEI_B, pretty=False
    )
    for doc in (to_a, to_b):
        root = assert_valid(doc)
        assert load_schema(profile=True).check(root) is None
        assert _ids(doc, "//f:termination/f:outstandingNotionalAmount/f:amount/text()") == ["0"]
    activity = "/f:clearingConfirmed/f:compressionActivity"
    assert _ids(to_a, activity + "/f:replacementTradeIdentifier/f:tradeId/text()") == [RESIDUAL_ID]
    assert [c.xpath("local-name()") for c in etree.fromstring(to_a)][3:5] == [
        "compressionActivity",
        "termination",
    ]
    assert _ids(to_b, activity) == []
    assert RESIDUAL_ID not in to_b.decode()


def test_a_residual_is_confirmed_by_its_trade_facing_the_ccp_and_every_trade_it_replaces(
    assert_valid: SchemaCheck,
) -> None:
    doc = status_update_to_fpml(
        residual_update(), ccp=CCP, recipient="BANKA", member_party=shapes.LEI_A, pretty=False
    )
    root = assert_valid(doc)
    assert load_schema(profile=True).check(root) is None
    activity = "/f:clearingConfirmed/f:compressionActivity"
    assert _ids(doc, activity + "/f:originatingTradeIdentifier/f:tradeId/text()") == ["CCP-1-A", "CCP-2-A"]
    assert _ids(doc, activity + "/f:replacementTradeIdentifier") == []
    assert _ids(doc, "/f:clearingConfirmed/f:originatingEvent/text()") == ["Compression"]
    tids = "//f:partyTradeIdentifier/f:tradeId[@tradeIdScheme='" + CCP_TRADE_ID_SCHEME + "']/text()"
    assert _ids(doc, tids) == [RESIDUAL_ID]
    parties = set(_ids(doc, "/f:clearingConfirmed/f:party/f:partyId/text()"))
    assert shapes.LEI_B not in parties  # the member and the CCP only
    notional = "//f:notionalStepSchedule/f:initialValue/text()"
    assert _ids(doc, notional) == ["40000000", "40000000"]
