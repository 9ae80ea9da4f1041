"""The memory store's lifecycle events (``EventRepository`` of gateway/clearing/ports.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from gateway.domain.clearing import EventRequest
from gateway.domain.events import EventEffect, EventNote, EventOutcome, EventTerms, StoredEvent
from gateway.domain.trade import Trade
from gateway.store.memory_books import Ids, State


class MemoryEvents:
    """Events of one unit of work's state: one per (source, message id), as the SQL store's unique key."""

    def __init__(self, state: State, ids: Ids) -> None:
        self.s = state
        self._ids = ids

    async def find(self, source: str, message_id: str) -> StoredEvent | None:
        found = [e for e in self.s.events.values() if (e.source, e.message_id) == (source, message_id)]
        return found[0] if found else None

    async def insert(
        self,
        request: EventRequest,
        submission_id: int,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        if await self.find(request.source, request.message_id) is not None:
            raise ValueError(f"event message {request.source}/{request.message_id} is known")
        note = EventNote(next(self._ids.event), request.terms, outcome, ccp_trade_ids, cleared, effect)
        stored = StoredEvent(note, submission_id, request.source, request.message_id, request.correlation_id)
        self.s.events[note.event_id] = stored
        self.s.event_received[note.event_id] = request.received_at
        return stored

    async def proposed(
        self, *, message_id: str | None = None, lock: bool = False
    ) -> list[tuple[StoredEvent, datetime]]:
        return [
            (e, self.s.event_received[i])
            for i, e in sorted(self.s.events.items())
            if e.note.outcome is EventOutcome.PROPOSED and message_id in (None, e.message_id)
        ]

    async def settle(
        self,
        event: StoredEvent,
        terms: EventTerms,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        note = EventNote(event.note.event_id, terms, outcome, ccp_trade_ids, cleared, effect)
        settled = dataclasses.replace(event, note=note)
        self.s.events[note.event_id] = settled
        return settled
