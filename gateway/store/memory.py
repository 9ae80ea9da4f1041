"""The clearing core's store held in memory (``ClearingStore`` of gateway/clearing/ports.py).

For tests and tools that need the clearing core without a database; it honours the same contract as the
SQL store (tests/store/test_contract.py runs one suite against both): the unique keys of a submission
(message id, trade version, one live UTI), statuses and their outbox items in order, and units of work
that commit whole or not at all (one at a time; a failed one leaves nothing behind).
Members and collateral are given with ``add_member`` and ``lodge``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime

from gateway.domain.clearing import DeliveryChannel, OutboxItem, StatusUpdate, Submission
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import StoredEvent
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    EventStatuses,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    VersionRow,
    submission_ref,
)
from gateway.refdata.model import Holding, Member
from gateway.risk.market.fixings import Fixing
from gateway.store.clearing_repo import oversized
from gateway.store.memory_books import (
    GONE,
    HistoryRecord,
    Ids,
    MemoryAccounts,
    MemoryCleared,
    OwedRecord,
    State,
    SubmissionRecord,
    ccp_id,
)
from gateway.store.memory_cash_flows import MemoryCashFlows
from gateway.store.memory_eod import MemoryEod
from gateway.store.memory_events import MemoryEvents


class MemoryUnitOfWork:
    """One unit of work on a copy of the store's state: the four repositories are this object."""

    def __init__(self, state: State, ids: Ids) -> None:
        self.s = state
        self._ids = ids
        self._cleared = MemoryCleared(state)
        self._accounts = MemoryAccounts(state)
        self._events = MemoryEvents(state, ids)
        self._eod = MemoryEod(state)
        self._cashflows = MemoryCashFlows(state)

    @property
    def submissions(self) -> MemoryUnitOfWork:
        return self

    @property
    def statuses(self) -> MemoryUnitOfWork:
        return self

    @property
    def cleared(self) -> MemoryCleared:
        return self._cleared

    @property
    def accounts(self) -> MemoryAccounts:
        return self._accounts

    @property
    def events(self) -> MemoryEvents:
        return self._events

    @property
    def eod(self) -> MemoryEod:
        return self._eod

    @property
    def cashflows(self) -> MemoryCashFlows:
        return self._cashflows

    # ------------------------------------------------------------ submissions

    def _rows(self) -> list[SubmissionRow]:
        return [x.row for x in sorted(self.s.submissions.values(), key=lambda x: x.row.id)]

    def _taken(self, n: NewSubmission) -> bool:
        ids = n.sub.trade.identifiers
        uti = None if n.sub.is_correction else ids.uti
        for x in self.s.submissions.values():
            r = x.row
            if r.source == n.sub.source and (
                r.message_id == n.sub.message_id
                or (r.source_trade_id, r.source_version) == (ids.source_trade_id, ids.source_version)
            ):
                return True
            if uti is not None and x.uti == uti and r.stage not in GONE:
                return True
        return False

    async def insert(self, new: Sequence[NewSubmission]) -> list[SubmissionRow | None]:
        out: list[SubmissionRow | None] = []
        for n in new:
            if self._taken(n):
                out.append(None)
                continue
            sub, ids = n.sub, n.sub.trade.identifiers
            row = SubmissionRow(
                id=next(self._ids.submission),
                source=sub.source,
                channel=sub.channel,
                message_id=sub.message_id,
                source_trade_id=ids.source_trade_id,
                source_version=ids.source_version,
                is_correction=sub.is_correction,
                correlation_id=sub.correlation_id,
                received_at=sub.received_at,
                trade=sub.trade,
                member_a=n.member_a,
                member_b=n.member_b,
                sub_block=sub.trade.sub_block,
                stage=Stage.ALLEGED if n.affirm_member is not None else Stage.RECEIVED,
                status=ClearingStatusCode.RECEIVED,
                last_sequence=1,
                due_at=sub.received_at,
                business_date=n.business_date,
                backload=False,
                affirm_member=n.affirm_member,
                package_id=sub.package_id,
            )
            self.s.submissions[row.id] = SubmissionRecord(row, None if sub.is_correction else ids.uti)
            out.append(row)
        return out

    async def get(self, row_id: int, *, lock: bool = False) -> SubmissionRow | None:
        found = self.s.submissions.get(row_id)
        return None if found is None else found.row

    async def get_many(
        self, row_ids: Sequence[int], *, lock: bool = False, trades: Mapping[int, Trade] | None = None
    ) -> list[SubmissionRow]:
        return [self.s.submissions[i].row for i in sorted(set(row_ids)) if i in self.s.submissions]

    async def find_known(
        self, source: str, message_id: str, source_trade_id: str, version: int
    ) -> SubmissionRow | None:
        mine = [r for r in self._rows() if r.source == source]
        by_message = [r for r in mine if r.message_id == message_id]
        by_version = [r for r in mine if (r.source_trade_id, r.source_version) == (source_trade_id, version)]
        found = by_message or by_version
        return found[0] if found else None

    async def versions(self, source: str, source_trade_id: str) -> list[SubmissionRow]:
        return [r for r in self._rows() if (r.source, r.source_trade_id) == (source, source_trade_id)]

    async def versions_of(self, trades: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[VersionRow]]:
        out: dict[tuple[str, str], list[VersionRow]] = {k: [] for k in set(trades)}
        for r in self._rows():
            found = out.get((r.source, r.source_trade_id))
            if found is not None:
                found.append(VersionRow(r.id, r.source_version, r.stage))
        return out

    async def package_legs(
        self,
        packages: Iterable[tuple[str, str]],
        *,
        lock: bool = False,
        trades: Mapping[int, Trade] | None = None,
    ) -> dict[tuple[str, str], list[SubmissionRow]]:
        out: dict[tuple[str, str], list[SubmissionRow]] = {k: [] for k in set(packages)}
        for r in self._rows():
            if r.package_id is not None and (found := out.get((r.source, r.package_id))) is not None:
                found.append(r)
        return out

    async def live_by_uti(self, uti: str, *, lock: bool = False) -> SubmissionRow | None:
        live = [x.row for x in self.s.submissions.values() if x.uti == uti and x.row.stage not in GONE]
        return live[0] if live else None

    async def claim_uti(self, row_id: int, uti: str) -> None:
        holder = await self.live_by_uti(uti)
        if holder is not None and holder.id != row_id:
            raise ValueError(f"UTI {uti} is live as submission {holder.ref}")
        self.s.submissions[row_id] = dataclasses.replace(self.s.submissions[row_id], uti=uti)

    def _change(self, row_id: int, *, needs_recheck: bool | None = None, **values: object) -> None:
        x = self.s.submissions[row_id]
        row = dataclasses.replace(x.row, **values)  # type: ignore[arg-type]
        recheck = x.needs_recheck if needs_recheck is None else needs_recheck
        self.s.submissions[row_id] = dataclasses.replace(x, row=row, needs_recheck=recheck)

    async def affirm(self, row_id: int, trade: Trade, at: datetime) -> None:
        self._change(row_id, trade=trade, stage=Stage.RECEIVED, due_at=at)

    async def reported_for_affirmation(
        self, *, report_id: str | None, trade_id: str | None
    ) -> list[SubmissionRow]:
        if report_id:
            named = [r for r in self._rows() if r.message_id == report_id]
        elif trade_id:
            named = [r for r in self._rows() if r.source_trade_id == trade_id]
        else:
            return []
        return [r for r in reversed(named) if r.affirm_member is not None]

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
        values: dict[str, object] = {"stage": stage}
        if due_at is not None:
            values["due_at"] = due_at
        if business_date is not None:
            values["business_date"] = business_date
        if backload is not None:
            values["backload"] = backload
        self._change(row_id, needs_recheck=False, **values)

    def flag_recheck(self, member_id: str) -> int:
        """Mark the member's trades pending for collateral to be checked again (as a lodgement does)."""
        pending = [
            x.row.id
            for x in self.s.submissions.values()
            if x.row.stage is Stage.PENDING_COLLATERAL and member_id in (x.row.member_a, x.row.member_b)
        ]
        for row_id in pending:
            self._change(row_id, needs_recheck=True)
        return len(pending)

    async def due(self, now: datetime, *, open_now: bool, limit: int, after_id: int = 0) -> list[int]:
        def is_due(x: SubmissionRecord) -> bool:
            r = x.row
            if r.stage is Stage.RECEIVED:
                return True
            if r.stage in (Stage.QUEUED_HOURS, Stage.QUEUED_BACKLOAD, Stage.QUEUED_PACKAGE):
                return r.due_at is not None and r.due_at <= now
            return open_now and r.stage is Stage.PENDING_COLLATERAL and x.needs_recheck

        ids = sorted(i for i, x in self.s.submissions.items() if i > after_id and is_due(x))
        return ids[:limit]

    async def unregistered(self, business_date: date) -> list[int]:
        live = (
            Stage.RECEIVED,
            Stage.ALLEGED,
            Stage.QUEUED_HOURS,
            Stage.PENDING_COLLATERAL,
            Stage.QUEUED_PACKAGE,
        )
        return [
            r.id
            for r in self._rows()
            if r.stage in live
            and not r.backload
            and r.business_date is not None
            and r.business_date <= business_date
        ]

    # ------------------------------------------------------------ statuses and the outbox

    def _append(
        self,
        sub: SubmissionRow,
        sequence: int,
        status: ClearingStatusCode,
        at: datetime,
        reasons: Sequence[Issue],
        ccp_trade_ids: Sequence[str],
        business_date: date | None,
        recipients: Sequence[Recipient],
        event_id: int | None = None,
    ) -> None:
        """The one writer of statuses: the history entry and an outbox item per recipient."""
        h = HistoryRecord(
            next(self._ids.history),
            sub.id,
            sequence,
            status,
            at,
            tuple(reasons),
            tuple(ccp_trade_ids),
            business_date,
            event_id,
        )
        self.s.history.append(h)
        for r in recipients:
            owed = OwedRecord(next(self._ids.outbox), r, h.id)
            self.s.outbox[owed.id] = owed

    async def received(
        self, received: Sequence[tuple[SubmissionRow, datetime, Sequence[Recipient]]]
    ) -> list[StatusUpdate]:
        out = []
        for sub, at, recipients in received:
            self._append(sub, 1, ClearingStatusCode.RECEIVED, at, (), (), sub.business_date, recipients)
            out.append(self._update(self._history_of(sub.id)[-1], sub.trade))
        return out

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
        sequence = sub.last_sequence + 1
        self._change(sub.id, status=status, last_sequence=sequence)
        self._append(sub, sequence, status, at, reasons, (), business_date, recipients)
        return dataclasses.replace(self._update(self._history_of(sub.id)[-1]), trade=sub.trade)

    async def record_event(
        self,
        sub: SubmissionRow,
        stored: StoredEvent,
        statuses: Sequence[tuple[ClearingStatusCode, Sequence[Issue]]],
        at: datetime,
        recipients: Sequence[Recipient],
    ) -> list[StatusUpdate]:
        first = sub.last_sequence + 1
        self._change(sub.id, last_sequence=sub.last_sequence + len(statuses))
        ids = stored.note.ccp_trade_ids
        for n, (status, reasons) in enumerate(statuses):
            self._append(sub, first + n, status, at, reasons, ids, None, recipients, stored.note.event_id)
        return [self._update(h) for h in self._history_of(sub.id)[-len(statuses) :]]

    async def record_events(self, told: Sequence[EventStatuses]) -> None:
        moved: dict[int, int] = {}  # a submission's sequence as the earlier events of the batch left it
        for e in told:
            sub = dataclasses.replace(e.sub, last_sequence=moved.get(e.sub.id, e.sub.last_sequence))
            await self.record_event(sub, e.stored, e.statuses, e.at, e.recipients)
            moved[e.sub.id] = sub.last_sequence + len(e.statuses)

    async def owe_event_again(self, event_id: int, recipient: Recipient, at: datetime) -> None:
        told = [h for h in self.s.history if h.event_id == event_id]
        if told:
            last = max(told, key=lambda h: h.sequence)
            owed = OwedRecord(next(self._ids.outbox), recipient, last.id)
            self.s.outbox[owed.id] = owed

    async def write(self, transitions: Sequence[Transition]) -> None:
        for tr in transitions:
            sub = tr.sub
            sequence = sub.last_sequence + (1 if tr.status is not None else 0)
            self._change(
                sub.id,
                needs_recheck=False,
                stage=tr.stage,
                status=tr.status or sub.status,
                last_sequence=sequence,
                due_at=tr.due_at,
                business_date=tr.business_date,
                backload=tr.backload,
            )
            if tr.status is not None:
                self._append(
                    sub,
                    sequence,
                    tr.status,
                    tr.at,
                    tr.reasons,
                    tr.ccp_trade_ids,
                    tr.business_date,
                    tr.recipients,
                )

    def _history_of(self, row_id: int) -> list[HistoryRecord]:
        return sorted((h for h in self.s.history if h.submission_id == row_id), key=lambda h: h.sequence)

    def _pair(self, row_id: int) -> tuple[Trade, Trade] | None:
        rows = sorted((c for c in self.s.cleared.values() if c.submission_id == row_id), key=ccp_id)
        # the pair it was registered as (an amendment's pairs sort after it)
        return (rows[0].row.trade, rows[1].row.trade) if len(rows) >= 2 else None

    def _update(
        self, h: HistoryRecord, trade: Trade | None = None, pair: tuple[Trade, Trade] | None = None
    ) -> StatusUpdate:
        sub = self.s.submissions[h.submission_id].row
        if h.event_id is not None:
            stored = self.s.events[h.event_id]
            return StatusUpdate(
                sequence=h.sequence,
                submission_id=submission_ref(sub.id),
                source=sub.source,
                channel=sub.channel,
                status=h.status,
                trade=sub.trade if trade is None else trade,
                at=h.at,
                reasons=h.reasons,
                ccp_trade_ids=h.ccp_trade_ids,
                correlation_id=stored.correlation_id,
                in_reply_to=stored.message_id,
                event=stored.note,
            )
        cleared = h.status is ClearingStatusCode.CLEARED
        return StatusUpdate(
            sequence=h.sequence,
            submission_id=submission_ref(sub.id),
            source=sub.source,
            channel=sub.channel,
            status=h.status,
            trade=sub.trade if trade is None else trade,
            at=h.at,
            reasons=h.reasons,
            ccp_trade_ids=h.ccp_trade_ids,
            cleared=(pair or self._pair(sub.id)) if cleared else None,
            clearing_business_date=h.business_date,
            correlation_id=sub.correlation_id,
            in_reply_to=sub.message_id,
        )

    async def owe_latest_again(self, row_id: int, recipient: Recipient, at: datetime) -> None:
        history = [h for h in self._history_of(row_id) if h.event_id is None]
        if history:
            owed = OwedRecord(next(self._ids.outbox), recipient, history[-1].id)
            self.s.outbox[owed.id] = owed

    async def latest(self, row_id: int) -> StatusUpdate:
        return self._update([h for h in self._history_of(row_id) if h.event_id is None][-1])

    async def history(self, row_id: int) -> list[StatusUpdate]:
        return [self._update(h) for h in self._history_of(row_id)]

    async def pending(
        self,
        channel: DeliveryChannel,
        limit: int,
        *,
        trades: Mapping[int, Trade] | None = None,
        cleared: Mapping[int, tuple[Trade, Trade]] | None = None,
        exclude: Collection[str] = (),
    ) -> list[OutboxItem]:
        by_id = {h.id: h for h in self.s.history}
        items = [
            o
            for _, o in sorted(self.s.outbox.items())
            if not o.delivered and o.recipient.channel is channel and o.recipient.recipient not in exclude
        ][:limit]
        out = []
        for o in items:
            h = by_id[o.history_id]
            update = self._update(
                h, (trades or {}).get(h.submission_id), (cleared or {}).get(h.submission_id)
            )
            out.append(OutboxItem(o.id, channel, o.recipient.role, o.recipient.recipient, update))
        return out

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        for i in ids:
            if i in self.s.outbox:
                self.s.outbox[i] = dataclasses.replace(self.s.outbox[i], delivered=True)


