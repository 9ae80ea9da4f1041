"""A package's trade in the statuses: ``tradeHeader/originatingPackage``, the shape of the official
``pkg-ex61-clearing-confirmed.xml`` (a member's confirmation of one trade of a switch package), schema-valid,
and read back by the FpML reader to the same package."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lxml import etree

from gateway.clearing.novation import novate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.trade import PackageRef, Party
from gateway.formats.fpml.read import parse_fpml, parse_trade_xml
from gateway.formats.fpml.write import status_update_to_fpml
from gateway.formats.fpml.write.render import trade_document
from gateway.formats.fpml.write.schemes import FPML_NS
from tests.formats.fpml.write import shapes
from tests.formats.fpml.write.cases import CCP, cleared_update, update
from tests.formats.fpml.write.conftest import SchemaCheck

NS = {"f": FPML_NS}
PACKAGE = PackageRef("SW-123", 2, 1, "SEF123")


def shape(el: etree._Element) -> list[str]:
    """Every element under ``el`` as its path of local names, in document order."""
    out = []
    for d in el.iter():
        if isinstance(d.tag, str) and d is not el:
            out.append("/".join(etree.QName(a).localname for a in [*reversed(list(d.iterancestors())), d]))
    return [p[p.index("originatingPackage") :] for p in out]


def header_children(trade: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in trade.find(f"{{{FPML_NS}}}tradeHeader")]


def test_a_members_confirmation_of_a_package_trade_has_the_shape_of_pkg_ex61(
    fpml_examples: Path, assert_valid: SchemaCheck
) -> None:
    official = etree.parse(
        str(fpml_examples / "business-processes" / "packages" / "pkg-ex61-clearing-confirmed.xml")
    ).getroot()
    trade = replace(shapes.irs(), package=PACKAGE)
    ccp = Party(CCP.party_id)
    ours = assert_valid(
        status_update_to_fpml(
            replace(cleared_update(trade), cleared=novate(trade, ccp, ("CCP-1-A", "CCP-1-B"))),
            ccp=CCP,
            recipient="BANKA",
            member_party=shapes.LEI_A,
        )
    )
    assert etree.QName(ours).localname == etree.QName(official).localname == "clearingConfirmed"
    (theirs_pkg,) = official.xpath("f:trade/f:tradeHeader/f:originatingPackage", namespaces=NS)
    (our_pkg,) = ours.xpath("f:trade/f:tradeHeader/f:originatingPackage", namespaces=NS)
    assert shape(our_pkg) == shape(theirs_pkg)
    assert our_pkg.xpath("string(f:packageIdentifier/f:issuer)", namespaces=NS) == "SEF123"
    assert our_pkg.xpath("string(f:packageIdentifier/f:tradeId)", namespaces=NS) == "SW-123"
    assert [our_pkg.xpath(f"string(f:{n})", namespaces=NS) for n in ("size", "sequenceNumber")] == ["2", "1"]
    # where it sits: after the trade's identifiers, before its trade date
    (their_trade,) = official.xpath("f:trade", namespaces=NS)
    (our_trade,) = ours.xpath("f:trade", namespaces=NS)
    for names in (header_children(their_trade), header_children(our_trade)):
        at = names.index("originatingPackage")
        assert names[at - 1] == "partyTradeIdentifier"
        assert names[at + 1] == "tradeDate"


def test_every_status_of_a_package_trade_names_its_package_and_is_valid(assert_valid: SchemaCheck) -> None:
    trade = replace(shapes.irs(), package=PackageRef("SW-123", 3, 2, "SEF123"))
    for status in (ClearingStatusCode.PENDING, ClearingStatusCode.REJECTED):
        root = assert_valid(status_update_to_fpml(update(status, trade), ccp=CCP, recipient="MARKITWIRE"))
        sizes = root.xpath("//f:originatingPackage/f:size/text()", namespaces=NS)
        assert sizes == ["3"]


def test_a_package_without_an_identifier_is_written_with_its_size_only(assert_valid: SchemaCheck) -> None:
    trade = replace(shapes.irs(), package=PackageRef(None, 2, 2))
    root = assert_valid(trade_document(trade, source=shapes.SOURCE))
    (pkg,) = root.xpath("//f:originatingPackage", namespaces=NS)
    assert [etree.QName(c).localname for c in pkg] == ["size", "sequenceNumber"]


def test_the_package_reads_back_from_what_was_written() -> None:
    for package in (PACKAGE, PackageRef(None, 4), PackageRef("P", 1, 1, "ISSUER")):
        trade = replace(shapes.irs(), package=package)
        assert parse_trade_xml(trade_document(trade, source=shapes.SOURCE)).package == package


def test_a_confirmation_of_a_package_trade_reads_back_with_its_package() -> None:
    trade = replace(shapes.irs(), package=PACKAGE)
    data = status_update_to_fpml(cleared_update(trade), ccp=CCP, recipient="MARKITWIRE")
    parsed = parse_fpml(data)
    assert {t.package for t in parsed.trades} == {PACKAGE}
