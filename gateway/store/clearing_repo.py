"""Submissions and their place in the workflow: rows <-> values.

Functions take an open connection so that a unit of work (gateway/store/clearing_store.py) writes one
transition (state, history, outbox, cleared trades, risk state) in one transaction. Statuses and the
outbox are in status_repo.py, cleared trades in cleared_repo.py.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import codec
from gateway.domain.clearing import (
    Channel,
    Submission,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    NewSubmission,
    Stage,
    SubmissionRow,
    VersionRow,
)
from gateway.store import tables as t


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
        package_id=r.package_id,
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


_PACKAGE_LEGS = (
    select(*_WORK_COLUMNS)
    .where(tuple_(t.submissions.c.source, t.submissions.c.package_id).in_(bindparam("keys", expanding=True)))
    .order_by(t.submissions.c.id)
)


async def package_legs(
    conn: AsyncConnection,
    packages: Iterable[tuple[str, str]],
    *,
    lock: bool = False,
    trades: Mapping[int, Trade] | None = None,
) -> dict[tuple[str, str], list[SubmissionRow]]:
    """Every submission of each ``(source, package_id)``, oldest first, in one query; with ``lock`` taken
    ``FOR UPDATE`` (waiting for another instance deciding the same package: a package is decided whole)."""
    keys = list(set(packages))
    out: dict[tuple[str, str], list[SubmissionRow]] = {k: [] for k in keys}
    if not keys:
        return out
    known = trades or {}
    q = _PACKAGE_LEGS.with_for_update() if lock else _PACKAGE_LEGS
    for r in await conn.execute(q, {"keys": keys}):
        out[(r.source, r.package_id)].append(_row(r, known.get(int(r.id))))
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
        package_id=sub.package_id,
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
        and_(
            s.stage.in_([Stage.QUEUED_HOURS.value, Stage.QUEUED_BACKLOAD.value, Stage.QUEUED_PACKAGE.value]),
            s.due_at <= now,
        ),
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
                    Stage.QUEUED_PACKAGE.value,
                ]
            ),
            s.backload.is_(False),
            s.business_date <= business_date,
        )
        .order_by(s.id)
    )
    return [int(r) for r in rows.scalars()]


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
