"""The text renderer (``gateway.formats.fpml.write.render``) against lxml, for random trades and messages.

Three properties: a trade written as text is byte for byte what the lxml reference writer
(``tests.formats.fpml.write.reference``) serialises; every message, compact or pretty, is
exactly what lxml writes for the same tree (so escaping and indentation follow libxml2); and every
message validates against the official FpML 5.10 schema.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.clearing.ports import Channel, StatusUpdate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade
from gateway.formats.fpml.write import render, status_update_to_fpml, trade_document
from gateway.formats.fpml.write.parties import PartyTable
from tests.formats.fpml.write import reference, shapes
from tests.formats.fpml.write.cases import CCP
from tests.formats.fpml.write.conftest import SchemaCheck
from tests.formats.fpml.write.reference.xml import to_bytes

_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=["Cs", "Cc"],
    exclude_characters="\ufffe\uffff",  # not XML characters: the canonical trade refuses them
    include_characters="&<>\"'\t\n\r]",
)
coded = st.text(_CHARS, min_size=1, max_size=24).filter(lambda s: s.strip() != "")
"""Identifiers and scheme values as XML can carry them, markup characters and line breaks included."""
prose = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
"""Free text: anything, control characters too (the writer escapes those visibly)."""
schemes = st.sampled_from(["http://bank.example/trade-id", 'urn:x:"q"&<a>', "urn:tab\there", "urn:cr\r\nlf"])


@st.composite
def trades(draw: st.DrawFn) -> Trade:
    """Every shape, with drawn names, accounts, party trade ids (own schemes) and venue."""
    trade = draw(shapes.all_shapes())
    a, b = trade.parties
    parties = (
        replace(a, name=draw(st.none() | coded), account=draw(st.none() | coded)),
        replace(b, name=draw(st.none() | coded), account=draw(st.none() | coded)),
    )
    pti = tuple(
        PartyTradeId(p.party_id, draw(coded), draw(st.none() | schemes))
        for p in parties
        if draw(st.booleans())
    )
    ids = replace(trade.identifiers, party_trade_ids=pti, usi=draw(st.none() | coded))
    return replace(
        trade,
        parties=parties,
        identifiers=ids,
        execution_venue=draw(st.none() | coded),
        sub_block=draw(st.booleans()),
    )


def as_lxml_writes_it(data: bytes, *, pretty: bool) -> bytes:
    """``data`` parsed and serialised again by lxml (blank text dropped, so the layout is lxml's own)."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return to_bytes(etree.fromstring(data, parser), pretty=pretty)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(trade=trades(), source=coded, pretty=st.booleans())
def test_text_trade_is_byte_for_byte_what_lxml_builds(trade: Trade, source: str, pretty: bool) -> None:
    assert trade_document(trade, source=source, pretty=pretty) == reference.trade_document(
        trade, source=source, pretty=pretty
    )


@st.composite
def updates(draw: st.DrawFn) -> StatusUpdate:
    trade = draw(trades())
    status = draw(st.sampled_from(list(ClearingStatusCode)))
    issues = tuple(
        Issue(draw(st.sampled_from(list(ReasonCode))), draw(prose), draw(prose))
        for _ in range(draw(st.integers(0, 3)))
    )
    changes: dict[str, object] = {}
    if status in (ClearingStatusCode.CLEARED, ClearingStatusCode.REGISTERED) and draw(st.booleans()):
        changes = {
            "cleared": shapes.novate(trade, ("CCP-1", "CCP-2")),
            "ccp_trade_ids": ("CCP-1", "CCP-2"),
            "clearing_business_date": date(2026, 3, 16),
        }
    return StatusUpdate(
        sequence=draw(st.integers(0, 99)),
        submission_id=draw(coded),
        source=draw(st.sampled_from([shapes.SOURCE, "SRC&<1>"])),
        channel=Channel.MQTT_FPML,
        status=status,
        trade=trade,
        at=datetime(2026, 3, 16, 9, 30, 15, draw(st.integers(0, 999_999)), tzinfo=UTC),
        reasons=issues,
        correlation_id=draw(st.none() | coded),
        in_reply_to=draw(st.none() | coded),
        **changes,  # type: ignore[arg-type]
    )


@_SETTINGS
@given(update=updates(), member=st.sampled_from([None, 0, 1]), recipient=coded)
def test_every_message_is_what_lxml_serialises_and_valid_fpml(
    update: StatusUpdate, member: int | None, recipient: str, assert_valid: SchemaCheck
) -> None:
    member_party = None if member is None else update.trade.parties[member].party_id
    pretty = status_update_to_fpml(update, ccp=CCP, recipient=recipient, member_party=member_party)
    compact = status_update_to_fpml(
        update, ccp=CCP, recipient=recipient, member_party=member_party, pretty=False
    )
    assert compact == as_lxml_writes_it(compact, pretty=False)
    assert pretty == as_lxml_writes_it(compact, pretty=True)
    assert_valid(compact)


def test_a_member_is_still_shown_only_its_own_side() -> None:
    """The member path skips rewriting trades with nothing to hide; what it withholds is unchanged."""
    trade = shapes.irs()
    update = StatusUpdate(
        sequence=3,
        submission_id="S",
        source=shapes.SOURCE,
        channel=Channel.MQTT_FPML,
        status=ClearingStatusCode.CLEARED,
        trade=trade,
        at=datetime(2026, 3, 16, tzinfo=UTC),
        cleared=shapes.novate(trade),
        ccp_trade_ids=("CCP-1-A", "CCP-1-B"),
        clearing_business_date=date(2026, 3, 16),
    )
    a, b = (p.party_id for p in trade.parties)
    data = status_update_to_fpml(update, ccp=CCP, recipient="A", member_party=a, pretty=False)
    other = trade.party(b)
    assert other.account is not None
    assert f">{other.account}</accountId>".encode() not in data
    assert b"CCP-1-B" not in data
    assert b"CCP-1-A" in data


@pytest.mark.parametrize(
    ("value", "as_text", "as_attribute"),
    [
        ("plain", "plain", "plain"),
        ("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d\"e'f", "a&amp;b&lt;c&gt;d&quot;e'f"),
        ("t\tn\nr\r", "t\tn\nr&#13;", "t&#9;n&#10;r&#13;"),
        ("]]>", "]]&gt;", "]]&gt;"),
    ],
)
def test_escaping_is_libxml2s(value: str, as_text: str, as_attribute: str) -> None:
    assert render.text(value) == as_text
    assert render.attr(value) == as_attribute
    el = etree.Element("x", a=value)
    el.text = value
    assert etree.tostring(el, encoding="unicode") == f'<x a="{as_attribute}">{as_text}</x>'


def test_a_party_met_again_keeps_its_id_and_gains_its_name() -> None:
    parties = PartyTable()
    assert parties.ref("P") == "party1"
    assert parties.add(Party("P", name="Named")) == "party1"
    out: list[str] = []
    render.party_elements(out.append, "", parties)
    assert "".join(out) == (
        '<party id="party1"><partyId partyIdScheme="urn:clearing-gateway:participant">P</partyId>'
        "<partyName>Named</partyName></party>"
    )
