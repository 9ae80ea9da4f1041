"""Lifecycle events on cleared trades (``trade_events``): rows <-> values.

Functions take a connection so the caller composes one transaction: the event row, the cleared trades it
changed, the accounts' risk and its statuses (``status_repo.record_event``) commit together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import codec
from gateway.domain.clearing import Channel, EventRequest, NewEvent
from gateway.domain.events import (
    EventEffect,
    EventNote,
    EventOutcome,
    EventTerms,
    Fee,
    PendingEvent,
    StoredEvent,
    terms_from_dict,
    terms_to_dict,
)
from gateway.domain.trade import Trade
from gateway.store import tables as t


def _event_values(
    request: EventRequest,
    submission_id: int,
    outcome: EventOutcome,
    ccp_trade_ids: tuple[str, str],
    cleared: tuple[Trade, Trade],
    effect: EventEffect | None,
    at: datetime,
) -> dict[str, Any]:
    fee = request.terms.fee
    return {
        "submission_id": submission_id,
        "source": request.source,
        "channel": request.channel.value,
        "message_id": request.message_id,
        "correlation_id": request.correlation_id,
        "kind": request.terms.kind.value,
        "received_at": request.received_at,
        "at": at,
        "outcome": outcome.value,
        # the cleared trades after the event, then (an amendment) the ones it replaced
        "ccp_trade_ids": json.dumps(
            [*ccp_trade_ids, *(() if effect is None or effect.replaced is None else effect.replaced)]
        ),
        "terms_json": json.dumps(terms_to_dict(request.terms)),
        "notional_before": None if effect is None else effect.notional_before,
        "notional_after": None if effect is None else effect.notional_after,
        "currency": None if effect is None else effect.currency,
        "fee_amount": None if fee is None or effect is None else fee.amount.amount,
        "fee_currency": None if fee is None or effect is None else fee.amount.currency,
        "result_json": json.dumps([codec.trade_to_dict(x) for x in cleared]),
        "raw": request.raw,
    }


async def insert_event(
    conn: AsyncConnection,
    request: EventRequest,
    submission_id: int,
    outcome: EventOutcome,
    ccp_trade_ids: tuple[str, str],
    cleared: tuple[Trade, Trade],
    effect: EventEffect | None,
    at: datetime,
) -> StoredEvent:
    """Store one event taken on a cleared trade (with the id it is given)."""
    values = _event_values(request, submission_id, outcome, ccp_trade_ids, cleared, effect, at)
    result = await conn.execute(t.trade_events.insert().returning(t.trade_events.c.id), values)
    note = EventNote(int(result.scalar_one()), request.terms, outcome, ccp_trade_ids, cleared, effect)
    return StoredEvent(note, submission_id, request.source, request.message_id, request.correlation_id)


_INSERT_MANY = t.trade_events.insert().returning(t.trade_events.c.id, sort_by_parameter_order=True)


async def insert_events(conn: AsyncConnection, new: Sequence[NewEvent]) -> list[StoredEvent]:
    """Store many events in the order given (one multi-row insert per batch the driver allows)."""
    if not new:
        return []
    values = [
        _event_values(e.request, e.submission_id, e.outcome, e.ccp_trade_ids, e.cleared, e.effect, e.at)
        for e in new
    ]
    ids = (await conn.execute(_INSERT_MANY, values)).scalars().all()
    return [
        StoredEvent(
            EventNote(int(i), e.request.terms, e.outcome, e.ccp_trade_ids, e.cleared, e.effect),
            e.submission_id,
            e.request.source,
            e.request.message_id,
            e.request.correlation_id,
        )
        for e, i in zip(new, ids, strict=True)
    ]


async def events_of_submission(conn: AsyncConnection, submission_id: int) -> list[StoredEvent]:
    """Every event taken on the trade, in order."""
    c = t.trade_events.c
    rows = await conn.execute(select(t.trade_events).where(c.submission_id == submission_id).order_by(c.id))
    return [_stored(r) for r in rows]


async def pending_events(conn: AsyncConnection, *, flagged_only: bool) -> list[PendingEvent]:
    """Events waiting for collateral, oldest first (``flagged_only``: those a lodgement flagged)."""
    c = t.trade_events.c
    query = select(c.id, c.submission_id, c.received_at, c.needs_recheck).where(
        c.outcome == EventOutcome.PENDING.value
    )
    if flagged_only:
        query = query.where(c.needs_recheck.is_(True))
    rows = await conn.execute(query.order_by(c.id))
    return [PendingEvent(int(r.id), int(r.submission_id), r.received_at, bool(r.needs_recheck)) for r in rows]


async def pending_request(conn: AsyncConnection, event_id: int) -> tuple[int, EventRequest] | None:
    """A waiting event's submission and its request as received; None once it is decided."""
    c = t.trade_events.c
    row = (
        await conn.execute(
            select(t.trade_events).where(c.id == event_id, c.outcome == EventOutcome.PENDING.value)
        )
    ).first()
    if row is None:
        return None
    request = EventRequest(
        channel=Channel(row.channel),
        source=row.source,
        message_id=row.message_id,
        received_at=row.received_at,
        terms=terms_from_dict(json.loads(row.terms_json)),
        correlation_id=row.correlation_id,
        raw=bytes(row.raw),
    )
    return int(row.submission_id), request


