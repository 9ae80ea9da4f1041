"""Submissions, their status history, the outbox and cleared trades: rows <-> values.

Functions take an open connection so that the pipeline writes one transition (state, history, outbox,
cleared trades, risk state) in one transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import codec
from gateway.domain.clearing import (
    Channel,
    DeliveryChannel,
    OutboxItem,
    Position,
    RecipientRole,
    StatusUpdate,
    Submission,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    ClearedRow,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    VersionRow,
    submission_ref,
)
from gateway.store import tables as t
from gateway.store.types import UtcDateTime


def _row(r: Any, trade: Trade | None = None) -> SubmissionRow:
    return SubmissionRow(
        id=r.id,
        source=r.source,
        channel=Channel(r.channel),
        message_id=r.message_id,
        source_trade_id=r.source_trade_id,
        source_version=r.source_version,
        is_correction=r.is_correction,
        correlation_id=r.correlation_id,
        received_at=r.received_at,
        trade=codec.loads(r.trade_json) if trade is None else trade,
        member_a=r.member_a,
        member_b=r.member_b,
        sub_block=r.sub_block,
        stage=Stage(r.stage),
        status=ClearingStatusCode(r.status),
        last_sequence=r.last_sequence,
        due_at=r.due_at,
        business_date=r.business_date,
        backload=r.backload,
        affirm_member=r.affirm_member,
    )


async def find_by_message(conn: AsyncConnection, source: str, message_id: str) -> SubmissionRow | None:
    r = (
        await conn.execute(
            select(t.submissions).where(
                t.submissions.c.source == source, t.submissions.c.message_id == message_id
            )
        )
    ).one_or_none()
    return None if r is None else _row(r)


async def find_known(
    conn: AsyncConnection, source: str, message_id: str, source_trade_id: str, version: int
) -> SubmissionRow | None:
    """The submission with this message id, else the one with this trade version (one query)."""
    c = t.submissions.c
    rows = (
        await conn.execute(
            select(t.submissions).where(
                c.source == source,
                or_(
                    c.message_id == message_id,
                    and_(c.source_trade_id == source_trade_id, c.source_version == version),
                ),
            )
        )
    ).fetchall()
    if not rows:
        return None
    by_message = [r for r in rows if r.message_id == message_id]
    return _row(by_message[0] if by_message else rows[0])


async def find_by_version(
    conn: AsyncConnection, source: str, source_trade_id: str, version: int
) -> SubmissionRow | None:
    r = (
        await conn.execute(
            select(t.submissions).where(
                t.submissions.c.source == source,
                t.submissions.c.source_trade_id == source_trade_id,
                t.submissions.c.source_version == version,
            )
        )
    ).one_or_none()
    return None if r is None else _row(r)


async def versions(conn: AsyncConnection, source: str, source_trade_id: str) -> list[SubmissionRow]:
    """Every submission of one source trade, oldest first."""
    rows = await conn.execute(
        select(t.submissions)
        .where(t.submissions.c.source == source, t.submissions.c.source_trade_id == source_trade_id)
        .order_by(t.submissions.c.id)
    )
    return [_row(r) for r in rows]


async def get(conn: AsyncConnection, row_id: int, *, lock: bool = False) -> SubmissionRow | None:
    q = select(t.submissions).where(t.submissions.c.id == row_id)
    if lock:
        q = q.with_for_update()
    r = (await conn.execute(q)).one_or_none()
    return None if r is None else _row(r)


_WORK_COLUMNS = tuple(c for c in t.submissions.c if c.name != "raw")  # the message as received stays put
_GET = (
    select(*_WORK_COLUMNS)
    .where(t.submissions.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(t.submissions.c.id)
)
_GET_LOCKED = _GET.with_for_update(skip_locked=True)


async def get_many(
    conn: AsyncConnection,
    row_ids: Sequence[int],
    *,
    lock: bool = False,
    trades: Mapping[int, Trade] | None = None,
) -> list[SubmissionRow]:
    """These submissions, oldest first; with ``lock`` taken ``FOR UPDATE``, skipping rows another
    instance holds (it is deciding them; they are due again at the next pass if it does not).

    ``trades`` holds trades already known by submission id (what this process stored: a submission's
    trade never changes once stored), which are then not decoded again.
    """
    known = trades or {}
    result = await conn.execute(_GET_LOCKED if lock else _GET, {"ids": list(row_ids)})
    return [_row(r, known.get(int(r.id))) for r in result]


_VERSIONS_OF = (
    select(
        t.submissions.c.id,
        t.submissions.c.source,
        t.submissions.c.source_trade_id,
        t.submissions.c.source_version,
        t.submissions.c.stage,
    )
    .where(
        tuple_(t.submissions.c.source, t.submissions.c.source_trade_id).in_(bindparam("keys", expanding=True))
    )
    .order_by(t.submissions.c.id)
)


async def versions_of(
    conn: AsyncConnection, trades: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[VersionRow]]:
    """Every version of each ``(source, source_trade_id)``, oldest first, in one query."""
    keys = list(set(trades))
    out: dict[tuple[str, str], list[VersionRow]] = {k: [] for k in keys}
    if not keys:
        return out
    for r in await conn.execute(_VERSIONS_OF, {"keys": keys}):
        out[(r.source, r.source_trade_id)].append(VersionRow(int(r.id), r.source_version, Stage(r.stage)))
    return out


@functools.cache
def _insert_new(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, built once (the values are parameters)."""
    if dialect == "postgresql":
        stmt: Any = pg_insert(t.submissions).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite_insert(t.submissions).on_conflict_do_nothing()
    else:
        raise RuntimeError(f"unsupported database {dialect}")
    return stmt.returning(t.submissions.c.id)


