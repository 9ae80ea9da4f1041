"""A post-trade event -> ``EventTerms`` (gateway.domain.events): ``termination``, ``increase`` or
``amendment`` in ``requestConfirmation``, ``deClear`` in ``requestClearing``, ``tradeReferenceInformation`` in
``requestTradeReferenceInformationUpdate``.

``amendment`` (a ``TradeAmendmentContent``) carries the trade as amended; it names the cleared trade by a
``tradeId`` of its ``tradeHeader`` in the CCP trade id scheme, else by the source's own id of the trade
(any version: the amended trade carries its next one). Its optional ``payment`` is read as a fee.

``deClear`` names the trade as ``termination`` does, with its ``effectiveDate`` and an optional ``reason``.

``termination`` (a ``TradeNotionalChange``) names the cleared trade by ``tradeIdentifier``: a ``tradeId``
in the CCP trade id scheme is the CCP's id of either side; any other ``tradeId`` (or ``versionedTradeId``
with its ``version``) is the source's own id of the trade it submitted. The amounts are the first
``changeInNotionalAmount`` and ``outstandingNotionalAmount``; the first ``payment`` is the fee. Naming the
trade by ``originalTrade``, or the size change by ``sizeChange``, is refused as not supported.
"""

from __future__ import annotations

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.domain.errors import InputRejected
from gateway.domain.events import EventKind, EventTerms, Fee, Money, NotionalChange, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId
from gateway.formats.fpml.read import readers
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.trades import read_trade
from gateway.formats.fpml.read.xml import Element, child, child_text, children, parse_datetime, text_of

SOURCE_TRADE_ID_SCHEME = "urn:clearing-gateway:source-trade-id"  # the id a source's own trades carry


def read_termination(
    el: Element, ctx: DocContext, problems: Problems, kind: EventKind = EventKind.TERMINATION
) -> EventTerms | None:
    """The terms of a ``termination`` (or, with ``kind`` INCREASE, an ``increase``: the same structure);
    None (with every issue in ``problems``) when they cannot be read."""
    for unsupported, what in (
        ("originalTrade", "the trade by tradeIdentifier"),
        ("sizeChange", "the amounts"),
    ):
        found = child(el, unsupported)
        if found is not None:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                found,
                f"{unsupported} is not supported: give {what} "
                "(changeInNotionalAmount and outstandingNotionalAmount)",
            )
    ref = _trade_ref(el, ctx, problems)
    agreed = readers.date_value(readers.required(el, "agreementDate", problems), problems)
    effective = readers.date_value(readers.required(el, "effectiveDate", problems), problems)
    change = _money(child(el, "changeInNotionalAmount"), problems)
    outstanding = _money(child(el, "outstandingNotionalAmount"), problems)
    if change is None or outstanding is None:
        problems.missing(el, "changeInNotionalAmount", "changeInNotionalAmount and outstandingNotionalAmount")
    fee = _fee(el, ctx, problems)
    parties = _parties(ctx, problems)
    if ref is None or agreed is None or effective is None or change is None or outstanding is None:
        return None
    event = child(el, "eventIdentifier")
    return EventTerms(
        kind=kind,
        trade=ref,
        parties=parties,
        agreement_date=agreed,
        effective_date=effective,
        notional=NotionalChange(change, outstanding),
        fee=fee,
        event_id=None if event is None else child_text(event, "eventId"),
    )


def read_amendment(el: Element, ctx: DocContext, problems: Problems) -> EventTerms | None:
    """The terms of an ``amendment``; None (with every issue in ``problems``) when they cannot be read."""
    trade_el = readers.required(el, "trade", problems)
    trade = None if trade_el is None else read_trade(trade_el, ctx, problems)
    agreed = readers.date_value(readers.required(el, "agreementDate", problems), problems)
    effective = readers.date_value(readers.required(el, "effectiveDate", problems), problems)
    fee = _fee(el, ctx, problems)
    parties = _parties(ctx, problems)
    if trade is None or trade_el is None or agreed is None or effective is None:
        return None
    header = child(trade_el, "tradeHeader")
    ccp_ids = [
        value
        for ident in ([] if header is None else children(header, "partyTradeIdentifier"))
        for tid in children(ident, "tradeId")
        if tid.get("tradeIdScheme") == CCP_TRADE_ID_SCHEME and (value := text_of(tid)) is not None
    ]
    ref = (
        TradeRef(ccp_trade_id=ccp_ids[0])
        if ccp_ids
        else TradeRef(source_trade_id=trade.identifiers.source_trade_id)
    )
    event = child(el, "eventIdentifier")
    return EventTerms(
        kind=EventKind.AMENDMENT,
        trade=ref,
        parties=parties,
        agreement_date=agreed,
        effective_date=effective,
        notional=None,
        fee=fee,
        event_id=None if event is None else child_text(event, "eventId"),
        amended=trade,
    )


