"""The clearing service: the inbound port of the clearing core, and the outbox its publishers read.

    parse -> validate -> normalise -> eligibility -> risk -> novate -> persist -> publish

Intake channels parse and schema-validate, then call ``submit``, which stores the submission and its
``Received`` status durably and answers at once (``receipt``). ``drain`` (driven by ``run``) takes every
submission that is due and decides it (``clearing_pass``, with the rules in ``decide``): business
validation, normalisation, eligibility, timing (service hours, backloading), the credit check per member
side, novation, and the persistence of every resulting state together with its status history and its
outbox items (publication is the publishers reading the outbox). ``end_of_day`` is in ``eod``, the
pre-trade credit check in ``pretrade``. Everything is read and written through a ``ClearingStore``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clearing import (
    clearing_pass,
    compression_run,
    decide,
    eod,
    event_proposals,
    pretrade,
    receipt,
    trade_events,
)
from gateway.clearing.call_ports import CallStore
from gateway.clearing.call_steps import CallsTimer
from gateway.clearing.calls import CallSettings
from gateway.clearing.compression import Valuer
from gateway.clearing.credit import CreditChecker
from gateway.clearing.eod import EodReport, EodTimer
from gateway.clearing.eod_ports import DayReports
from gateway.clearing.margin_cycle import OvernightRates, OvernightRatesSource
from gateway.clearing.ports import (
    Affirmation,
    ClearingPort,
    ClearingStore,
    CreditDecision,
    DeliveryChannel,
    EventPort,
    EventProposal,
    EventRequest,
    Outbox,
    OutboxItem,
    Position,
    StatusUpdate,
    Submission,
    UnitOfWork,
)
from gateway.clearing.revaluation import RevaluationReport
from gateway.clock import Clock, SystemClock
from gateway.domain.compression import CompressionRequest, CompressionResult
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import parse_submission_ref
from gateway.refdata.fx import FxRates
from gateway.rules.hours import ServiceHours
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings

__all__ = ["ClearingService", "EodReport"]

log = structlog.get_logger(__name__)


def _no_venue(_source: str) -> bool:
    """No source is a venue (nor approved beyond its own trades) when the service is told of none."""
    return False


class ClearingService:
    """Implements ``ClearingPort`` and ``EventPort`` (for the intake channels) and ``Outbox`` (for the
    publishers).

    ``store``: where the state is kept, built by the wiring (``gateway/app.py``, the commands, the tests):
    clearing never imports the store's implementations. ``engine``: the database beside it for the
    reference data, or None for a store without one.
    """

    def __init__(
        self,
        engine: AsyncEngine | None,
        credit: CreditChecker | None,
        *,
        clock: Clock | None = None,
        settings: ClearingSettings | None = None,
        products: ProductTable | None = None,
        fx: FxRates | None = None,
        hours: ServiceHours | None = None,
        is_venue: Callable[[str], bool] | None = None,
        is_approved_source: Callable[[str], bool] | None = None,
        store: ClearingStore,
        overnight_rates: OvernightRates | OvernightRatesSource | None = None,
        eod_owner: str | None = None,
        calls: CallStore | None = None,
        call_settings: CallSettings | None = None,
        on_flags: Callable[[dict[str, int]], None] | None = None,
        reports: DayReports | None = None,
    ) -> None:
        self._engine = engine
        self.store: ClearingStore = store
        # whether a submission's source is an active venue (the service's cached source table; no query):
        # without one, no source is a venue and no sub-block flag is honoured
        self.is_venue: Callable[[str], bool] = is_venue or _no_venue
        # whether a source is an active approved trade source (the same cached table): such a source may
        # send events on any cleared trade; without one, only a trade's own source may
        self.is_approved_source: Callable[[str], bool] = is_approved_source or _no_venue
        self.credit = credit
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or ClearingSettings.load()
        self.products = products or ProductTable.load()
        self.fx = fx or FxRates.load()
        self.hours = hours or ServiceHours(self.settings.service_hours, self.settings.backload)
        self.ccp = Party(self.settings.ccp.party_id, name=self.settings.ccp.name)
        self.due_work = asyncio.Event()  # set when there may be work for the pass
        self.pass_lock = asyncio.Lock()  # one clearing pass (or end of day) at a time
        # Group commit of concurrent submits (see receipt.submit): who holds the lock stores everything queued.
        self.submit_lock = asyncio.Lock()
        self.submit_queue: list[tuple[Submission, asyncio.Future[StatusUpdate]]] = []
        # Trades this process stored (by submission id) and the pairs it novated, most recent first out of
        # mind: the pass and the publishers' outbox reads use them instead of decoding the stored JSON (a
        # stored trade never changes; an older one is decoded as before).
        self.trades_seen: OrderedDict[int, Trade] = OrderedDict()
        self.cleared_seen: OrderedDict[int, tuple[Trade, Trade]] = OrderedDict()
        self._outbox_watchers: list[asyncio.Event] = []
        # end of day: PAI's overnight fixings (None: no PAI), and the name eod_runs records this process by
        self.overnight_rates = overnight_rates
        self.reports = reports  # the members' reports written at end of day (None: not configured)
        self.eod_owner = eod_owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # margin calls: where they are kept (None: none issued), when they fall due, the intraday times
        self.calls = calls
        self.call_settings = call_settings or CallSettings()
        self.on_flags = on_flags  # told the members flagged by overdue calls (serve: /healthz)

    @property
    def engine(self) -> AsyncEngine:
        """The database engine this service was given (for the reference data read beside it)."""
        if self._engine is None:
            raise RuntimeError("this clearing service keeps its state in a store without a database engine")
        return self._engine

    @asynccontextmanager
    async def writing(self, *, outbox: bool = True) -> AsyncIterator[UnitOfWork]:
        """A unit of work (committed on success, rolled back on any exception).

        ``outbox``: it may write outbox items, so the publishers are woken once it has committed.
        """
        async with self.store.begin() as uow:
            yield uow
        if outbox:
            for event in self._outbox_watchers:
                event.set()

    def watch_outbox(self, event: asyncio.Event) -> None:
        """Set ``event`` after every committed transaction of this service that may have written outbox items.

        The publishers wait on it instead of polling; items written by other processes (the ``eod`` command,
        another instance on the same database) are still found by their poll.
        """
        self._outbox_watchers.append(event)

    def policy(self) -> decide.Policy:
        """The rules the decisions are taken by, as this service is configured now."""
        return decide.Policy(
            settings=self.settings,
            hours=self.hours,
            products=self.products,
            fx=self.fx,
            ccp=self.ccp,
            is_venue=self.is_venue,
            checker=self.credit,
        )

    def checker(self) -> CreditChecker:
        return self.policy().margin_model()

    def remember_trade(self, row_id: int, trade: Trade) -> None:
        _remember(self.trades_seen, row_id, trade)

    def remember_cleared(self, row_id: int, cleared: tuple[Trade, Trade]) -> None:
        _remember(self.cleared_seen, row_id, cleared)

    # ------------------------------------------------------------ ClearingPort

    async def submit(self, submission: Submission) -> StatusUpdate:
        """Store the submission and its Received status; a known message or trade version gets its last status."""
        return await receipt.submit(self, submission)

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        return await receipt.withdraw(self, source, source_trade_id, at, reason)

    async def affirm(self, affirmation: Affirmation) -> StatusUpdate:
        return await receipt.affirm(self, affirmation)

    async def submit_event(self, request: EventRequest) -> list[StatusUpdate]:
        """A lifecycle event on a cleared trade, decided and stored with its statuses in one transaction."""
        return await trade_events.submit_event(self, request)

    async def propose_event(self, proposal: EventProposal) -> StatusUpdate:
        return await event_proposals.propose(self, proposal)

    async def answer_event(self, affirmation: Affirmation) -> StatusUpdate:
        return await event_proposals.answer(self, affirmation)

    async def compress(
        self, request: CompressionRequest, valuer: Valuer, *, dry_run: bool = False
    ) -> CompressionResult:
        """A compression of a member account's cleared trades, decided and stored in one transaction."""
        return await compression_run.run_compression(self, request, valuer, dry_run=dry_run)

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        return await pretrade.credit_check(self, member, account, trade, order_id)

    async def release_credit(self, member: str, order_id: str) -> None:
        await pretrade.release_credit(self, member, order_id)

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        async with self.store.read() as uow:
            m = await uow.accounts.member(member)
            if m is None:
                return []
            return await uow.cleared.positions(m.member_id, account, business_date)

    # ------------------------------------------------------------ Outbox

    async def pending(
        self, channel: DeliveryChannel, limit: int, *, exclude: Collection[str] = ()
    ) -> Sequence[OutboxItem]:
        """Undelivered items of a channel, oldest first, without the recipients in ``exclude``."""
        # No common snapshot needed: an item's history row and cleared trades were committed with it.
        async with self.store.read(snapshot=False) as uow:
            return await uow.statuses.pending(
                channel, limit, trades=self.trades_seen, cleared=self.cleared_seen, exclude=exclude
            )

    async def mark_delivered(self, ids: Sequence[int]) -> None:
        await self.store.mark_delivered(ids, self.clock.now())

    # ------------------------------------------------------------ reading

    async def history(self, submission_id: str) -> list[StatusUpdate]:
        """Every status of a submission, in order."""
        row_id = parse_submission_ref(submission_id)
        if row_id is None:
            raise InputRejected.of(
                ReasonCode.REF_INVALID_INPUT, "submission_id", f"not a submission id: {submission_id!r}"
            )
        async with self.store.read() as uow:
            return await uow.statuses.history(row_id)

    # ------------------------------------------------------------ running

    def wake(self) -> None:
        """Ask ``run`` to look for due work now (after a lodgement, for instance)."""
        self.due_work.set()

    async def drain(self, batch: int = 200) -> int:
        """Process every submission that is due now; returns how many were processed."""
        return await clearing_pass.drain(self, batch)

    async def end_of_day(self, business_date: date, *, drain: bool = True, resume: bool = False) -> EodReport:
        """The end of day of ``business_date`` (``eod.end_of_day``): refusals, maturities, revaluation with
        the NPV history, VM and PAI; ``resume``: the steps already finished are not run again."""
        return await eod.end_of_day(self, business_date, drain=drain, resume=resume)

    async def revalue(self, business_date: date) -> RevaluationReport:
        """Value every live cleared trade and rebuild each account's P&L vector and margin."""
        return await eod.revalue(self, business_date)

    async def run(
        self, stop: asyncio.Event, poll_seconds: float = 1.0, *, end_of_day_at_close: bool = False
    ) -> None:
        """Process due work until ``stop`` is set: on every wake-up and at least every ``poll_seconds``.

        Each tick also marks margin calls past their due time overdue and runs the intraday calls at their
        times (``call_steps.CallsTimer``), when the service keeps margin calls.

        With ``end_of_day_at_close`` the loop also runs ``end_of_day`` once each business day, at the
        first pass after the service closes (``eod.EodTimer``): under the store's lock, so one process of
        several on a database runs it; after a restart that evening it resumes where the last run stopped.
        """
        timer, calls_timer = EodTimer(), CallsTimer()
        while not stop.is_set():
            self.due_work.clear()  # before the pass: a submit during the pass wakes the next one at once
            try:
                await self.drain()
                if end_of_day_at_close:
                    await timer.tick(self)
                await calls_timer.tick(self)
            except Exception:  # a database outage must not end the loop; it retries at the next tick
                log.exception("clearing.drain_failed")
            waiter = asyncio.ensure_future(self.due_work.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait(
                    {waiter, stopper}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiter.cancel()
                stopper.cancel()


_REMEMBERED = 10_000  # trades per cache: about ten seconds of flow at 1,000 trades/s


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: OrderedDict[_K, _V], key: _K, value: _V) -> None:
    cache[key] = value
    while len(cache) > _REMEMBERED:
        cache.popitem(last=False)


if TYPE_CHECKING:  # mypy checks that the service honours both contracts

    def _contracts(service: ClearingService) -> tuple[ClearingPort, EventPort, Outbox]:
        return service, service, service