_INSERT_HISTORY = t.status_history.insert().returning(t.status_history.c.id)


async def insert_new(
    conn: AsyncConnection,
    sub: Submission,
    *,
    member_a: str | None,
    member_b: str | None,
    business_date: date,
    at: datetime,
    affirm_member: str | None = None,
) -> SubmissionRow | None:
    """Store a submission already Received (sequence 1), or None when its message or trade version is
    known or its UTI is live as another submission.

    One statement: the unique keys decide (``ON CONFLICT DO NOTHING``), so a repeat costs no extra read and
    two concurrent inserts of one message (or of one UTI) store it once. The caller records the Received
    status. With ``affirm_member`` the trade is stored ALLEGED: it waits for that member to affirm it.
    """
    values = _new_values(sub, member_a, member_b, business_date, at, affirm_member)
    row_id = (await conn.execute(_insert_new(conn.dialect.name), values)).scalar_one_or_none()
    if row_id is None:
        return None
    return _new_row(int(row_id), sub, member_a, member_b, business_date, affirm_member)


@functools.cache
def _insert_new_keyed(dialect: str) -> Any:
    """``_insert_new`` that also returns the message key, to match the rows of a multi-row insert."""
    return _insert_new(dialect).returning(t.submissions.c.source, t.submissions.c.message_id)


async def insert_new_many(conn: AsyncConnection, new: Sequence[NewSubmission]) -> list[SubmissionRow | None]:
    """``insert_new`` for several submissions in one statement; None for each one already known.

    The submissions must not repeat one another's keys (message id, or trade id and version): which of
    two such rows a multi-row insert keeps is not the order given. Rows come back by their message key.
    """
    if not new:
        return []
    values = [_new_values(n.sub, n.member_a, n.member_b, n.business_date, n.at, n.affirm_member) for n in new]
    result = await conn.execute(_insert_new_keyed(conn.dialect.name), values)
    ids = {(r.source, r.message_id): int(r.id) for r in result}
    out: list[SubmissionRow | None] = []
    for n in new:
        row_id = ids.get((n.sub.source, n.sub.message_id))
        out.append(
            None
            if row_id is None
            else _new_row(row_id, n.sub, n.member_a, n.member_b, n.business_date, n.affirm_member)
        )
    return out


