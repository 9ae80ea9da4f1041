"""An FpML ``trade`` -> canonical Trade: identifiers, parties, trade date, venue, product.

Identifier rule (documented in docs/DESIGN_NOTES.md, "FpML intake"):
- ``source_trade_id``/``source_version``: the ``partyTradeIdentifier`` of the party that sent the
  message (its partyId equals ``header/sentBy``); else the first ``partyTradeIdentifier`` that is not a
  UTI/USI; its ``tradeId`` (or ``versionedTradeId/tradeId`` with ``version``). Failing those, the UTI,
  then the USI, then the message's ``correlationId``.
- ``uti``/``usi``: a ``tradeId`` whose scheme is the unique transaction (swap) identifier scheme; the
  identifier is the ``issuer`` prefix followed by the ``tradeId``.
- ``party_trade_ids``: every other ``tradeId`` that names one of the trade's two parties (the sender's
  own id, already the source id, is not repeated).
Parties come in the order of the document's ``party`` elements.
Venue rule: the party playing ``ExecutionFacility`` in ``partyTradeInformation/relatedParty`` (or in
the enclosing package's ``packageInformation``). ``sub_block`` is true when a
``partyTradeInformation/category`` says ``SubBlock`` (our profile's flag; FpML has no standard one).
"""

from __future__ import annotations

from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade, TradeIdentifiers
from gateway.formats.fpml.read import readers
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.products import registry
from gateway.formats.fpml.read.scope import refuse_product
from gateway.formats.fpml.read.xml import (
    Element,
    child,
    child_text,
    children,
    group_children,
    local_name,
    q,
    text_of,
)

_UTI_MARKERS = ("unique-transaction-identifier", "/uti")
_USI_MARKERS = ("unique-swap-identifier", "/usi")
_PARSERS = registry()


def _is(scheme: str | None, markers: tuple[str, ...]) -> bool:
    s = (scheme or "").lower()
    return any(s.endswith(m) or (m in s and not m.startswith("/")) for m in markers)


_KIND_OF_SCHEME: dict[str | None, str] = {}  # tradeIdScheme -> "uti" / "usi" / "" (a party's own id)


def _id_kind(scheme: str | None) -> str:
    """What a ``tradeIdScheme`` says a ``tradeId`` is; schemes repeat, so each is classified once."""
    kind = _KIND_OF_SCHEME.get(scheme)
    if kind is None:
        kind = "uti" if _is(scheme, _UTI_MARKERS) else "usi" if _is(scheme, _USI_MARKERS) else ""
        if len(_KIND_OF_SCHEME) < 1024:
            _KIND_OF_SCHEME[scheme] = kind
    return kind


def product_of(trade: Element) -> Element | None:
    """The product element: the first child after ``tradeHeader``."""
    header_seen = False
    for el in trade:
        if not isinstance(el.tag, str):
            continue
        if header_seen:
            return el
        header_seen = el.tag == q("tradeHeader")
    return None


def read_trade(
    trade: Element, ctx: DocContext, problems: Problems, package: Element | None = None
) -> Trade | None:
    before = len(problems)
    header = readers.required(trade, "tradeHeader", problems)
    product_el = product_of(trade)
    if header is None:
        return None
    if product_el is None:
        problems.add(ReasonCode.SCOPE_NO_TRADE, trade, "the trade has no product")
        return None
    parser = _PARSERS.get(local_name(product_el))
    if parser is None:
        refuse_product(product_el, problems)
        return None
    fields = group_children(header)  # one pass over the header for the date, identifiers and venue
    dates = fields.get(_TRADE_DATE)
    if dates is None:
        problems.missing(header, "tradeDate")
    trade_date = readers.date_value(dates[0] if dates else None, problems)
    result = parser(product_el, ctx, problems)
    identifiers = _identifiers(header, ctx, problems, fields)
    venue, sub_block = _venue(header, package, ctx, problems, fields)
    if result is None or len(problems) > before:
        return None
    assert trade_date is not None
    assert identifiers is not None
    keys = sorted(result.party_keys, key=ctx.party_position)
    parties = _parties(keys, result.accounts, ctx, problems)
    if parties is None:
        problems.add(
            ReasonCode.FPML_PARTIES_NOT_DISTINCT,
            product_el,
            f"a cleared trade is between two distinct parties; this one names {len(keys)}",
        )
        return None
    named = {p.party_id for p in parties}
    identifiers = TradeIdentifiers(  # only the trade's own parties' ids; the source's is source_trade_id
        source_trade_id=identifiers.source_trade_id,
        source_version=identifiers.source_version,
        uti=identifiers.uti,
        usi=identifiers.usi,
        party_trade_ids=tuple(p for p in identifiers.party_trade_ids if p.party_id in named),
    )
    try:
        return Trade(
            identifiers=identifiers,
            trade_date=trade_date,
            product=result.product,
            parties=parties,
            streams=result.streams,
            execution_venue=venue,
            sub_block=sub_block,
        )
    except TradeInvalid as exc:
        problems.from_invalid(exc, trade)
        return None


