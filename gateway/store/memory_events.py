"""The memory store's lifecycle events (``EventRepository`` of gateway/clearing/ports.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from gateway.domain.clearing import EventRequest, NewEvent
from gateway.domain.events import (
    EventEffect,
    EventNote,
    EventOutcome,
    EventTerms,
    PendingEvent,
    StoredEvent,
)
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
        self.s.event_at[note.event_id] = at
        self.s.event_requests[note.event_id] = request
        return stored

    async def insert_many(self, new: Sequence[NewEvent]) -> list[StoredEvent]:
        return [
            await self.insert(
                e.request, e.submission_id, e.outcome, e.ccp_trade_ids, e.cleared, e.effect, e.at
            )
            for e in new
        ]

    async def of_submission(self, submission_id: int) -> list[StoredEvent]:
        return [e for _, e in sorted(self.s.events.items()) if e.submission_id == submission_id]

    async def pending(self, *, flagged_only: bool) -> list[PendingEvent]:
        return [
            PendingEvent(i, e.submission_id, self.s.event_requests[i].received_at, i in self.s.flagged_events)
            for i, e in sorted(self.s.events.items())
            if e.note.outcome is EventOutcome.PENDING and (not flagged_only or i in self.s.flagged_events)
        ]

    async def pending_request(self, event_id: int) -> tuple[int, EventRequest] | None:
        stored = self.s.events.get(event_id)
        if stored is None or stored.note.outcome is not EventOutcome.PENDING:
            return None
        return stored.submission_id, self.s.event_requests[event_id]

    async def settle(
        self,
        event_id: int,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        stored = self.s.events[event_id]
        note = dataclasses.replace(
            stored.note, outcome=outcome, ccp_trade_ids=ccp_trade_ids, cleared=cleared, effect=effect
        )
        self.s.events[event_id] = dataclasses.replace(stored, note=note)
        self.s.event_at[event_id] = at  # decided now: a fee it carries is paid on this day
        self.s.flagged_events.discard(event_id)
        return self.s.events[event_id]

    async def unflag(self, event_id: int) -> None:
        self.s.flagged_events.discard(event_id)

    def flag_recheck(self, submission_ids: set[int]) -> None:
        """Flag the waiting events of these submissions (a member's trades) to be decided again."""
        for i, e in self.s.events.items():
            if e.note.outcome is EventOutcome.PENDING and e.submission_id in submission_ids:
                self.s.flagged_events.add(i)

    async def proposed(
        self, *, message_id: str | None = None, lock: bool = False
    ) -> list[tuple[StoredEvent, datetime]]:
        return [
            (e, self.s.event_requests[i].received_at)
            for i, e in sorted(self.s.events.items())
            if e.note.outcome is EventOutcome.PROPOSED and message_id in (None, e.message_id)
        ]

    async def settle_proposal(
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
        self.s.event_at[note.event_id] = at  # answered now: a fee it carries is paid on this day
        return settled
