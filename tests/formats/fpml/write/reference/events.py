"""A lifecycle event's ``TradeNotionalChange`` (``termination``) or ``DeClear`` as an element tree, and a
document around it."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.events import EventTerms, Money, NamedTradeId
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.xml import decimal_text, xml_text
from tests.formats.fpml.write.reference.parties import write_parties
from tests.formats.fpml.write.reference.xml import Element, root, sub, to_bytes


def write_notional_change(
    parent: Element, tag: str, named: Sequence[NamedTradeId], terms: EventTerms, parties: PartyTable
) -> Element:
    """Append ``<tag>``: trade ids, agreement and effective dates, the fee, the change and the outstanding."""
    el = sub(parent, tag)
    for index, n in enumerate(named):
        path = f"{tag}.tradeIdentifier[{index}]"
        ident = sub(el, "tradeIdentifier")
        sub(
            ident,
            "partyReference",
            href=parties.ref(xml_text(n.party_id, f"{path}.partyReference", coded=True)),
        )
        value = xml_text(n.trade_id, f"{path}.tradeId", coded=True)
        if n.version is None:
            sub(ident, "tradeId", value, tradeIdScheme=n.scheme)
        else:
            versioned = sub(ident, "versionedTradeId")
            sub(versioned, "tradeId", value, tradeIdScheme=n.scheme)
            sub(versioned, "version", str(n.version))
    sub(el, "agreementDate", terms.agreement_date.isoformat())
    sub(el, "effectiveDate", terms.effective_date.isoformat())
    fee = terms.fee
    if fee is not None:
        payment = sub(el, "payment")
        sub(payment, "payerPartyReference", href=parties.ref(fee.payer))
        sub(payment, "receiverPartyReference", href=parties.ref(fee.receiver))
        _money(payment, "paymentAmount", fee.amount)
        if fee.payment_date is not None:
            sub(sub(payment, "paymentDate"), "adjustedDate", fee.payment_date.isoformat())
    _money(el, "changeInNotionalAmount", terms.notional.change)
    _money(el, "outstandingNotionalAmount", terms.notional.outstanding)
    return el


def write_de_clear(
    parent: Element, named: Sequence[NamedTradeId], terms: EventTerms, parties: PartyTable
) -> Element:
    """Append ``<deClear>``: trade ids, effective date, the reason when given."""
    el = sub(parent, "deClear")
    _trade_ids(el, "deClear", named, parties)
    sub(el, "effectiveDate", terms.effective_date.isoformat())
    if terms.reason is not None:
        sub(el, "reason", xml_text(terms.reason, "deClear.reason", coded=True))
    return el


def _trade_ids(el: Element, tag: str, named: Sequence[NamedTradeId], parties: PartyTable) -> None:
    for index, n in enumerate(named):
        path = f"{tag}.tradeIdentifier[{index}]"
        ident = sub(el, "tradeIdentifier")
        sub(
            ident,
            "partyReference",
            href=parties.ref(xml_text(n.party_id, f"{path}.partyReference", coded=True)),
        )
        value = xml_text(n.trade_id, f"{path}.tradeId", coded=True)
        if n.version is None:
            sub(ident, "tradeId", value, tradeIdScheme=n.scheme)
        else:
            versioned = sub(ident, "versionedTradeId")
            sub(versioned, "tradeId", value, tradeIdScheme=n.scheme)
            sub(versioned, "version", str(n.version))


def _money(parent: Element, tag: str, money: Money) -> None:
    el = sub(parent, tag)
    sub(el, "currency", xml_text(money.currency, f"{tag}.currency", coded=True))
    sub(el, "amount", decimal_text(money.amount))


def notional_change_document(
    root_tag: str, tag: str, named: Sequence[NamedTradeId], terms: EventTerms, *, pretty: bool
) -> bytes:
    """A root holding only the event element (``termination`` or ``deClear``) and its parties, as
    ``render.notional_change`` / ``render.de_clear`` write it."""
    parties = PartyTable()
    doc = root(root_tag)
    if tag == "deClear":
        write_de_clear(doc, named, terms, parties)
    else:
        write_notional_change(doc, tag, named, terms, parties)
    write_parties(doc, parties)
    return to_bytes(doc, pretty=pretty)