def _new_values(
    sub: Submission,
    member_a: str | None,
    member_b: str | None,
    business_date: date,
    at: datetime,
    affirm_member: str | None = None,
) -> dict[str, Any]:
    trade = sub.trade
    stage = Stage.ALLEGED if affirm_member is not None else Stage.RECEIVED
    return {
        "source": sub.source,
        "channel": sub.channel.value,
        "message_id": sub.message_id,
        "source_trade_id": trade.identifiers.source_trade_id,
        "source_version": trade.identifiers.source_version,
        "is_correction": sub.is_correction,
        "correlation_id": sub.correlation_id,
        "package_id": sub.package_id,
        "received_at": sub.received_at,
        "raw": sub.raw,
        "trade_json": codec.dumps(trade),
        "trade_date": trade.trade_date,
        "product": trade.product.value,
        "currency": trade.currency,
        "party_a": trade.parties[0].party_id,
        "party_b": trade.parties[1].party_id,
        "member_a": member_a,
        "member_b": member_b,
        "sub_block": trade.sub_block,
        "stage": stage.value,
        "status": ClearingStatusCode.RECEIVED.value,
        "last_sequence": 1,
        "due_at": sub.received_at,
        "business_date": business_date,
        "backload": False,
        "needs_recheck": False,
        "updated_at": at,
        # a correction claims its UTI only once the versions it replaces are withdrawn (claim_uti)
        "uti": None if sub.is_correction else trade.identifiers.uti,
        "affirm_member": affirm_member,
    }


def _new_row(
    row_id: int,
    sub: Submission,
    member_a: str | None,
    member_b: str | None,
    business_date: date,
    affirm_member: str | None = None,
) -> SubmissionRow:
    trade = sub.trade
    return SubmissionRow(
        id=row_id,
        source=sub.source,
        channel=sub.channel,
        message_id=sub.message_id,
        source_trade_id=trade.identifiers.source_trade_id,
        source_version=trade.identifiers.source_version,
        is_correction=sub.is_correction,
        correlation_id=sub.correlation_id,
        received_at=sub.received_at,
        trade=trade,
        member_a=member_a,
        member_b=member_b,
        sub_block=trade.sub_block,
        stage=Stage.ALLEGED if affirm_member is not None else Stage.RECEIVED,
        status=ClearingStatusCode.RECEIVED,
        last_sequence=1,
        due_at=sub.received_at,
        business_date=business_date,
        backload=False,
        affirm_member=affirm_member,
    )


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


async def set_stage(
    conn: AsyncConnection,
    row_id: int,
    stage: Stage,
    at: datetime,
    *,
    due_at: datetime | None = None,
    business_date: date | None = None,
    backload: bool | None = None,
) -> None:
    values: dict[str, Any] = {"stage": stage.value, "needs_recheck": False, "updated_at": at}
    if due_at is not None:
        values["due_at"] = due_at
    if business_date is not None:
        values["business_date"] = business_date
    if backload is not None:
        values["backload"] = backload
    await conn.execute(update(t.submissions).where(t.submissions.c.id == row_id).values(**values))


async def due(
    conn: AsyncConnection, now: datetime, *, open_now: bool, limit: int, after_id: int = 0
) -> list[int]:
    """Ids (greater than ``after_id``) of submissions to process now, oldest first."""
    s = t.submissions.c
    conditions = [
        s.stage == Stage.RECEIVED.value,
        and_(s.stage.in_([Stage.QUEUED_HOURS.value, Stage.QUEUED_BACKLOAD.value]), s.due_at <= now),
    ]
    if open_now:
        conditions.append(and_(s.stage == Stage.PENDING_COLLATERAL.value, s.needs_recheck.is_(True)))
    rows = await conn.execute(
        select(s.id).where(s.id > after_id, or_(*conditions)).order_by(s.id).limit(limit)
    )
    return [int(r) for r in rows.scalars()]


async def flag_recheck(conn: AsyncConnection, member_id: str) -> int:
    """Mark the member's trades pending for collateral to be checked again."""
    s = t.submissions.c
    result = await conn.execute(
        update(t.submissions)
        .where(
            s.stage == Stage.PENDING_COLLATERAL.value, or_(s.member_a == member_id, s.member_b == member_id)
        )
        .values(needs_recheck=True)
    )
    return int(result.rowcount or 0)


async def unregistered(conn: AsyncConnection, business_date: date) -> list[int]:
    """Live, non-backload submissions whose business date is ``business_date`` or earlier."""
    s = t.submissions.c
    rows = await conn.execute(
        select(s.id)
        .where(
            s.stage.in_(
                [
                    Stage.RECEIVED.value,
                    Stage.ALLEGED.value,
                    Stage.QUEUED_HOURS.value,
                    Stage.PENDING_COLLATERAL.value,
                ]
            ),
            s.backload.is_(False),
            s.business_date <= business_date,
        )
        .order_by(s.id)
    )
    return [int(r) for r in rows.scalars()]


# ---------------------------------------------------------------- history and outbox


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


