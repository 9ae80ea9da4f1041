"""Each submission's status history and the outbox that owes every status to its recipients: rows <-> values.

``_append_statuses`` is the one writer of statuses: every status written (Received, a transition of the
clearing pass, a withdrawal, an affirmation) goes through it, with its outbox items in the same statements.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import codec
from gateway.domain.clearing import (
    Channel,
    DeliveryChannel,
    OutboxItem,
    RecipientRole,
    StatusUpdate,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import StoredEvent
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    EventStatuses,
    Recipient,
    SubmissionRow,
    Transition,
    submission_ref,
)
from gateway.store import tables as t
from gateway.store.cleared_repo import pairs_of
from gateway.store.events_repo import events_by_id
from gateway.store.types import UtcDateTime

_INSERT_HISTORY_MANY = t.status_history.insert().returning(
    t.status_history.c.id, sort_by_parameter_order=True
)


async def record_received_many(
    conn: AsyncConnection, received: Sequence[tuple[SubmissionRow, datetime, Sequence[Recipient]]]
) -> list[StatusUpdate]:
    """The Received status (sequence 1, already on the row) of submissions just inserted, owed to their
    recipients: two statements for them all, history and outbox in the order given."""
    await _append_statuses(
        conn,
        [
            _Status(sub.id, 1, ClearingStatusCode.RECEIVED, at, (), (), sub.business_date, recipients)
            for sub, at, recipients in received
        ],
    )
    return [_received_update(sub, at) for sub, at, _ in received]


@dataclass(frozen=True, slots=True)
class _Status:
    """One status of one submission, and who is owed it."""

    submission_id: int
    sequence: int
    status: ClearingStatusCode
    at: datetime
    reasons: Sequence[Issue]
    ccp_trade_ids: Sequence[str]
    business_date: date | None
    recipients: Sequence[Recipient]
    event_id: int | None = None  # a status about a lifecycle event on the cleared trade


async def _append_statuses(conn: AsyncConnection, statuses: Sequence[_Status]) -> None:
    """The one writer of statuses: each one's history row, and an outbox item per recipient, in the order
    given (the publishers deliver in outbox id order, so each trade's statuses keep their order)."""
    if not statuses:
        return
    history = [
        {
            "submission_id": s.submission_id,
            "sequence": s.sequence,
            "status": s.status.value,
            "at": s.at,
            "reasons": _issues_json(s.reasons),
            "ccp_trade_ids": json.dumps(list(s.ccp_trade_ids)),
            "business_date": s.business_date,
            "event_id": s.event_id,
        }
        for s in statuses
    ]
    ids = (await conn.execute(_INSERT_HISTORY_MANY, history)).scalars().all()
    outbox = [
        {
            "channel": r.channel.value,
            "role": r.role.value,
            "recipient": r.recipient,
            "history_id": history_id,
            "created_at": s.at,
        }
        for s, history_id in zip(statuses, ids, strict=True)
        for r in s.recipients
    ]
    if outbox:
        await conn.execute(t.outbox.insert(), outbox)


def _received_update(sub: SubmissionRow, at: datetime) -> StatusUpdate:
    return StatusUpdate(
        sequence=1,
        submission_id=sub.ref,
        source=sub.source,
        channel=sub.channel,
        status=ClearingStatusCode.RECEIVED,
        trade=sub.trade,
        at=at,
        clearing_business_date=sub.business_date,
        correlation_id=sub.correlation_id,
        in_reply_to=sub.message_id,
    )


def _issues_json(reasons: Iterable[Issue]) -> str:
    return json.dumps([i.to_dict() for i in reasons])


def _issues(text: str) -> tuple[Issue, ...]:
    return tuple(Issue(ReasonCode(d["code"]), d["path"], d["message"]) for d in json.loads(text))


async def record(
    conn: AsyncConnection,
    sub: SubmissionRow,
    status: ClearingStatusCode,
    at: datetime,
    recipients: Sequence[Recipient],
    *,
    reasons: Sequence[Issue] = (),
    ccp_trade_ids: tuple[str, ...] = (),
    business_date: date | None = None,
    cleared: tuple[Trade, Trade] | None = None,
) -> StatusUpdate:
    """Append a status (the stage is unchanged) and owe it to every recipient."""
    sequence = sub.last_sequence + 1
    await conn.execute(
        update(t.submissions)
        .where(t.submissions.c.id == sub.id)
        .values(status=status.value, last_sequence=sequence, updated_at=at)
    )
    await _append_statuses(
        conn, [_Status(sub.id, sequence, status, at, reasons, ccp_trade_ids, business_date, recipients)]
    )
    return StatusUpdate(
        sequence=sequence,
        submission_id=sub.ref,
        source=sub.source,
        channel=sub.channel,
        status=status,
        trade=sub.trade,
        at=at,
        reasons=tuple(reasons),
        ccp_trade_ids=ccp_trade_ids,
        cleared=cleared,
        clearing_business_date=business_date,
        correlation_id=sub.correlation_id,
        in_reply_to=sub.message_id,
    )


async def record_event(
    conn: AsyncConnection,
    sub: SubmissionRow,
    stored: StoredEvent,
    statuses: Sequence[tuple[ClearingStatusCode, Sequence[Issue]]],
    at: datetime,
    recipients: Sequence[Recipient],
) -> list[StatusUpdate]:
    """Append the statuses of a lifecycle event to the trade's history, each owed to every recipient.

    The submission's own status (Cleared) stays: only its sequence moves on."""
    first = sub.last_sequence + 1
    await conn.execute(
        update(t.submissions)
        .where(t.submissions.c.id == sub.id)
        .values(last_sequence=sub.last_sequence + len(statuses), updated_at=at)
    )
    ids = stored.note.ccp_trade_ids
    await _append_statuses(
        conn,
        [
            _Status(sub.id, first + n, status, at, reasons, ids, None, recipients, stored.note.event_id)
            for n, (status, reasons) in enumerate(statuses)
        ],
    )
    return [
        _event_update(sub.ref, sub.source, sub.channel, sub.trade, first + n, status, at, reasons, stored)
        for n, (status, reasons) in enumerate(statuses)
    ]


_MOVE_SEQUENCE = (
    update(t.submissions)
    .where(t.submissions.c.id == bindparam("b_id"))
    .values(last_sequence=bindparam("b_sequence"), updated_at=bindparam("b_at"))
)


async def record_events(conn: AsyncConnection, told: Sequence[EventStatuses]) -> None:
    """``record_event`` for many events: each submission's sequence moved on (one executemany), then every
    status with its outbox items in the one writer's two statements, in the order given."""
    if not told:
        return
    last: dict[int, tuple[int, datetime]] = {}
    statuses: list[_Status] = []
    for e in told:
        first = last.get(e.sub.id, (e.sub.last_sequence, e.at))[0] + 1
        note = e.stored.note
        statuses += [
            _Status(e.sub.id, first + n, s, e.at, r, note.ccp_trade_ids, None, e.recipients, note.event_id)
            for n, (s, r) in enumerate(e.statuses)
        ]
        last[e.sub.id] = (first + len(e.statuses) - 1, e.at)
    await conn.execute(
        _MOVE_SEQUENCE,
        [{"b_id": row_id, "b_sequence": seq, "b_at": at} for row_id, (seq, at) in last.items()],
    )
    await _append_statuses(conn, statuses)


def _event_update(
    ref: str,
    source: str,
    channel: Channel,
    trade: Trade,
    sequence: int,
    status: ClearingStatusCode,
    at: datetime,
    reasons: Sequence[Issue],
    stored: StoredEvent,
) -> StatusUpdate:
    """A status about an event: it answers the event's message, in the event's correlation."""
    return StatusUpdate(
        sequence=sequence,
        submission_id=ref,
        source=source,
        channel=channel,
        status=status,
        trade=trade,
        at=at,
        reasons=tuple(reasons),
        ccp_trade_ids=stored.note.ccp_trade_ids,
        correlation_id=stored.correlation_id,
        in_reply_to=stored.message_id,
        event=stored.note,
    )


async def owe_event_again(conn: AsyncConnection, event_id: int, recipient: Recipient, at: datetime) -> None:
    """Owe an event's last status to ``recipient`` once more (a repeated event request is answered again)."""
    h = t.status_history.c
    await _owe_again(conn, h.event_id == event_id, recipient, at)


_SET_STAGE = (
    update(t.submissions)
    .where(t.submissions.c.id == bindparam("row_id"))
    .values(
        stage=bindparam("stage"),
        status=bindparam("status"),
        last_sequence=bindparam("last_sequence"),
        due_at=bindparam("due_at"),
        business_date=bindparam("business_date"),
        backload=bindparam("backload"),
        needs_recheck=False,
        updated_at=bindparam("updated_at"),
    )
)


async def write_transitions(conn: AsyncConnection, transitions: Sequence[Transition]) -> None:
    """Every submission's new stage, its new history row and outbox items: three statements for a batch."""
    if not transitions:
        return
    stages = []
    told = []
    for tr in transitions:
        sub = tr.sub
        sequence = sub.last_sequence + (1 if tr.status is not None else 0)
        stages.append(
            {
                "row_id": sub.id,
                "stage": tr.stage.value,
                "status": (tr.status or sub.status).value,
                "last_sequence": sequence,
                "due_at": tr.due_at,
                "business_date": tr.business_date,
                "backload": tr.backload,
                "updated_at": tr.at,
            }
        )
        if tr.status is not None:
            told.append(
                _Status(
                    sub.id,
                    sequence,
                    tr.status,
                    tr.at,
                    tr.reasons,
                    tr.ccp_trade_ids,
                    tr.business_date,
                    tr.recipients,
                )
            )
    await conn.execute(_SET_STAGE, stages)
    await _append_statuses(conn, told)


def _update_from(
    r: Any, trade: Trade, cleared: tuple[Trade, Trade] | None, events: Mapping[int, StoredEvent]
) -> StatusUpdate:
    status = ClearingStatusCode(r.status)
    if r.event_id is not None:
        stored = events[int(r.event_id)]
        return _event_update(
            submission_ref(int(r.submission_id)),
            r.source,
            Channel(r.sub_channel),
            trade,
            r.sequence,
            status,
            r.at,
            _issues(r.reasons),
            stored,
        )
    return StatusUpdate(
        sequence=r.sequence,
        submission_id=submission_ref(int(r.submission_id)),
        source=r.source,
        channel=Channel(r.sub_channel),
        status=status,
        trade=trade,
        at=r.at,
        reasons=_issues(r.reasons),
        ccp_trade_ids=tuple(json.loads(r.ccp_trade_ids)),
        cleared=cleared if status is ClearingStatusCode.CLEARED else None,
        clearing_business_date=r.business_date,
        correlation_id=r.correlation_id,
        in_reply_to=r.message_id,
    )


_HISTORY_COLUMNS = (
    t.status_history.c.id.label("history_id"),
    t.status_history.c.submission_id,
    t.status_history.c.sequence,
    t.status_history.c.status,
    t.status_history.c.at,
    t.status_history.c.reasons,
    t.status_history.c.ccp_trade_ids,
    t.status_history.c.business_date,
    t.status_history.c.event_id,
    t.submissions.c.source,
    t.submissions.c.channel.label("sub_channel"),
    t.submissions.c.correlation_id,
    t.submissions.c.message_id,
    t.submissions.c.trade_json,
)


async def latest_update(conn: AsyncConnection, row_id: int) -> StatusUpdate:
    """The last status of the submission's own workflow (statuses about later events on it left out)."""
    r = (
        await conn.execute(
            select(*_HISTORY_COLUMNS)
            .join(t.submissions, t.submissions.c.id == t.status_history.c.submission_id)
            .where(t.status_history.c.submission_id == row_id, t.status_history.c.event_id.is_(None))
            .order_by(t.status_history.c.sequence.desc())
            .limit(1)
        )
    ).one()
    cleared = await pairs_of(conn, [row_id])
    return _update_from(r, codec.loads(r.trade_json), cleared.get(row_id), {})


async def history(conn: AsyncConnection, row_id: int) -> list[StatusUpdate]:
    rows = (
        await conn.execute(
            select(*_HISTORY_COLUMNS)
            .join(t.submissions, t.submissions.c.id == t.status_history.c.submission_id)
            .where(t.status_history.c.submission_id == row_id)
            .order_by(t.status_history.c.sequence)
        )
    ).fetchall()
    cleared = await pairs_of(conn, [row_id])
    events = await events_by_id(conn, (int(r.event_id) for r in rows if r.event_id is not None))
    return [_update_from(r, codec.loads(r.trade_json), cleared.get(row_id), events) for r in rows]


_PENDING_QUERY = (
    select(
        t.outbox.c.id,
        t.outbox.c.role,
        t.outbox.c.recipient,
        *[c for c in _HISTORY_COLUMNS if c.name != "trade_json"],
    )
    .join(t.status_history, t.status_history.c.id == t.outbox.c.history_id)
    .join(t.submissions, t.submissions.c.id == t.status_history.c.submission_id)
    .where(t.outbox.c.channel == bindparam("channel"), t.outbox.c.delivered_at.is_(None))
)
# built once (the values are parameters): the publishers run this read many times a second
_PENDING = _PENDING_QUERY.order_by(t.outbox.c.id).limit(bindparam("limit"))
_PENDING_EXCLUDING = (
    _PENDING_QUERY.where(t.outbox.c.recipient.not_in(bindparam("exclude", expanding=True)))
    .order_by(t.outbox.c.id)
    .limit(bindparam("limit"))
)


async def pending(
    conn: AsyncConnection,
    channel: DeliveryChannel,
    limit: int,
    *,
    trades: Mapping[int, Trade] | None = None,
    cleared: Mapping[int, tuple[Trade, Trade]] | None = None,
    exclude: Collection[str] = (),
) -> list[OutboxItem]:
    """Undelivered items of ``channel`` in outbox order, leaving out the recipients in ``exclude`` (those
    that cannot take delivery now, so their backlog does not hold up everyone else's). ``trades``
    (submitted trades) and ``cleared`` (novated pairs), by submission id, are used instead of decoding
    the stored JSON where they hold it."""
    known_trades = trades or {}
    known_cleared = cleared or {}
    params: dict[str, Any] = {"channel": channel.value, "limit": limit}
    if exclude:
        params["exclude"] = sorted(exclude)
    rows = (await conn.execute(_PENDING_EXCLUDING if exclude else _PENDING, params)).fetchall()
    found: dict[int, Trade] = {}
    for r in rows:
        sid = int(r.submission_id)
        if sid not in found and sid in known_trades:
            found[sid] = known_trades[sid]
    missing = {int(r.submission_id) for r in rows} - found.keys()
    if missing:
        for r in await conn.execute(
            select(t.submissions.c.id, t.submissions.c.trade_json).where(t.submissions.c.id.in_(missing))
        ):
            found[int(r.id)] = codec.loads(r.trade_json)
    novated = {
        int(r.submission_id)
        for r in rows
        if r.status == ClearingStatusCode.CLEARED.value and r.event_id is None
    }
    pairs = {i: known_cleared[i] for i in novated if i in known_cleared}
    pairs |= await pairs_of(conn, novated - pairs.keys())
    events = await events_by_id(conn, (int(r.event_id) for r in rows if r.event_id is not None))
    return [
        OutboxItem(
            id=int(r.id),
            channel=channel,
            role=RecipientRole(r.role),
            recipient=r.recipient,
            update=_update_from(r, found[int(r.submission_id)], pairs.get(int(r.submission_id)), events),
        )
        for r in rows
    ]


async def mark_delivered(conn: AsyncConnection, ids: Sequence[int], at: datetime) -> None:
    if ids:
        await conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id.in_(list(ids)), t.outbox.c.delivered_at.is_(None))
            .values(delivered_at=at)
        )


async def owe_latest_again(conn: AsyncConnection, row_id: int, recipient: Recipient, at: datetime) -> None:
    """Owe a submission's last status to ``recipient`` once more (a repeated request is answered again);
    statuses about later events on the trade are not the request's answer."""
    h = t.status_history.c
    await _owe_again(conn, (h.submission_id == row_id) & h.event_id.is_(None), recipient, at)


async def _owe_again(conn: AsyncConnection, where: Any, recipient: Recipient, at: datetime) -> None:
    """The last history row matching ``where`` owed to ``recipient`` again: one INSERT ... SELECT."""
    h = t.status_history.c
    latest = (
        select(
            literal(recipient.channel.value),
            literal(recipient.role.value),
            literal(recipient.recipient),
            h.id,
            literal(at, UtcDateTime()),
        )
        .where(where)
        .order_by(h.sequence.desc())
        .limit(1)
    )
    o = t.outbox.c
    await conn.execute(
        t.outbox.insert().from_select([o.channel, o.role, o.recipient, o.history_id, o.created_at], latest)
    )
