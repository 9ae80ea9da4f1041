"""Two-sided reporting, the pure part: who must affirm a member's report, whether the counterparty's own
report is the same trade, and the trade once the counterparty has given its side.

A member that is not an approved trade source reports a trade; it is *alleged* to the other party,
which affirms it by accepting it (with its own account and trade id) or by reporting the same trade
itself: the same UTI and the same economics, seen from the other side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

from gateway.domain.trade import Party, PartyTradeId, Stream, Trade

# What the two reports of one trade must agree on, per stream: (name in a refusal, value).
_STREAM_TERMS: tuple[tuple[str, Callable[[Stream], object]], ...] = (
    ("notional", lambda s: s.notional),
    ("currency", lambda s: s.currency),
    ("effectiveDate", lambda s: s.effective_date),
    ("terminationDate", lambda s: s.termination_date),
    ("fixedRate", lambda s: s.fixed_rate),
    ("floatingRateIndex", lambda s: s.floating_index),
    ("indexTenor", lambda s: s.index_tenor),
    ("spread", lambda s: s.spread),
    ("dayCountFraction", lambda s: s.day_count),
    ("calculationFrequency", lambda s: s.calculation_frequency),
    ("paymentFrequency", lambda s: s.payment_frequency),
    ("resetFrequency", lambda s: s.reset_frequency),
    ("notionalSteps", lambda s: s.notional_steps),
    ("fixedRateSteps", lambda s: s.fixed_rate_steps),
)


def counterparty(trade: Trade, reporter_party: str) -> Party | None:
    """The side the reporter is not (None when the reporter is neither side or both)."""
    others = [p for p in trade.parties if p.party_id != reporter_party]
    return others[0] if len(others) == 1 else None


def differences(alleged: Trade, own: Trade) -> list[str]:
    """The economic terms on which ``own`` (the counterparty's report) differs from ``alleged``, each named.

    Both describe one trade: the same parties paying the same legs. A report in which the counterparty
    pays what the alleged trade has it receive differs in ``direction``."""
    out: list[str] = []
    if alleged.product != own.product:
        out.append(f"product ({alleged.product} / {own.product})")
    if alleged.trade_date != own.trade_date:
        out.append(f"tradeDate ({alleged.trade_date} / {own.trade_date})")
    if {p.party_id for p in alleged.parties} != {p.party_id for p in own.parties}:
        names = ", ".join(p.party_id for p in own.parties)
        return [*out, f"parties ({names})"]
    if len(alleged.streams) != len(own.streams):
        return [*out, f"streams ({len(alleged.streams)} / {len(own.streams)})"]
    theirs = {(s.payer, s.receiver): s for s in alleged.streams}
    mine = {(s.payer, s.receiver): s for s in own.streams}
    swapped = theirs.keys() == mine.keys() and any(
        (t.fixed_rate is None) != (mine[k].fixed_rate is None)
        or (t.floating_index is None) != (mine[k].floating_index is None)
        for k, t in theirs.items()
    )
    if len(theirs) != len(alleged.streams) or theirs.keys() != mine.keys() or swapped:
        # the same parties but the other way round: each leg paid by the other side
        return [*out, "direction (payer and receiver of the streams)"]
    for n, (key, stream) in enumerate(theirs.items()):
        other = mine[key]
        for name, value in _STREAM_TERMS:
            if value(stream) != value(other):
                out.append(f"streams[{n}].{name} ({_text(value(stream))} / {_text(value(other))})")
    return out


def _text(value: object) -> str:
    """A term as a member would write it (``50000000``, not ``5.0E+7`` or ``50000000.0``)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def with_side(trade: Trade, party_id: str, account: str | None, side_trade_id: str | None) -> Trade:
    """``trade`` with ``party_id``'s side as its member gives it: its account (none: its house account)
    and its own trade id (replacing any the reporter named for it)."""
    parties = tuple(
        dataclasses.replace(p, account=account) if p.party_id == party_id else p for p in trade.parties
    )
    ids = trade.identifiers
    kept = tuple(i for i in ids.party_trade_ids if i.party_id != party_id)
    if side_trade_id:
        kept += (PartyTradeId(party_id, side_trade_id),)
    identifiers = dataclasses.replace(ids, party_trade_ids=kept)
    return dataclasses.replace(trade, parties=(parties[0], parties[1]), identifiers=identifiers)
