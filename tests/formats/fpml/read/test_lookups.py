"""Which element the reader takes when a name repeats or an element sits elsewhere than usual: the
first in document order, as the reference lookups (``xml.child``/``children``) define it."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.domain.messages import ClearingRequest
from gateway.formats.fpml.read import FpmlOptions, parse_fpml, parse_trade_xml
from gateway.formats.fpml.read.xml import child, children, group_children
from tests.formats.fpml.read.helpers import NS, VANILLA, find_all, load, to_bytes

LEI = "http://www.fpml.org/coding-scheme/external/iso17442"
PACKAGE = "business-processes/packages/pkg-ex60-request-clearing.xml"
# the edits below are not all schema-valid; what is tested is which element the reader takes
UNVALIDATED = FpmlOptions(validate=False)
REQUEST = "business-processes/option-exercise-expiry/msg-ex114-clearing-requested-from-swaption-exercise.xml"


def _el(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{tag}")
    for name, value in attrs.items():
        el.set(name, value)
    el.text = text
    return el


@pytest.mark.official_fpml
def test_group_children_agrees_with_child_and_children() -> None:
    root = load(VANILLA)
    groups = group_children(root)
    for name in ("trade", "party", "account", "header"):
        assert groups.get(f"{{{NS}}}{name}", []) == children(root, name)
        first = child(root, name)
        assert (groups[f"{{{NS}}}{name}"][0] if f"{{{NS}}}{name}" in groups else None) is first


@pytest.mark.official_fpml
def test_party_id_in_the_lei_scheme_is_preferred_over_an_earlier_one() -> None:
    root = load(VANILLA)
    party = find_all(root, "party")[0]
    lei = party[0]
    lei.addprevious(_el("partyId", "BANKA-INTERNAL", partyIdScheme="urn:bank-a:party"))
    trade = parse_trade_xml(to_bytes(root), options=UNVALIDATED)
    chosen = trade.party("549300VBWWV6BYQOWM67")
    assert chosen.scheme == LEI
    assert chosen.name == "Party A"


@pytest.mark.official_fpml
def test_an_empty_lei_party_id_gives_way_to_the_first_with_text() -> None:
    root = load(VANILLA)
    party = find_all(root, "party")[0]
    lei = party[0]
    lei.text = " \n"
    lei.addnext(_el("partyId", "BANKA-1", partyIdScheme="urn:bank-a:party"))
    lei.addnext(_el("partyId", "", partyIdScheme="urn:bank-a:other"))
    trade = parse_trade_xml(to_bytes(root), options=UNVALIDATED)
    assert trade.parties[0].party_id == "BANKA-1"
    assert trade.parties[0].scheme == "urn:bank-a:party"


@pytest.mark.official_fpml
def test_header_repeats_take_the_first_and_keep_every_send_to() -> None:
    root = load(REQUEST)
    header = find_all(root, "header")[0]
    message_id = find_all(root, "header/messageId")[0]
    first_id = message_id.text
    header.append(_el("sendTo", "SECOND"))
    message_id.addnext(_el("messageId", "LATER", messageIdScheme="urn:x"))
    parsed = parse_fpml(to_bytes(root), options=UNVALIDATED)
    assert parsed.message.header is not None
    assert parsed.message.header.message_id == first_id
    assert parsed.message.header.send_to[-1] == "SECOND"


@pytest.mark.official_fpml
def test_package_id_is_the_first_package_identifier_in_document_order() -> None:
    root = load(PACKAGE)
    for el in find_all(
        root,
        "tradePackage/trade/swap/swapStream/calculationPeriodAmount/calculation/floatingRateCalculation/floatingRateIndex",
    ):
        el.text = "USD-LIBOR-BBA"  # the example's CMS legs are out of scope
    parsed = parse_fpml(to_bytes(root), options=UNVALIDATED)
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.package_id == "123"
    # a first packageHeader without an identifier: the identifier in the next one counts
    find_all(root, "tradePackage/packageHeader")[0].addprevious(_el("packageHeader"))
    parsed = parse_fpml(to_bytes(root), options=UNVALIDATED)
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.package_id == "123"
    # and an identifier in a package before it wins
    find_all(root, "tradePackage")[0].addprevious(
        etree.fromstring(
            f'<tradePackage xmlns="{NS}"><packageHeader><packageIdentifier>'
            "<tradeId tradeIdScheme='urn:x'>EARLIER</tradeId></packageIdentifier></packageHeader></tradePackage>"
        )
    )
    parsed = parse_fpml(to_bytes(root), options=UNVALIDATED)
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.package_id == "EARLIER"