async def _cleared_for(
    conn: AsyncConnection, submission_ids: Iterable[int]
) -> dict[int, tuple[Trade, Trade]]:
    ids = list(set(submission_ids))
    if not ids:
        return {}
    rows = await conn.execute(
        select(t.cleared_trades.c.submission_id, t.cleared_trades.c.trade_json)
        .where(t.cleared_trades.c.submission_id.in_(ids))
        .order_by(t.cleared_trades.c.submission_id, t.cleared_trades.c.ccp_trade_id)
    )
    grouped: dict[int, list[Trade]] = {}
    for r in rows:
        grouped.setdefault(int(r.submission_id), []).append(codec.loads(r.trade_json))
    return {k: (v[0], v[1]) for k, v in grouped.items() if len(v) == 2}


def _update_from(r: Any, trade: Trade, cleared: tuple[Trade, Trade] | None) -> StatusUpdate:
    status = ClearingStatusCode(r.status)
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
    t.submissions.c.source,
    t.submissions.c.channel.label("sub_channel"),
    t.submissions.c.correlation_id,
    t.submissions.c.message_id,
    t.submissions.c.trade_json,
)


async def latest_update(conn: AsyncConnection, row_id: int) -> StatusUpdate:
    r = (
        await conn.execute(
            select(*_HISTORY_COLUMNS)
            .join(t.submissions, t.submissions.c.id == t.status_history.c.submission_id)
            .where(t.status_history.c.submission_id == row_id)
            .order_by(t.status_history.c.sequence.desc())
            .limit(1)
        )
    ).one()
    cleared = await _cleared_for(conn, [row_id])
    return _update_from(r, codec.loads(r.trade_json), cleared.get(row_id))


async def history(conn: AsyncConnection, row_id: int) -> list[StatusUpdate]:
    rows = (
        await conn.execute(
            select(*_HISTORY_COLUMNS)
            .join(t.submissions, t.submissions.c.id == t.status_history.c.submission_id)
            .where(t.status_history.c.submission_id == row_id)
            .order_by(t.status_history.c.sequence)
        )
    ).fetchall()
    cleared = await _cleared_for(conn, [row_id])
    return [_update_from(r, codec.loads(r.trade_json), cleared.get(row_id)) for r in rows]


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
    novated = {int(r.submission_id) for r in rows if r.status == ClearingStatusCode.CLEARED.value}
    pairs = {i: known_cleared[i] for i in novated if i in known_cleared}
    pairs |= await _cleared_for(conn, novated - pairs.keys())
    return [
        OutboxItem(
            id=int(r.id),
            channel=channel,
            role=RecipientRole(r.role),
            recipient=r.recipient,
            update=_update_from(r, found[int(r.submission_id)], pairs.get(int(r.submission_id))),
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


# ---------------------------------------------------------------- cleared trades and positions


async def insert_cleared(
    conn: AsyncConnection, submission_id: int, rows: Sequence[ClearedRow], business_date: date, at: datetime
) -> None:
    await conn.execute(
        t.cleared_trades.insert(), [_cleared_values(submission_id, c, business_date, at) for c in rows]
    )


async def insert_cleared_many(
    conn: AsyncConnection,
    rows: Sequence[tuple[int, ClearedRow]],
    business_date_of: dict[int, date],
    at: datetime,
) -> None:
    """The cleared trades of a batch of novations, ``(submission id, row)``, in one statement."""
    if not rows:
        return
    await conn.execute(
        t.cleared_trades.insert(),
        [_cleared_values(submission_id, c, business_date_of[submission_id], at) for submission_id, c in rows],
    )


def _cleared_values(submission_id: int, c: ClearedRow, business_date: date, at: datetime) -> dict[str, Any]:
    return {
        "ccp_trade_id": c.ccp_trade_id,
        "submission_id": submission_id,
        "member_id": c.member_id,
        "account_id": c.account_id,
        "party_id": c.party_id,
        "uti": c.uti,
        "product": c.product,
        "currency": c.currency,
        "notional": c.notional,
        "direction": c.direction,
        "fixed_rate": c.fixed_rate,
        "floating_index": c.floating_index,
        "index_tenor": c.index_tenor,
        "spread": c.spread,
        "effective_date": c.effective_date,
        "maturity_date": c.maturity_date,
        "status": "CLEARED",
        "npv": None,
        "business_date": business_date,
        "novated_at": at,
        "trade_json": codec.dumps(c.trade),
    }


async def positions(
    conn: AsyncConnection, member_id: str | None, account_id: str | None, business_date: date
) -> list[Position]:
    c = t.cleared_trades.c
    q = select(t.cleared_trades).where(
        c.business_date <= business_date,
        c.maturity_date >= business_date,
        c.status.in_(["CLEARED", "MATURED"]),
    )
    if member_id is not None:
        q = q.where(c.member_id == member_id)
    if account_id is not None:
        q = q.where(c.account_id == account_id)
    rows = await conn.execute(q.order_by(c.member_id, c.account_id, c.ccp_trade_id))
    return [
        Position(
            trade_id=r.ccp_trade_id,
            uti=r.uti,
            member=r.member_id,
            account=r.account_id,
            product=r.product,
            currency=r.currency,
            notional=r.notional,
            direction=r.direction,
            fixed_rate=r.fixed_rate,
            floating_index=r.floating_index,
            index_tenor=r.index_tenor,
            spread=r.spread,
            effective_date=r.effective_date,
            maturity_date=r.maturity_date,
            status=r.status,
            npv=r.npv,
        )
        for r in rows
    ]


async def cleared_accounts(conn: AsyncConnection, business_date: date) -> list[tuple[str, str]]:
    """(member, account) of every account with cleared trades live on ``business_date``."""
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.member_id, c.account_id)
        .where(c.business_date <= business_date, c.maturity_date >= business_date, c.status == "CLEARED")
        .distinct()
        .order_by(c.member_id, c.account_id)
    )
    return [(r.member_id, r.account_id) for r in rows]


