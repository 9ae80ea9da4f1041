"""The demo's lifecycle phase, over MQTT: the trade source asks for each event of ``lifecycle_day`` in
turn, waits for its answer on its own status topic, and the result is read back with the effect the
gateway stored for it (``trade_events``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import aiomqtt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.events import EventKind, NamedTradeId
from gateway.domain.trade import Party
from gateway.formats.fpml.write import schemes
from gateway.store import tables as t
from gateway.waiting import wait_event
from tools.demo.lifecycle_day import DemoEvent, EventOutcome
from tools.demo.observer import Observer, Seen
from tools.demo.requests import (
    request_amendment,
    request_declear,
    request_reference_update,
    request_termination,
)

WAIT_S = 30.0  # per event: a broken run ends with "no answer" instead of hanging


@dataclass(frozen=True, slots=True)
class EventResult:
    """How one event of the phase ended, as its source was told and as the gateway stored it."""

    event: DemoEvent
    outcome: EventOutcome
    codes: tuple[str, ...]  # the reasons of a refusal or a rejection
    statuses: tuple[str, ...]  # what the source saw, in order
    notional_after: Decimal | None  # the stored effect of a confirmed event
    latency_ms: float | None

    @property
    def intended(self) -> bool:
        """Did the event end as the phase meant: its outcome, its reason, the notional it left?"""
        if self.outcome is not self.event.expected:
            return False
        if self.outcome is EventOutcome.REFUSED:
            return self.event.expected_code in self.codes
        return self.notional_after == self.event.expected_notional_after


def request(event: DemoEvent, *, source: str, at: datetime) -> bytes:
    """The FpML the source sends for ``event``: the trade named by its own trade id, both parties named."""
    terms = event.terms
    parties = tuple(Party(p) for p in terms.parties)
    trade_id = NamedTradeId(parties[0].party_id, event.trade_id, schemes.SOURCE_TRADE_ID)
    if terms.kind is EventKind.REFERENCE_UPDATE:
        new_ids = tuple(NamedTradeId(p.party_id, p.trade_id, p.scheme or "") for p in terms.party_trade_ids)
        return request_reference_update(
            (trade_id, *new_ids), parties, source=source, message_id=event.message_id, at=at
        )
    if terms.kind is EventKind.DECLEAR:
        return request_declear(terms, (trade_id,), parties, source=source, message_id=event.message_id, at=at)
    if terms.kind is EventKind.AMENDMENT:  # the amended trade names itself by the source's trade id
        return request_amendment(terms, parties, source=source, message_id=event.message_id, at=at)
    return request_termination(terms, (trade_id,), parties, source=source, message_id=event.message_id, at=at)


def _outcome(final: Seen | None) -> EventOutcome:
    if final is None:
        return EventOutcome.NO_ANSWER
    if final.kind == "clearingConfirmed":
        return EventOutcome.CONFIRMED
    if final.kind == "messageRejected":
        return EventOutcome.REJECTED
    return EventOutcome.REFUSED


async def run_events(
    events: list[DemoEvent],
    *,
    publisher: aiomqtt.Client,
    source: str,
    observer: Observer,
    engine: AsyncEngine,
    now: Callable[[], datetime],
    progress: Callable[[str, int, int], None],
) -> tuple[EventResult, ...]:
    """Send each event once the one before it is answered (an event may find its trade changed by the one
    before); the results, each with the effect stored for it."""
    topic = f"ccp/out/{source}/fpml"
    sent: dict[str, float] = {}
    for n, event in enumerate(events):
        progress("lifecycle events", n, len(events))
        sent[event.message_id] = time.perf_counter()
        await publisher.publish(f"ccp/in/{source}/fpml", request(event, source=source, at=now()), qos=1)
        deadline = time.monotonic() + WAIT_S
        while observer.final(event.message_id, topic) is None and time.monotonic() < deadline:
            observer.changed.clear()
            await wait_event(observer.changed, 0.25)
    progress("lifecycle events", len(events), len(events))
    stored = await _effects(engine, source, [e.message_id for e in events])
    results = []
    for event in events:
        final = observer.final(event.message_id, topic)
        outcome = _outcome(final)
        results.append(
            EventResult(
                event=event,
                outcome=outcome,
                codes=final.codes if final is not None and outcome is not EventOutcome.CONFIRMED else (),
                statuses=tuple(observer.statuses(event.message_id, topic)),
                notional_after=stored.get(event.message_id),
                latency_ms=None if final is None else (final.at - sent[event.message_id]) * 1000,
            )
        )
    return tuple(results)


async def _effects(engine: AsyncEngine, source: str, message_ids: list[str]) -> dict[str, Decimal]:
    """The notional each confirmed event left, as stored with it."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(t.trade_events.c.message_id, t.trade_events.c.notional_after).where(
                t.trade_events.c.source == source,
                t.trade_events.c.message_id.in_(message_ids),
                t.trade_events.c.notional_after.is_not(None),
            )
        )
        return {str(r.message_id): Decimal(str(r.notional_after)) for r in rows}
