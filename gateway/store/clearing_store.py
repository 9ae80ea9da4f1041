"""The clearing core's store in SQL (``ClearingStore`` of gateway/clearing/ports.py), on SQLite or PostgreSQL.

A unit of work is one database transaction; its repositories are the functions of ``clearing_repo`` and
``refdata_repo`` with that transaction's connection. What differs between the two databases stays here:
SQLite has one writer at a time, so this store's writers queue on a lock rather than in SQLite's busy
handler (which sleeps between retries); PostgreSQL writers run side by side, and a lone UPDATE of the
outbox runs in autocommit, without BEGIN and COMMIT.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.clearing.eod_ports import EodStepRow, StepState
from gateway.clearing.margin_cycle import AccountKey, FeePaid, PaiFigure, TradeDay, TradeVm
from gateway.clearing.ports import LiveSide
from gateway.domain.clearing import (
    DeliveryChannel,
    EventRequest,
    NewEvent,
    OutboxItem,
    Position,
    StatusUpdate,
    Submission,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import (
    EventEffect,
    EventOutcome,
    EventTerms,
    PendingEvent,
    SideState,
    StoredEvent,
)
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    ClearedRow,
    EventStatuses,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    VersionRow,
)
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.model import Member
from gateway.store import cleared_repo, eod_repo, events_repo, status_repo
from gateway.store import clearing_repo as repo
from gateway.store import refdata_repo as ref
from gateway.store.cash_flows_repo import SqlCashFlows
from gateway.store.engine import reading


class SqlSubmissions:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert(self, new: Sequence[NewSubmission]) -> list[SubmissionRow | None]:
        if len(new) == 1:  # one row: the statement without the message key to match rows by
            (n,) = new
            row = await repo.insert_new(
                self._conn,
                n.sub,
                member_a=n.member_a,
                member_b=n.member_b,
                business_date=n.business_date,
                at=n.at,
                affirm_member=n.affirm_member,
            )
            return [row]
        return await repo.insert_new_many(self._conn, new)

    async def get(self, row_id: int, *, lock: bool = False) -> SubmissionRow | None:
        return await repo.get(self._conn, row_id, lock=lock)

    async def get_many(
        self, row_ids: Sequence[int], *, lock: bool = False, trades: Mapping[int, Trade] | None = None
    ) -> list[SubmissionRow]:
        return await repo.get_many(self._conn, row_ids, lock=lock, trades=trades)

    async def find_known(
        self, source: str, message_id: str, source_trade_id: str, version: int
    ) -> SubmissionRow | None:
        return await repo.find_known(self._conn, source, message_id, source_trade_id, version)

    async def versions(self, source: str, source_trade_id: str) -> list[SubmissionRow]:
        return await repo.versions(self._conn, source, source_trade_id)

    async def versions_of(self, trades: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[VersionRow]]:
        return await repo.versions_of(self._conn, trades)

    async def package_legs(
        self,
        packages: Iterable[tuple[str, str]],
        *,
        lock: bool = False,
        trades: Mapping[int, Trade] | None = None,
    ) -> dict[tuple[str, str], list[SubmissionRow]]:
        return await repo.package_legs(self._conn, packages, lock=lock, trades=trades)

    async def live_by_uti(self, uti: str, *, lock: bool = False) -> SubmissionRow | None:
        return await repo.live_by_uti(self._conn, uti, lock=lock)

    async def claim_uti(self, row_id: int, uti: str) -> None:
        await repo.claim_uti(self._conn, row_id, uti)

    async def affirm(self, row_id: int, trade: Trade, at: datetime) -> None:
        await repo.affirm(self._conn, row_id, trade, at)

    async def reported_for_affirmation(
        self, *, report_id: str | None, trade_id: str | None
    ) -> list[SubmissionRow]:
        return await repo.reported_for_affirmation(self._conn, report_id=report_id, trade_id=trade_id)

    async def set_stage(
        self,
        row_id: int,
        stage: Stage,
        at: datetime,
        *,
        due_at: datetime | None = None,
        business_date: date | None = None,
        backload: bool | None = None,
    ) -> None:
        await repo.set_stage(
            self._conn, row_id, stage, at, due_at=due_at, business_date=business_date, backload=backload
        )

    async def due(self, now: datetime, *, open_now: bool, limit: int, after_id: int = 0) -> list[int]:
        return await repo.due(self._conn, now, open_now=open_now, limit=limit, after_id=after_id)

    async def unregistered(self, business_date: date) -> list[int]:
        return await repo.unregistered(self._conn, business_date)


class SqlStatuses:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def received(
        self, received: Sequence[tuple[SubmissionRow, datetime, Sequence[Recipient]]]
    ) -> list[StatusUpdate]:
        return await status_repo.record_received_many(self._conn, received)

    async def record(
        self,
        sub: SubmissionRow,
        status: ClearingStatusCode,
        at: datetime,
        recipients: Sequence[Recipient],
        *,
        reasons: Sequence[Issue] = (),
        business_date: date | None = None,
    ) -> StatusUpdate:
        return await status_repo.record(
            self._conn, sub, status, at, recipients, reasons=reasons, business_date=business_date
        )

    async def write(self, transitions: Sequence[Transition]) -> None:
        await status_repo.write_transitions(self._conn, transitions)

    async def owe_latest_again(self, row_id: int, recipient: Recipient, at: datetime) -> None:
        await status_repo.owe_latest_again(self._conn, row_id, recipient, at)

    async def record_event(
        self,
        sub: SubmissionRow,
        stored: StoredEvent,
        statuses: Sequence[tuple[ClearingStatusCode, Sequence[Issue]]],
        at: datetime,
        recipients: Sequence[Recipient],
    ) -> list[StatusUpdate]:
        return await status_repo.record_event(self._conn, sub, stored, statuses, at, recipients)

    async def record_events(self, told: Sequence[EventStatuses]) -> None:
        await status_repo.record_events(self._conn, told)

    async def owe_event_again(self, event_id: int, recipient: Recipient, at: datetime) -> None:
        await status_repo.owe_event_again(self._conn, event_id, recipient, at)

    async def latest(self, row_id: int) -> StatusUpdate:
        return await status_repo.latest_update(self._conn, row_id)

    async def history(self, row_id: int) -> list[StatusUpdate]:
        return await status_repo.history(self._conn, row_id)

    async def pending(
        self,
        channel: DeliveryChannel,
        limit: int,
        *,
        trades: Mapping[int, Trade] | None = None,
        cleared: Mapping[int, tuple[Trade, Trade]] | None = None,
        exclude: Collection[str] = (),
    ) -> list[OutboxItem]:
        return await status_repo.pending(
            self._conn, channel, limit, trades=trades, cleared=cleared, exclude=exclude
        )

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        await status_repo.mark_delivered(self._conn, ids, at)


class SqlCleared:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert(
        self, rows: Sequence[tuple[int, ClearedRow]], business_date_of: Mapping[int, date], at: datetime
    ) -> None:
        await cleared_repo.insert_cleared_many(self._conn, rows, dict(business_date_of), at)

    async def ccp_trade_ids_of(self, row_id: int) -> list[str]:
        return await cleared_repo.ccp_trade_ids_of(self._conn, row_id)

    async def positions(
        self, member_id: str | None, account_id: str | None, business_date: date
    ) -> list[Position]:
        return await cleared_repo.positions(self._conn, member_id, account_id, business_date)

    async def accounts(self, business_date: date) -> list[tuple[str, str]]:
        return await cleared_repo.cleared_accounts(self._conn, business_date)

    async def in_account(
        self, member_id: str, account_id: str, business_date: date
    ) -> list[tuple[str, str, Trade]]:
        return await cleared_repo.cleared_in_account(self._conn, member_id, account_id, business_date)

    async def live_sides(
        self, business_date: date, after: tuple[int, str] | None, limit: int
    ) -> list[LiveSide]:
        return await cleared_repo.live_sides(self._conn, business_date, after, limit)

    async def set_npvs(self, npvs: Sequence[tuple[str, Decimal | None]]) -> None:
        await cleared_repo.set_npvs(self._conn, npvs)

    async def mature(self, business_date: date) -> int:
        return await cleared_repo.mature(self._conn, business_date)

    async def submission_of(self, ccp_trade_id: str) -> int | None:
        return await cleared_repo.submission_of(self._conn, ccp_trade_id)

    async def sides(self, row_id: int, *, lock: bool = False) -> list[SideState]:
        return await cleared_repo.sides_of(self._conn, row_id, lock=lock)

    async def sides_named(self, ccp_trade_ids: Sequence[str], *, lock: bool = False) -> list[SideState]:
        return await cleared_repo.sides_named(self._conn, ccp_trade_ids, lock=lock)

    async def update_sides(self, sides: Sequence[SideState]) -> None:
        await cleared_repo.update_sides(self._conn, sides)

    async def mark_event(self, ccp_trade_ids: Sequence[str], kind: str, business_date: date) -> None:
        await cleared_repo.mark_event(self._conn, ccp_trade_ids, kind, business_date)


class SqlEvents:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, source: str, message_id: str) -> StoredEvent | None:
        return await events_repo.find_event(self._conn, source, message_id)

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
        return await events_repo.insert_event(
            self._conn, request, submission_id, outcome, ccp_trade_ids, cleared, effect, at
        )

    async def insert_many(self, new: Sequence[NewEvent]) -> list[StoredEvent]:
        return await events_repo.insert_events(self._conn, new)

    async def of_submission(self, submission_id: int) -> list[StoredEvent]:
        return await events_repo.events_of_submission(self._conn, submission_id)

    async def pending(self, *, flagged_only: bool) -> list[PendingEvent]:
        return await events_repo.pending_events(self._conn, flagged_only=flagged_only)

    async def pending_request(self, event_id: int) -> tuple[int, EventRequest] | None:
        return await events_repo.pending_request(self._conn, event_id)

    async def settle(
        self,
        event_id: int,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        return await events_repo.settle_event(
            self._conn, event_id, outcome, ccp_trade_ids, cleared, effect, at
        )

    async def unflag(self, event_id: int) -> None:
        await events_repo.unflag_event(self._conn, event_id)

    async def proposed(
        self, *, message_id: str | None = None, lock: bool = False
    ) -> list[tuple[StoredEvent, datetime]]:
        return await events_repo.proposed_events(self._conn, message_id=message_id, lock=lock)

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
        return await events_repo.settle_proposal(
            self._conn, event, terms, outcome, ccp_trade_ids, cleared, effect, at
        )


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def member(self, member: str) -> Member | None:
        found = await ref.get_member(self._conn, member)
        return found if found is not None else await self.member_by_party(member)

    async def member_by_party(self, party_id: str) -> Member | None:
        return (await ref.members_by_party(self._conn, [party_id])).get(party_id)

    async def members_by_party(self, party_ids: Iterable[str]) -> dict[str, Member]:
        return await ref.members_by_party(self._conn, party_ids)

    async def parties_and_comp_ids(
        self, party_ids: Iterable[str]
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        return await ref.parties_and_comp_ids(self._conn, party_ids)

    async def comp_ids_by_member(self, member_ids: Iterable[str]) -> dict[str, list[str]]:
        return await ref.comp_ids_by_member(self._conn, member_ids)

    async def risk(self, member_id: str, account_id: str, *, lock: bool = False) -> RiskRow:
        return await ref.get_risk(self._conn, member_id, account_id, lock=lock)

    async def risk_many(
        self, keys: Iterable[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], RiskRow]:
        return await ref.get_risk_many(self._conn, keys, lock=lock)

    async def put_risk(self, member_id: str, account_id: str, risk: RiskRow, at: datetime) -> None:
        await ref.put_risk(self._conn, member_id, account_id, risk, at)

    async def put_risk_many(
        self, states: Mapping[tuple[str, str], RiskRow], existing: Iterable[tuple[str, str]], at: datetime
    ) -> None:
        await ref.put_risk_many(self._conn, dict(states), existing, at)

    async def figures(self, member_ids: Iterable[str]) -> dict[str, MemberFigures]:
        return await ref.member_figures(self._conn, member_ids)

    async def tolerance_pool(self) -> dict[str, Decimal]:
        return await ref.tolerance_pool(self._conn)

    async def reservation(self, member_id: str, order_id: str) -> Decimal | None:
        return await ref.get_reservation(self._conn, member_id, order_id)

    async def reserve(
        self,
        member_id: str,
        account_id: str,
        order_id: str,
        amount: Decimal,
        business_date: date,
        at: datetime,
    ) -> None:
        await ref.add_reservation(self._conn, member_id, account_id, order_id, amount, business_date, at)

    async def release(self, member_id: str, order_id: str) -> bool:
        return await ref.release_reservation(self._conn, member_id, order_id)

    async def expire_reservations(self, business_date: date) -> int:
        return await ref.expire_reservations(self._conn, business_date)


class SqlEod:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def steps(self, business_date: date) -> list[EodStepRow]:
        return await eod_repo.steps(self._conn, business_date)

    async def start_step(self, business_date: date, step: str, owner: str, at: datetime) -> None:
        await eod_repo.start_step(self._conn, business_date, step, owner, at)

    async def finish_step(
        self, business_date: date, step: str, state: StepState, at: datetime, detail: str | None
    ) -> None:
        await eod_repo.finish_step(self._conn, business_date, step, state, at, detail)

    async def put_npvs(self, business_date: date, npvs: Sequence[tuple[str, Decimal, str]]) -> None:
        await eod_repo.put_npvs(self._conn, business_date, npvs)

    async def vm_inputs(self, business_date: date) -> list[TradeDay]:
        return await eod_repo.vm_inputs(self._conn, business_date)

    async def fees(self, start: datetime, end: datetime) -> list[FeePaid]:
        return await eod_repo.fees(self._conn, start, end)

    async def put_vm(self, business_date: date, rows: Sequence[TradeVm]) -> None:
        await eod_repo.put_vm(self._conn, business_date, rows)

    async def vm(self, business_date: date, member_id: str | None = None) -> list[TradeVm]:
        return await eod_repo.vm(self._conn, business_date, member_id)

    async def vm_balances(self, business_date: date) -> dict[AccountKey, Decimal]:
        return await eod_repo.vm_balances(self._conn, business_date)

    async def put_pai(self, business_date: date, figures: Sequence[PaiFigure]) -> None:
        await eod_repo.put_pai(self._conn, business_date, figures)

    async def pai(self, business_date: date, member_id: str | None = None) -> list[PaiFigure]:
        return await eod_repo.pai(self._conn, business_date, member_id)


class SqlUnitOfWork:
    """One transaction's connection, seen through the five repositories."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.connection = conn
        self._submissions = SqlSubmissions(conn)
        self._statuses = SqlStatuses(conn)
        self._cleared = SqlCleared(conn)
        self._accounts = SqlAccounts(conn)
        self._events = SqlEvents(conn)
        self._eod = SqlEod(conn)
        self._cashflows = SqlCashFlows(conn)

    @property
    def submissions(self) -> SqlSubmissions:
        return self._submissions

    @property
    def statuses(self) -> SqlStatuses:
        return self._statuses

    @property
    def cleared(self) -> SqlCleared:
        return self._cleared

    @property
    def accounts(self) -> SqlAccounts:
        return self._accounts

    @property
    def events(self) -> SqlEvents:
        return self._events

    @property
    def eod(self) -> SqlEod:
        return self._eod

    @property
    def cashflows(self) -> SqlCashFlows:
        return self._cashflows