def read_declear(el: Element, ctx: DocContext, problems: Problems) -> EventTerms | None:
    """The terms of a ``deClear``; None (with every issue in ``problems``) when they cannot be read."""
    ref = _trade_ref(el, ctx, problems)
    effective = readers.date_value(readers.required(el, "effectiveDate", problems), problems)
    if ref is None or effective is None:
        return None
    return EventTerms(
        kind=EventKind.DECLEAR,
        trade=ref,
        parties=_parties(ctx, problems),
        agreement_date=effective,
        effective_date=effective,
        notional=None,
        reason=child_text(el, "reason"),
    )


def read_reference_update(el: Element, ctx: DocContext, problems: Problems) -> EventTerms | None:
    """The terms of a ``tradeReferenceInformation`` update: the trade by its CCP id (or the source's id,
    a ``versionedTradeId`` or a ``tradeId`` in the source trade id scheme), every other
    ``partyTradeIdentifier`` a party's new own id. The effective date is the message's creation date."""
    new_ids: list[PartyTradeId] = []
    named = []
    for ident in children(el, "partyTradeIdentifier"):
        party_ref = child(ident, "partyReference")
        target = None if party_ref is None else ctx.target(party_ref, problems, "party")
        party = None if target is None else ctx.party(target, problems)
        versioned = child(ident, "versionedTradeId")
        tid = child(ident, "tradeId") if versioned is None else child(versioned, "tradeId")
        value = text_of(tid)
        if tid is None or value is None or party is None:
            problems.missing(ident, "tradeId", "a party and its trade id")
            continue
        scheme = tid.get("tradeIdScheme")
        if scheme in (CCP_TRADE_ID_SCHEME, SOURCE_TRADE_ID_SCHEME) or versioned is not None:
            named.append(ident)
        else:
            new_ids.append(PartyTradeId(party.party_id, value, scheme))
    ref = _trade_ref_of(named, el, problems)
    header = ctx.first(ctx.root, "header")
    created = None if header is None else child_text(header, "creationTimestamp")
    when = None if created is None else parse_datetime(created)
    if not new_ids:
        problems.missing(el, "partyTradeIdentifier", "a party's new trade id")
    if ref is None or when is None or not new_ids:
        return None
    return EventTerms(
        kind=EventKind.REFERENCE_UPDATE,
        trade=ref,
        parties=_parties(ctx, problems),
        agreement_date=when.date(),
        effective_date=when.date(),
        notional=None,
        party_trade_ids=tuple(new_ids),
    )


def _parties(ctx: DocContext, problems: Problems) -> tuple[str, ...]:
    found = []
    for party_el in ctx.every(ctx.root, "party"):
        party = ctx.party(party_el, problems)
        if party is not None:
            found.append(party.party_id)
    return tuple(found)


def _trade_ref(el: Element, ctx: DocContext, problems: Problems) -> TradeRef | None:
    return _trade_ref_of(children(el, "tradeIdentifier"), el, problems)


def _trade_ref_of(identifiers: list[Element], el: Element, problems: Problems) -> TradeRef | None:
    """The trade the identifiers name: a CCP trade id first, else the source's own id (and version)."""
    ccp_id = source_id = None
    version: int | None = None
    for ident in identifiers:
        versioned = child(ident, "versionedTradeId")
        holder = ident if versioned is None else versioned
        for tid in children(holder, "tradeId"):
            value = text_of(tid)
            if value is None:
                continue
            if tid.get("tradeIdScheme") == CCP_TRADE_ID_SCHEME:
                ccp_id = ccp_id or value
            elif source_id is None:
                source_id = value
                if versioned is not None:
                    version = readers.int_value(child(versioned, "version"), problems)
    if ccp_id is None and source_id is None:
        problems.missing(el, "tradeIdentifier", "a tradeIdentifier naming the cleared trade")
        return None
    try:
        if ccp_id is not None:
            return TradeRef(ccp_trade_id=ccp_id)
        return TradeRef(source_trade_id=source_id, version=version)
    except InputRejected as exc:
        for issue in exc.issues:
            problems.add(issue.code, el, issue.message)
        return None


def _money(el: Element | None, problems: Problems) -> Money | None:
    if el is None:
        return None
    currency = readers.required_text(el, "currency", problems)
    amount = readers.decimal_value(readers.required(el, "amount", problems), problems)
    if currency is None or amount is None:
        return None
    return Money(amount, currency)


def _fee(el: Element, ctx: DocContext, problems: Problems) -> Fee | None:
    payment = child(el, "payment")
    if payment is None:
        return None
    sides = []
    for name in ("payerPartyReference", "receiverPartyReference"):
        ref = readers.required(payment, name, problems)
        target = None if ref is None else ctx.target(ref, problems, "party")
        party = None if target is None else ctx.party(target, problems)
        sides.append(None if party is None else party.party_id)
    amount = _money(readers.required(payment, "paymentAmount", problems), problems)
    when = None
    date_el = child(payment, "paymentDate")
    if date_el is not None:
        adjusted = child(date_el, "adjustedDate")
        if adjusted is None:
            adjustable = child(date_el, "unadjustedDate")
            adjusted = adjustable
        when = readers.date_value(adjusted, problems)
    payer, receiver = sides
    if payer is None or receiver is None or amount is None:
        return None
    return Fee(payer, receiver, amount, when)
