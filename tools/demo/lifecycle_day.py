"""The demo's lifecycle phase: what its trade source asks of trades cleared earlier in the day.

Pure: the events follow from the cleared trades given, in order. A partial termination with a fee, an
increase, a trade-id update, an economic amendment (the fixed rate raised by ``AMENDED_RATE_STEP``, on the
trade's live notional, as its next version), a full termination, the same termination again (refused: the
trade is no longer live) and a de-clear. The full termination (and its refused repeat) takes the second
trade; the other events take the remaining trades in turn, reusing them when the day cleared few, the
de-clear last, so every event finds its trade live except the one meant to be refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from gateway.clearing.lifecycle import resized
from gateway.domain.events import EventKind, EventTerms, Fee, Money, NotionalChange, TradeRef
from gateway.domain.trade import PartyTradeId, Trade

FEE_AUD = Decimal("12500.00")  # the partial termination's fee, paid by the trade's fixed-rate payer
INCREASE_AUD = Decimal(5_000_000)
AMENDED_RATE_STEP = Decimal("0.0025")  # the amendment raises the fixed rate by 25 basis points
BOOK_SCHEME = "urn:demo:member-book-id"  # the scheme of a member's new own trade id
MIN_TRADES = 2  # cleared trades the phase needs: one to terminate in full, one for the rest


class EventIntent(StrEnum):
    """What an event is in the demo to show."""

    PARTIAL = "partial termination + fee"
    INCREASE = "increase"
    REFERENCE = "trade-id update"
    AMENDMENT = "economic amendment"
    FULL = "full termination"
    AGAIN = "terminating it again"
    DECLEAR = "de-clear"


class EventOutcome(StrEnum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    REJECTED = "rejected"  # messageRejected: the request was not taken
    NO_ANSWER = "no answer"


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """One event of the phase, with the answer it is meant to get."""

    message_id: str  # also its correlation id: the statuses about it carry it
    intent: EventIntent
    trade: Trade  # the cleared trade the event names (by the source's own trade id)
    terms: EventTerms
    notional_before: Decimal  # the trade's live notional when the event is asked
    expected: EventOutcome
    expected_notional_after: Decimal  # a refused event leaves the notional as it was
    expected_code: str | None = None  # the reason a refused event is meant to be given
    detail: str | None = None  # what else the event changes (an amendment: the fixed rate)

    @property
    def trade_id(self) -> str:
        return self.trade.identifiers.source_trade_id

    @property
    def described(self) -> str:
        return self.intent.value if self.detail is None else f"{self.intent.value}: {self.detail}"


class TooFewTrades(ValueError):
    """The day cleared fewer trades than the phase needs."""


def lifecycle_events(cleared: Sequence[Trade], business_date: date) -> list[DemoEvent]:
    """The phase's events on ``cleared`` (trades between two members, cleared today), in sending order."""
    if len(cleared) < MIN_TRADES:
        raise TooFewTrades(
            f"the lifecycle phase needs {MIN_TRADES} cleared trades between Bank A and Bank B; "
            f"the day cleared {len(cleared)}"
        )
    full_target = cleared[1]
    others = [cleared[0], *cleared[2:]]
    live = {t.identifiers.source_trade_id: _notional(t) for t in cleared}
    events: list[DemoEvent] = []

    def add(
        intent: EventIntent,
        trade: Trade,
        terms: EventTerms,
        after: Decimal,
        expected: EventOutcome = EventOutcome.CONFIRMED,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        tid = trade.identifiers.source_trade_id
        before = live[tid]
        events.append(
            DemoEvent(
                f"EVT-{len(events) + 1:02d}-{intent.name}",
                intent,
                trade,
                terms,
                before,
                expected,
                after,
                code,
                detail,
            )
        )
        live[tid] = after

    def terms(
        kind: EventKind,
        trade: Trade,
        notional: NotionalChange | None,
        *,
        fee: Fee | None = None,
        reason: str | None = None,
        party_trade_ids: tuple[PartyTradeId, ...] = (),
        amended: Trade | None = None,
    ) -> EventTerms:
        return EventTerms(
            kind=kind,
            trade=TradeRef(source_trade_id=trade.identifiers.source_trade_id),
            parties=tuple(p.party_id for p in trade.parties),
            agreement_date=business_date,
            effective_date=business_date,  # the trades start at T+2: nothing is paid today
            notional=notional,
            fee=fee,
            reason=reason,
            party_trade_ids=party_trade_ids,
            amended=amended,
        )

    partial = others[0]
    before = live[partial.identifiers.source_trade_id]
    kept = before * 3 / 5
    payer, receiver = (p.party_id for p in partial.parties)
    fee = Fee(payer, receiver, Money(FEE_AUD, "AUD"), business_date + timedelta(days=2))
    add(
        EventIntent.PARTIAL,
        partial,
        terms(EventKind.TERMINATION, partial, _change(before - kept, kept), fee=fee),
        kept,
    )
    grown = others[1 % len(others)]
    before = live[grown.identifiers.source_trade_id]
    add(
        EventIntent.INCREASE,
        grown,
        terms(EventKind.INCREASE, grown, _change(INCREASE_AUD, before + INCREASE_AUD)),
        before + INCREASE_AUD,
    )
    renamed = others[2 % len(others)]
    first = renamed.parties[0].party_id
    new_id = PartyTradeId(first, f"BOOK-{renamed.identifiers.source_trade_id}", BOOK_SCHEME)
    add(
        EventIntent.REFERENCE,
        renamed,
        terms(EventKind.REFERENCE_UPDATE, renamed, None, party_trade_ids=(new_id,)),
        live[renamed.identifiers.source_trade_id],
    )
    amended_trade = others[4 % len(others)]
    before = live[amended_trade.identifiers.source_trade_id]
    amended, rates = _amended(amended_trade, before)
    add(
        EventIntent.AMENDMENT,
        amended_trade,
        terms(EventKind.AMENDMENT, amended_trade, None, amended=amended),
        before,
        detail=f"fixed rate {rates[0]:.4%} -> {rates[1]:.4%}",
    )
    before = live[full_target.identifiers.source_trade_id]
    full = terms(EventKind.TERMINATION, full_target, _change(before, Decimal(0)))
    add(EventIntent.FULL, full_target, full, Decimal(0))
    add(EventIntent.AGAIN, full_target, full, Decimal(0), EventOutcome.REFUSED, "LIFE_TRADE_NOT_LIVE")
    declared = others[3 % len(others)]
    add(
        EventIntent.DECLEAR,
        declared,
        terms(EventKind.DECLEAR, declared, None, reason="moved to a bilateral agreement"),
        Decimal(0),
    )
    return events


def _notional(trade: Trade) -> Decimal:
    return trade.streams[0].notional


def _change(change: Decimal, outstanding: Decimal) -> NotionalChange:
    return NotionalChange(Money(change, "AUD"), Money(outstanding, "AUD"))


def _amended(trade: Trade, live: Decimal) -> tuple[Trade, tuple[Decimal, Decimal]]:
    """``trade`` as its next version: on its live notional, its fixed rate ``AMENDED_RATE_STEP`` higher;
    and the rate before and after."""
    on_live = resized(trade, live, _notional(trade))
    old = next(s.fixed_rate for s in trade.streams if s.fixed_rate is not None)
    new = old + AMENDED_RATE_STEP
    streams = tuple(
        s if s.fixed_rate is None else dataclasses.replace(s, fixed_rate=new) for s in on_live.streams
    )
    ids = dataclasses.replace(trade.identifiers, source_version=trade.identifiers.source_version + 1)
    return dataclasses.replace(on_live, streams=streams, identifiers=ids), (old, new)
