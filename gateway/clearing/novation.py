"""Novation: a bilateral trade A-B becomes A-CCP and CCP-B with the same economics. Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.domain.trade import Party, PartyTradeId, Stream, Trade, TradeIdentifiers
from gateway.domain.workflow import ClearedRow

CCP_TRADE_ID_SCHEME = "http://www.fpml.org/coding-scheme/external/ccp-trade-id"


def _swap_party(s: Stream, old: str, new: str) -> Stream:
    return dataclasses.replace(
        s,
        payer=new if s.payer == old else s.payer,
        receiver=new if s.receiver == old else s.receiver,
    )


def _cleared(trade: Trade, keep: Party, replaced: Party, ccp: Party, ccp_trade_id: str) -> Trade:
    member_ids = tuple(p for p in trade.identifiers.party_trade_ids if p.party_id == keep.party_id)
    ids = TradeIdentifiers(
        source_trade_id=ccp_trade_id,
        source_version=1,
        uti=f"{ccp.party_id}{ccp_trade_id}",
        usi=None,
        party_trade_ids=(*member_ids, PartyTradeId(ccp.party_id, ccp_trade_id, CCP_TRADE_ID_SCHEME)),
    )
    parties = (keep, ccp) if trade.parties[0] == keep else (ccp, keep)
    return Trade(
        identifiers=ids,
        trade_date=trade.trade_date,
        product=trade.product,
        parties=parties,
        streams=tuple(_swap_party(s, replaced.party_id, ccp.party_id) for s in trade.streams),
        execution_venue=trade.execution_venue,
        sub_block=trade.sub_block,
        package=trade.package,  # a cleared trade names the package it was executed in (originatingPackage)
    )


def novate(trade: Trade, ccp: Party, ccp_trade_ids: tuple[str, str]) -> tuple[Trade, Trade]:
    """(A-CCP, CCP-B): the first keeps party A and puts the CCP in B's place, the second the reverse."""
    a, b = trade.parties
    return (
        _cleared(trade, a, b, ccp, ccp_trade_ids[0]),
        _cleared(trade, b, a, ccp, ccp_trade_ids[1]),
    )


def bilateral_streams(cleared: Trade, ccp_party_id: str, counterparty: str) -> tuple[Stream, ...]:
    """A member's cleared trade's streams with the CCP's place given back to the member's counterparty: the
    trade between the two members as it now stands (after any event on it)."""
    return tuple(_swap_party(s, ccp_party_id, counterparty) for s in cleared.streams)


class Direction:
    PAY = "PAY"
    RECEIVE = "RECEIVE"


@dataclass(frozen=True, slots=True)
class PositionTerms:
    """A trade seen from one party: the columns of the standard position layout."""

    party_id: str
    notional: Decimal
    currency: str
    direction: str  # PAY / RECEIVE on the fixed leg (leg 1 for a float/float basis swap)
    fixed_rate: Decimal | None
    floating_index: str | None
    index_tenor: str | None
    spread: Decimal | None
    effective_date: date
    maturity_date: date


def position_terms(trade: Trade, party_id: str) -> PositionTerms:
    fixed = next((s for s in trade.streams if s.fixed_rate is not None), None)
    reference = fixed if fixed is not None else trade.streams[0]
    floating = [s for s in trade.streams if s.floating_index is not None]
    quoted = next((s for s in floating if s.spread != 0), floating[0] if floating else None)
    return PositionTerms(
        party_id=party_id,
        notional=reference.notional,
        currency=reference.currency,
        direction=Direction.PAY if reference.payer == party_id else Direction.RECEIVE,
        fixed_rate=None if fixed is None else fixed.fixed_rate,
        floating_index=None if not floating else floating[0].floating_index,
        index_tenor=None if not floating or floating[0].index_tenor is None else str(floating[0].index_tenor),
        spread=None if quoted is None else quoted.spread,
        effective_date=trade.effective_date,
        maturity_date=trade.maturity_date,
    )


def cleared_row(
    cleared: Trade, ccp_trade_id: str, member_id: str, account_id: str, party_id: str
) -> ClearedRow:
    """The stored row of one member side (``cleared``: the member's trade with the CCP)."""
    terms = position_terms(cleared, party_id)
    return ClearedRow(
        ccp_trade_id=ccp_trade_id,
        member_id=member_id,
        account_id=account_id,
        party_id=party_id,
        trade=cleared,
        uti=cleared.identifiers.uti,
        product=cleared.product.value,
        currency=terms.currency,
        notional=terms.notional,
        direction=terms.direction,
        fixed_rate=terms.fixed_rate,
        floating_index=terms.floating_index,
        index_tenor=terms.index_tenor,
        spread=terms.spread,
        effective_date=terms.effective_date,
        maturity_date=terms.maturity_date,
    )