class SqlClearingStore:
    """``ClearingStore`` on an SQLAlchemy engine (SQLite or PostgreSQL, schema from ``upgrade_schema``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[SqlUnitOfWork]:
        if self._writer is None:
            async with self.engine.begin() as conn:
                yield SqlUnitOfWork(conn)
        else:
            async with self._writer, self.engine.begin() as conn:
                yield SqlUnitOfWork(conn)

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[SqlUnitOfWork]:
        async with reading(self.engine, snapshot=snapshot) as conn:
            yield SqlUnitOfWork(conn)

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        if self.engine.dialect.name == "postgresql":  # one UPDATE is its own transaction: no BEGIN, COMMIT
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await status_repo.mark_delivered(conn, ids, at)
            return
        async with self.begin() as uow:
            await uow.statuses.mark_delivered(ids, at)

    @asynccontextmanager
    async def eod_lock(self, business_date: date) -> AsyncIterator[bool]:
        """PostgreSQL: a session advisory lock on its own connection (every process on the database sees
        it; the server drops it if the process dies). SQLite, one process by design: a flag per database."""
        if self.engine.dialect.name == "postgresql":
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                key = {"kind": _EOD_LOCK, "day": business_date.toordinal()}
                got = bool(
                    (await conn.execute(text("SELECT pg_try_advisory_lock(:kind, :day)"), key)).scalar()
                )
                try:
                    yield got
                finally:
                    if got:
                        await conn.execute(text("SELECT pg_advisory_unlock(:kind, :day)"), key)
            return
        held = (str(self.engine.url), business_date)
        if held in _SQLITE_EOD_HELD:
            yield False
            return
        _SQLITE_EOD_HELD.add(held)
        try:
            yield True
        finally:
            _SQLITE_EOD_HELD.discard(held)

    def oversized(self, sub: Submission) -> list[Issue]:
        return repo.oversized(sub)


_EOD_LOCK = 0x454F44  # the advisory lock's first key ("EOD"); the second is the business date's ordinal
_SQLITE_EOD_HELD: set[tuple[str, date]] = set()