async def cleared_in_account(
    conn: AsyncConnection, member_id: str, account_id: str, business_date: date
) -> list[tuple[str, str, Trade]]:
    """(CCP trade id, the member's party id, cleared trade) of an account's live cleared trades."""
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.ccp_trade_id, c.party_id, c.trade_json)
        .where(
            c.member_id == member_id,
            c.account_id == account_id,
            c.business_date <= business_date,
            c.maturity_date >= business_date,
            c.status == "CLEARED",
        )
        .order_by(c.ccp_trade_id)
    )
    return [(r.ccp_trade_id, r.party_id, codec.loads(r.trade_json)) for r in rows]


async def set_npvs(conn: AsyncConnection, npvs: Sequence[tuple[str, Decimal | None]]) -> None:
    for ccp_trade_id, npv in npvs:
        await conn.execute(
            update(t.cleared_trades).where(t.cleared_trades.c.ccp_trade_id == ccp_trade_id).values(npv=npv)
        )


async def mature(conn: AsyncConnection, business_date: date) -> int:
    """Mark cleared trades whose maturity date is ``business_date`` or earlier as MATURED."""
    c = t.cleared_trades.c
    result = await conn.execute(
        update(t.cleared_trades)
        .where(c.status == "CLEARED", c.maturity_date <= business_date)
        .values(status="MATURED")
    )
    return int(result.rowcount or 0)


async def search(
    conn: AsyncConnection,
    *,
    source: str | None = None,
    source_trade_id: str | None = None,
    stages: Sequence[Stage] = (),
    member_id: str | None = None,
    business_date: date | None = None,
    limit: int = 500,
) -> list[SubmissionRow]:
    """Submissions matching every given filter, newest first."""
    c = t.submissions.c
    q = select(t.submissions)
    if source is not None:
        q = q.where(c.source == source)
    if source_trade_id is not None:
        q = q.where(c.source_trade_id == source_trade_id)
    if stages:
        q = q.where(c.stage.in_([s.value for s in stages]))
    if member_id is not None:
        q = q.where(or_(c.member_a == member_id, c.member_b == member_id))
    if business_date is not None:
        q = q.where(c.business_date == business_date)
    rows = await conn.execute(q.order_by(c.id.desc()).limit(limit))
    return [_row(r) for r in rows]


