"""``<trade>`` as an element tree, and a ``dataDocument`` around it (identifier order: ``render``'s docstring)."""

from __future__ import annotations

from datetime import date

from gateway.domain.enums import ProductClass
from gateway.domain.trade import Trade
from gateway.formats.fpml.write import schemes
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import SUB_BLOCK
from gateway.formats.fpml.write.schemes import split_usi, split_uti
from gateway.formats.fpml.write.xml import date_text, xml_text
from tests.formats.fpml.write.reference.fra import write_fra
from tests.formats.fpml.write.reference.parties import write_parties
from tests.formats.fpml.write.reference.swap import write_swap
from tests.formats.fpml.write.reference.xml import Element, root, sub, to_bytes


def write_trade(
    parent: Element,
    trade: Trade,
    parties: PartyTable,
    *,
    source: str,
    prefix: str = "",
    cleared_date: date | None = None,
) -> Element:
    """Append ``<trade>`` to ``parent``, registering its parties and accounts in ``parties``.

    ``source`` is the party id of the owner of the trade's ``source_trade_id`` (the trade source, or the
    CCP for a cleared trade);
    ``prefix`` makes element ids unique when a document holds several trades.
    """
    for party in trade.parties:
        parties.add(party)
    el = sub(parent, "trade")
    header = sub(el, "tradeHeader")
    write_identifiers(header, trade, parties, source)
    _venue(header, trade, parties)
    _package(header, trade)
    sub(header, "tradeDate", date_text(trade.trade_date))
    if cleared_date is not None:
        sub(header, "clearedDate", date_text(cleared_date))
    if trade.product is ProductClass.FRA:
        write_fra(el, trade, parties, prefix)
    else:
        write_swap(el, trade, parties, prefix)
    return el


def write_identifiers(header: Element, trade: Trade, parties: PartyTable, source: str) -> None:
    """Append the ``partyTradeIdentifier`` elements of ``trade`` (order in the module docstring)."""
    ids = trade.identifiers
    own = sub(header, "partyTradeIdentifier")
    sub(own, "partyReference", href=parties.ref(xml_text(source, "source", coded=True)))
    versioned = sub(own, "versionedTradeId")
    sub(
        versioned,
        "tradeId",
        xml_text(ids.source_trade_id, "tradeHeader.tradeId", coded=True),
        tradeIdScheme=schemes.SOURCE_TRADE_ID,
    )
    sub(versioned, "version", str(ids.source_version))
    for index, pti in enumerate(ids.party_trade_ids):
        path = f"tradeHeader.partyTradeIdentifier[{index}]"
        el = sub(header, "partyTradeIdentifier")
        sub(el, "partyReference", href=parties.ref(xml_text(pti.party_id, f"{path}.party", coded=True)))
        sub(
            el,
            "tradeId",
            xml_text(pti.trade_id, f"{path}.tradeId", coded=True),
            tradeIdScheme=pti.scheme or schemes.PARTY_TRADE_ID,
        )
    if ids.uti is not None:
        issuer, rest = split_uti(ids.uti)
        _regulatory(header, trade, parties, ids.uti, issuer, rest, schemes.UTI_ISSUER, schemes.UTI, "uti")
    if ids.usi is not None:
        issuer, rest = split_usi(ids.usi)
        _regulatory(header, trade, parties, ids.usi, issuer, rest, schemes.USI_ISSUER, schemes.USI, "usi")


def _venue(header: Element, trade: Trade, parties: PartyTable) -> None:
    """The execution venue (``relatedParty`` in role ExecutionFacility) and the sub-block flag (``category``),
    as trade information of the first party; nothing when the trade has neither."""
    if trade.execution_venue is None and not trade.sub_block:
        return
    info = sub(header, "partyTradeInformation")
    sub(info, "partyReference", href=parties.add(trade.parties[0]))
    if trade.execution_venue is not None:
        related = sub(info, "relatedParty")
        venue = xml_text(trade.execution_venue, "executionVenue", coded=True)
        sub(related, "partyReference", href=parties.ref(venue))
        sub(related, "role", "ExecutionFacility")
    if trade.sub_block:
        sub(info, "category", SUB_BLOCK, categoryScheme=schemes.TRADE_CATEGORY)


def _package(header: Element, trade: Trade) -> None:
    """``originatingPackage``: the package's id (issuer and id), its size and the trade's place in it."""
    package = trade.package
    if package is None:
        return
    el = sub(header, "originatingPackage")
    if package.package_id is not None:
        ident = sub(el, "packageIdentifier")
        sub(ident, "issuer", xml_text(package.issuer or "", "originatingPackage.issuer", coded=True))
        sub(
            ident,
            "tradeId",
            xml_text(package.package_id, "originatingPackage.packageIdentifier", coded=True),
            tradeIdScheme=schemes.PACKAGE_ID,
        )
    sub(el, "size", str(package.size))
    if package.sequence is not None:
        sub(el, "sequenceNumber", str(package.sequence))


def _regulatory(
    header: Element,
    trade: Trade,
    parties: PartyTable,
    whole: str,
    issuer: str | None,
    rest: str,
    issuer_scheme: str,
    scheme: str,
    name: str,
) -> None:
    xml_text(whole, f"tradeHeader.{name}", coded=True)
    el = sub(header, "partyTradeIdentifier")
    if issuer is not None:
        sub(el, "issuer", issuer, issuerIdScheme=issuer_scheme)
    else:
        sub(el, "partyReference", href=parties.add(trade.parties[0]))
    sub(el, "tradeId", rest, tradeIdScheme=scheme)


def trade_document(trade: Trade, *, source: str, pretty: bool = True) -> bytes:
    """A ``dataDocument`` holding ``trade`` with its parties and accounts, serialised by lxml."""
    doc = root("dataDocument")
    parties = PartyTable()
    write_trade(doc, trade, parties, source=source)
    write_parties(doc, parties)
    return to_bytes(doc, pretty=pretty)