def _decided(
    outcome: EventOutcome,
    ccp_trade_ids: tuple[str, str],
    cleared: tuple[Trade, Trade],
    effect: EventEffect | None,
    fee: Fee | None,
    at: datetime,
) -> dict[str, Any]:
    """The columns an event's decision sets (a waiting one decided, a proposal answered), as
    ``insert_event`` writes them: a refused event keeps no effect and no fee."""
    return {
        "at": at,
        "outcome": outcome.value,
        "ccp_trade_ids": json.dumps(
            [*ccp_trade_ids, *(() if effect is None or effect.replaced is None else effect.replaced)]
        ),
        "notional_before": None if effect is None else effect.notional_before,
        "notional_after": None if effect is None else effect.notional_after,
        "currency": None if effect is None else effect.currency,
        "fee_amount": None if fee is None or effect is None else fee.amount.amount,
        "fee_currency": None if fee is None or effect is None else fee.amount.currency,
        "result_json": json.dumps([codec.trade_to_dict(x) for x in cleared]),
    }


async def settle_event(
    conn: AsyncConnection,
    event_id: int,
    outcome: EventOutcome,
    ccp_trade_ids: tuple[str, str],
    cleared: tuple[Trade, Trade],
    effect: EventEffect | None,
    at: datetime,
) -> StoredEvent:
    """A waiting event decided at last: its outcome, the trades after it and its effect."""
    c = t.trade_events.c
    row = (await conn.execute(select(c.fee_amount, c.terms_json).where(c.id == event_id))).one()
    fee = terms_from_dict(json.loads(row.terms_json)).fee
    await conn.execute(
        update(t.trade_events)
        .where(c.id == event_id)
        .values(needs_recheck=False, **_decided(outcome, ccp_trade_ids, cleared, effect, fee, at))
    )
    return (await events_by_id(conn, [event_id]))[event_id]


async def unflag_event(conn: AsyncConnection, event_id: int) -> None:
    await conn.execute(
        update(t.trade_events).where(t.trade_events.c.id == event_id).values(needs_recheck=False)
    )


async def flag_recheck(conn: AsyncConnection, member_id: str) -> int:
    """Flag the events waiting for collateral on the member's trades, to be decided again."""
    c, s = t.trade_events.c, t.submissions.c
    of_member = select(s.id).where(or_(s.member_a == member_id, s.member_b == member_id))
    result = await conn.execute(
        update(t.trade_events)
        .where(c.outcome == EventOutcome.PENDING.value, c.submission_id.in_(of_member))
        .values(needs_recheck=True)
    )
    return int(result.rowcount or 0)


async def find_event(conn: AsyncConnection, source: str, message_id: str) -> StoredEvent | None:
    """The event a source's message became, if it is known."""
    c = t.trade_events.c
    row = (
        await conn.execute(select(t.trade_events).where(c.source == source, c.message_id == message_id))
    ).first()
    return None if row is None else _stored(row)


async def proposed_events(
    conn: AsyncConnection, *, message_id: str | None = None, lock: bool = False
) -> list[tuple[StoredEvent, datetime]]:
    """Events proposed by one member and not yet answered (with when each was received), oldest first;
    ``message_id``: only the proposals with that message id (of any session)."""
    c = t.trade_events.c
    query = select(t.trade_events).where(c.outcome == EventOutcome.PROPOSED.value).order_by(c.id)
    if message_id is not None:
        query = query.where(c.message_id == message_id)
    if lock:
        query = query.with_for_update()
    return [(_stored(r), r.received_at) for r in await conn.execute(query)]


async def settle_proposal(
    conn: AsyncConnection,
    event: StoredEvent,
    terms: EventTerms,
    outcome: EventOutcome,
    ccp_trade_ids: tuple[str, str],
    cleared: tuple[Trade, Trade],
    effect: EventEffect | None,
    at: datetime,
) -> StoredEvent:
    """A proposed event answered: its terms as agreed, its outcome and effect (as ``insert_event`` writes)."""
    await conn.execute(
        update(t.trade_events)
        .where(t.trade_events.c.id == event.note.event_id)
        .values(
            terms_json=json.dumps(terms_to_dict(terms)),
            **_decided(outcome, ccp_trade_ids, cleared, effect, terms.fee, at),
        )
    )
    note = EventNote(event.note.event_id, terms, outcome, ccp_trade_ids, cleared, effect)
    return StoredEvent(note, event.submission_id, event.source, event.message_id, event.correlation_id)


async def events_by_id(conn: AsyncConnection, event_ids: Iterable[int]) -> dict[int, StoredEvent]:
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    rows = await conn.execute(select(t.trade_events).where(t.trade_events.c.id.in_(ids)))
    return {int(r.id): _stored(r) for r in rows}


def _stored(row: Any) -> StoredEvent:
    """A ``trade_events`` row as its values."""
    ids = json.loads(row.ccp_trade_ids)
    trades = [codec.trade_from_dict(d) for d in json.loads(row.result_json)]
    effect = None
    if row.notional_before is not None:
        replaced = (ids[2], ids[3]) if len(ids) == 4 else None
        effect = EventEffect(row.notional_before, row.notional_after, row.currency, replaced)
    note = EventNote(
        event_id=int(row.id),
        terms=terms_from_dict(json.loads(row.terms_json)),
        outcome=EventOutcome(row.outcome),
        ccp_trade_ids=(ids[0], ids[1]),
        cleared=(trades[0], trades[1]),
        effect=effect,
    )
    return StoredEvent(note, int(row.submission_id), row.source, row.message_id, row.correlation_id)