def oversized(sub: Submission) -> list[Issue]:
    """Identifiers longer than the columns that store them: refused up front, never truncated or half-stored."""
    c = t.submissions.c
    trade = sub.trade
    values: list[tuple[str, str | None, Any]] = [
        ("source", sub.source, c.source),
        ("messageId", sub.message_id, c.message_id),
        ("tradeHeader.tradeId", trade.identifiers.source_trade_id, c.source_trade_id),
        ("correlationId", sub.correlation_id, c.correlation_id),
        ("packageId", sub.package_id, c.package_id),
        ("parties[0].partyId", trade.parties[0].party_id, c.party_a),
        ("parties[1].partyId", trade.parties[1].party_id, c.party_b),
        ("tradeHeader.uti", trade.identifiers.uti, c.uti),
    ]
    cc = t.cleared_trades.c
    for i, s in enumerate(trade.streams):
        values.append((f"streams[{i}].floatingRateIndex", s.floating_index, cc.floating_index))
    issues = []
    for path, value, column in values:
        limit = getattr(column.type, "length", None)
        if value is not None and limit is not None and len(value) > limit:
            issues.append(Issue(ReasonCode.FPML_INVALID_VALUE, path, f"longer than {limit} characters"))
    return issues


# ---------------------------------------------------------------- one live UTI; two-sided reports

_LIVE = (Stage.REJECTED.value, Stage.WITHDRAWN.value)


async def live_by_uti(conn: AsyncConnection, uti: str, *, lock: bool = False) -> SubmissionRow | None:
    """The submission that holds ``uti`` while live (the unique index allows one)."""
    c = t.submissions.c
    q = select(t.submissions).where(c.uti == uti, c.stage.not_in(_LIVE))
    if lock:
        q = q.with_for_update()
    r = (await conn.execute(q)).one_or_none()
    return None if r is None else _row(r)


async def live_with_trade_uti(conn: AsyncConnection, uti: str) -> list[SubmissionRow]:
    """Live submissions whose trade carries ``uti`` (also a correction that has not claimed it)."""
    c = t.submissions.c
    rows = await conn.execute(
        select(t.submissions).where(c.stage.not_in(_LIVE), or_(c.uti == uti, c.uti.is_(None))).order_by(c.id)
    )
    return [row for row in map(_row, rows) if row.trade.identifiers.uti == uti]


async def claim_uti(conn: AsyncConnection, row_id: int, uti: str) -> None:
    """Give a stored correction its UTI (the unique index refuses it if another live trade holds it)."""
    await conn.execute(update(t.submissions).where(t.submissions.c.id == row_id).values(uti=uti))


async def ccp_trade_ids_of(conn: AsyncConnection, row_id: int) -> list[str]:
    c = t.cleared_trades.c
    rows = await conn.execute(
        select(c.ccp_trade_id).where(c.submission_id == row_id).order_by(c.ccp_trade_id)
    )
    return [str(r) for r in rows.scalars()]


async def owe_latest_again(conn: AsyncConnection, row_id: int, recipient: Recipient, at: datetime) -> None:
    """Owe a submission's last status to ``recipient`` once more (a repeated request is answered again)."""
    h = t.status_history.c
    latest = (
        select(
            literal(recipient.channel.value),
            literal(recipient.role.value),
            literal(recipient.recipient),
            h.id,
            literal(at, UtcDateTime()),
        )
        .where(h.submission_id == row_id)
        .order_by(h.sequence.desc())
        .limit(1)
    )
    o = t.outbox.c
    await conn.execute(
        t.outbox.insert().from_select([o.channel, o.role, o.recipient, o.history_id, o.created_at], latest)
    )


async def reported_for_affirmation(
    conn: AsyncConnection, *, report_id: str | None, trade_id: str | None
) -> list[SubmissionRow]:
    """Member reports waiting for (or given) an affirmation, named by the reporter's TradeReportID or its
    TradeID; newest first."""
    c = t.submissions.c
    q = select(t.submissions).where(c.affirm_member.is_not(None))
    if report_id:
        q = q.where(c.message_id == report_id)
    elif trade_id:
        q = q.where(c.source_trade_id == trade_id)
    else:
        return []
    return [_row(r) for r in await conn.execute(q.order_by(c.id.desc()))]


async def affirm(conn: AsyncConnection, row_id: int, trade: Trade, at: datetime) -> None:
    """An alleged trade affirmed by its counterparty: its completed trade, due for the pass now."""
    await conn.execute(
        update(t.submissions)
        .where(t.submissions.c.id == row_id)
        .values(
            trade_json=codec.dumps(trade),
            stage=Stage.RECEIVED.value,
            due_at=at,
            updated_at=at,
        )
    )