def _parties(
    keys: list[str], accounts: dict[str, str], ctx: DocContext, problems: Problems
) -> tuple[Party, Party] | None:
    if len(keys) != 2:
        return None
    out = []
    for key in keys:
        el = ctx.ids.get(key)
        party = None if el is None else ctx.party(el, problems)
        if party is None:
            return None
        account = accounts.get(key)
        if account is None:
            own = ctx.accounts_for(key)
            account = ctx.account_of(own[0]) if len(own) == 1 else None
        out.append(Party(party.party_id, party.scheme, party.name, account))
    if out[0].party_id == out[1].party_id:
        return None
    return out[0], out[1]


_TRADE_DATE, _PTI, _PT_INFO = q("tradeDate"), q("partyTradeIdentifier"), q("partyTradeInformation")
_VERSIONED, _TRADE_ID, _ISSUER, _PARTY_REF = (
    q("versionedTradeId"),
    q("tradeId"),
    q("issuer"),
    q("partyReference"),
)
_RELATED, _CATEGORY = q("relatedParty"), q("category")
_NO_ELEMENTS: list[Element] = []


def _first(fields: dict[str, list[Element]], tag: str) -> Element | None:
    found = fields.get(tag)
    return found[0] if found else None


def _identifiers(
    header: Element,
    ctx: DocContext,
    problems: Problems,
    fields: dict[str, list[Element]] | None = None,
) -> TradeIdentifiers | None:
    """``fields``: the header's children by name (``group_children``), when the caller has them."""
    if fields is None:
        fields = group_children(header)
    uti = usi = None
    candidates: list[tuple[str | None, str, int, PartyTradeId | None]] = []  # party, id, version, as pti
    party_ids: list[PartyTradeId] = []
    for pti in fields.get(_PTI, _NO_ELEMENTS):
        own = group_children(pti)  # one pass for its ids, issuer and party reference
        versioned = _first(own, _VERSIONED)
        trade_id_els = (
            own.get(_TRADE_ID, _NO_ELEMENTS) if versioned is None else children(versioned, "tradeId")
        )
        for trade_id_el in trade_id_els:
            value = text_of(trade_id_el)
            if value is None:
                continue
            scheme = trade_id_el.get("tradeIdScheme")
            kind = _id_kind(scheme)
            if kind == "uti":
                uti = uti or (text_of(_first(own, _ISSUER)) or "") + value
                continue
            if kind == "usi":
                usi = usi or (text_of(_first(own, _ISSUER)) or "") + value
                continue
            party_id = None
            ref = _first(own, _PARTY_REF)
            if ref is not None:
                target = ctx.target(ref, problems, "party")
                party = None if target is None else ctx.party(target, problems)
                party_id = None if party is None else party.party_id
            version = 1
            if versioned is not None:
                given = readers.int_value(child(versioned, "version"), problems)
                version = 1 if given is None else given
            pti_value = None if party_id is None else PartyTradeId(party_id, value, scheme)
            candidates.append((party_id, value, version, pti_value))
            if pti_value is not None:
                party_ids.append(pti_value)
    chosen = next((c for c in candidates if ctx.sent_by and c[0] == ctx.sent_by), None)
    if chosen is not None and chosen[3] is not None:
        # the sender's own id is the source id; it is not repeated among the parties' ids
        party_ids = [p for p in party_ids if p is not chosen[3]]
    chosen = chosen or (candidates[0] if candidates else None)
    if chosen is not None:
        source_id, version = chosen[1], chosen[2]
    elif uti or usi or ctx.correlation_id:
        source_id, version = (uti or usi or ctx.correlation_id or ""), 1
    else:
        problems.missing(header, "partyTradeIdentifier", "a trade identifier")
        return None
    if version < 1:
        problems.add(ReasonCode.FPML_INVALID_VALUE, header, f"trade version {version} must be at least 1")
        return None
    return TradeIdentifiers(
        source_trade_id=source_id,
        source_version=version,
        uti=uti,
        usi=usi,
        party_trade_ids=tuple(party_ids),
    )


def _venue(
    header: Element,
    package: Element | None,
    ctx: DocContext,
    problems: Problems,
    fields: dict[str, list[Element]] | None = None,
) -> tuple[str | None, bool]:
    venue = None
    sub_block = False
    holders = list((fields if fields is not None else group_children(header)).get(_PT_INFO, ()))
    if package is not None:
        info = package.find(f"{q('packageHeader')}/{q('packageInformation')}")
        if info is not None:
            holders.append(info)
    for holder in holders:
        own = group_children(holder)
        for related in own.get(_RELATED, _NO_ELEMENTS):
            if child_text(related, "role") != "ExecutionFacility" or venue is not None:
                continue
            ref = child(related, "partyReference")
            target = None if ref is None else ctx.target(ref, problems, "party")
            party = None if target is None else ctx.party(target, problems)
            venue = None if party is None else party.party_id
        for category in own.get(_CATEGORY, _NO_ELEMENTS):
            if (text_of(category) or "").lower() in ("subblock", "sub-block"):
                sub_block = True
    return venue, sub_block