class MemoryClearingStore:
    """``ClearingStore`` in memory: one unit of work at a time, each on a copy put back on commit."""

    def __init__(self) -> None:
        self._state = State()
        self._ids = Ids()
        self._lock = asyncio.Lock()
        self._eod_held: set[date] = set()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[MemoryUnitOfWork]:
        async with self._lock:
            work = self._state.copy()
            yield MemoryUnitOfWork(work, self._ids)
            self._state = work  # committed: reached only when the block raised nothing

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[MemoryUnitOfWork]:
        yield MemoryUnitOfWork(self._state.copy(), self._ids)

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        async with self.begin() as uow:
            await uow.mark_delivered(ids, at)

    @asynccontextmanager
    async def eod_lock(self, business_date: date) -> AsyncIterator[bool]:
        """One end of day of a date at a time in this store (it lives in one process)."""
        if business_date in self._eod_held:
            yield False
            return
        self._eod_held.add(business_date)
        try:
            yield True
        finally:
            self._eod_held.discard(business_date)

    def oversized(self, sub: Submission) -> list[Issue]:
        return oversized(sub)  # the same limits as the SQL store, so both refuse the same submissions

    # ------------------------------------------------------------ reference data (the admin's side)

    def add_member(self, member: Member) -> None:
        self._state.members[member.member_id] = member

    def add_fixings(self, fixings: Iterable[Fixing]) -> None:
        """Published fixings, as the fixings store keeps them."""
        for f in fixings:
            self._state.fixings[(f.index, f.fixing_date)] = f.rate

    def lodge(self, member_id: str, account_id: str, holding: Holding) -> None:
        """Add collateral; the events waiting for collateral on the member's trades are decided again at
        the next pass."""
        self._state.collateral.setdefault((member_id, account_id), []).append(holding)
        mine = {
            i for i, x in self._state.submissions.items() if member_id in (x.row.member_a, x.row.member_b)
        }
        MemoryEvents(self._state, self._ids).flag_recheck(mine)
