"""An FpML ``trade`` -> canonical Trade: identifiers, parties, trade date, venue, product.

Identifier rule (documented in docs/ARCHITECTURE.md):
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

from dataclasses import replace

from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade, TradeIdentifiers
from gateway.intake.fpml import readers
from gateway.intake.fpml.context import DocContext
from gateway.intake.fpml.problems import Problems
from gateway.intake.fpml.products import registry
from gateway.intake.fpml.scope import refuse_product
from gateway.intake.fpml.xml import Element, child, child_text, children, local_name, q, text_of

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
    trade_date = readers.date_value(readers.required(header, "tradeDate", problems), problems)
    result = parser(product_el, ctx, problems)
    identifiers = _identifiers(header, ctx, problems)
    venue, sub_block = _venue(header, package, ctx, problems)
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
    identifiers = replace(  # only the trade's own parties' ids; the source's id is source_trade_id
        identifiers, party_trade_ids=tuple(p for p in identifiers.party_trade_ids if p.party_id in named)
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


def _identifiers(header: Element, ctx: DocContext, problems: Problems) -> TradeIdentifiers | None:
    uti = usi = None
    candidates: list[tuple[str | None, str, int, PartyTradeId | None]] = []  # party, id, version, as pti
    party_ids: list[PartyTradeId] = []
    for pti in children(header, "partyTradeIdentifier"):
        versioned = child(pti, "versionedTradeId")
        holder = versioned if versioned is not None else pti
        for trade_id_el in children(holder, "tradeId"):
            value = text_of(trade_id_el)
            if value is None:
                continue
            scheme = trade_id_el.get("tradeIdScheme")
            kind = _id_kind(scheme)
            if kind == "uti":
                uti = uti or (child_text(pti, "issuer") or "") + value
                continue
            if kind == "usi":
                usi = usi or (child_text(pti, "issuer") or "") + value
                continue
            party_id = None
            ref = child(pti, "partyReference")
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
    header: Element, package: Element | None, ctx: DocContext, problems: Problems
) -> tuple[str | None, bool]:
    venue = None
    sub_block = False
    holders = children(header, "partyTradeInformation")
    if package is not None:
        info = package.find(f"{q('packageHeader')}/{q('packageInformation')}")
        if info is not None:
            holders.append(info)
    for holder in holders:
        for related in children(holder, "relatedParty"):
            if child_text(related, "role") != "ExecutionFacility" or venue is not None:
                continue
            ref = child(related, "partyReference")
            target = None if ref is None else ctx.target(ref, problems, "party")
            party = None if target is None else ctx.party(target, problems)
            venue = None if party is None else party.party_id
        for category in children(holder, "category"):
            if (text_of(category) or "").lower() in ("subblock", "sub-block"):
                sub_block = True
    return venue, sub_block
