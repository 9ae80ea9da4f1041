"""The clearing service: the one place where the pipeline order is written.

    parse -> validate -> normalise -> eligibility -> risk -> novate -> persist -> publish

Intake channels parse and schema-validate, then call ``submit``, which stores the submission and its
``Received`` status durably and answers at once. ``drain`` (driven by ``run``) takes every submission that is
due and walks it through the remaining steps in one database transaction per submission: business
validation, normalisation, eligibility, timing (service hours, backloading), the credit check per member
side, novation, and the persistence of every resulting state together with its status history and its
outbox items (publication is the publishers reading the outbox).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clearing import affirmation, decide
from gateway.clearing.credit import BatchPricing, CreditChecker, CreditPosition
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.ports import (
    Affirmation,
    ClearingPort,
    ClearingStore,
    CreditDecision,
    DeliveryChannel,
    Outbox,
    OutboxItem,
    Position,
    StatusUpdate,
    Submission,
    UnitOfWork,
)
from gateway.clearing.revaluation import PortfolioValuer, RevaluationReport
from gateway.clock import Clock, SystemClock
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, InputRejected, Issue, NotEligible
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import (
    TERMINAL,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    parse_submission_ref,
    submission_ref,
)
from gateway.refdata.figures import RiskRow
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member
from gateway.rules.hours import ServiceHours
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings
from gateway.store.clearing_store import SqlClearingStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EodReport:
    """What end of day did: trades refused for not being registered, and any that could not be handled."""

    business_date: date
    refused: tuple[str, ...]
    reservations_expired: int
    failures: tuple[tuple[str, str], ...] = ()  # (submission id, error)
    revaluation: RevaluationReport | None = None  # None when the margin model cannot value accounts
    matured: int = 0  # cleared trades that reached their maturity date


def _no_venue(_source: str) -> bool:
    return False


class ClearingService:
    """Implements ``ClearingPort`` (for the intake channels) and ``Outbox`` (for the publishers)."""

    def __init__(
        self,
        engine: AsyncEngine,
        credit: CreditChecker | None,
        *,
        clock: Clock | None = None,
        settings: ClearingSettings | None = None,
        products: ProductTable | None = None,
        fx: FxRates | None = None,
        hours: ServiceHours | None = None,
        is_venue: Callable[[str], bool] | None = None,
        store: ClearingStore | None = None,
    ) -> None:
        self.engine = engine
        self.store: ClearingStore = store or SqlClearingStore(engine)
        # whether a submission's source is an active venue (the service's cached source table; no query):
        # without one, no source is a venue and no sub-block flag is honoured
        self.is_venue: Callable[[str], bool] = is_venue or _no_venue
        self.credit = credit
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or ClearingSettings.load()
        self.products = products or ProductTable.load()
        self.fx = fx or FxRates.load()
        self.hours = hours or ServiceHours(self.settings.service_hours, self.settings.backload)
        self.ccp = Party(self.settings.ccp.party_id, name=self.settings.ccp.name)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        # Group commit of concurrent submits (see submit): who holds the lock stores everything queued.
        self._submit_lock = asyncio.Lock()
        self._submit_queue: list[tuple[Submission, asyncio.Future[StatusUpdate]]] = []
        # Trades this process stored (by submission id) and the pairs it novated, most recent first out of
        # mind: the pass and the publishers' outbox reads use them instead of decoding the stored JSON (a
        # stored trade never changes; an older one is decoded as before).
        self._trades: OrderedDict[int, Trade] = OrderedDict()
        self._cleared: OrderedDict[int, tuple[Trade, Trade]] = OrderedDict()
        self._outbox_watchers: list[asyncio.Event] = []

    @asynccontextmanager
    async def _writing(self, *, outbox: bool = True) -> AsyncIterator[UnitOfWork]:
        """A write transaction (committed on success, rolled back on any exception).

        ``outbox``: the transaction may write outbox items, so the publishers are woken once it has committed.
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

    # ------------------------------------------------------------ ClearingPort

    async def submit(self, submission: Submission) -> StatusUpdate:
        """Store the submission and its Received status; a known message or trade version gets its last status.

        Group commit: submissions that arrive while another group's transaction runs are stored together
        in the next one (in arrival order), so concurrent callers share its BEGIN, member lookup and COMMIT.
        Each caller returns only once its own submission is committed. If a group's transaction fails,
        each of its submissions is stored again in a transaction of its own, so one bad submission fails
        alone, exactly as if it had been submitted by itself.
        """
        too_long = self.store.oversized(submission)
        if too_long:
            raise InputRejected(too_long)
        mine: asyncio.Future[StatusUpdate] = asyncio.get_running_loop().create_future()
        self._submit_queue.append((submission, mine))
        async with self._submit_lock:
            if not mine.done():
                group, self._submit_queue = self._submit_queue, []
                await self._submit_group(group, mine)
        return mine.result()

    async def _submit_group(
        self, group: list[tuple[Submission, asyncio.Future[StatusUpdate]]], mine: asyncio.Future[StatusUpdate]
    ) -> None:
        """Store ``group`` in one transaction, else one transaction each; settles every future of it."""
        try:
            async with self._writing() as uow:
                parties = {p.party_id for sub, _ in group for p in decide.parties_of(sub)}
                found = await uow.accounts.parties_and_comp_ids(parties)
                stored = await self._submit_many_in(uow, [sub for sub, _ in group], found)
                await _release_orders(uow, stored)
                done = [(one, fut) for one, (_, fut) in zip(stored, group, strict=True)]
        except asyncio.CancelledError:
            # Nothing of the group was committed: the others go back to the queue for the next holder.
            self._submit_queue[:0] = [(s, f) for s, f in group if f is not mine]
            raise
        except Exception:
            if len(group) == 1:
                sub, fut = group[0]
                done = []
                try:
                    async with self._writing() as uow:
                        found = await uow.accounts.parties_and_comp_ids(
                            p.party_id for p in decide.parties_of(sub)
                        )
                        (one,) = await self._submit_many_in(uow, [sub], found)
                        await _release_orders(uow, [one])
                        done.append((one, fut))
                except Exception as exc:
                    fut.set_exception(exc)
            else:
                log.warning("clearing.submit_group_failed", submissions=len(group))
                for n, (sub, fut) in enumerate(group):
                    try:
                        await self._submit_group([(sub, fut)], mine)
                    except asyncio.CancelledError:
                        at = 0 if fut is mine else 1  # after the one just put back, if it was put back
                        self._submit_queue[at:at] = [(s, f) for s, f in group[n + 1 :] if f is not mine]
                        raise
                return
        for (update, row_id, sub), fut in done:
            # committed: usable instead of the stored JSON (not a member's report: its counterparty's
            # affirmation completes the stored trade, perhaps in another process)
            if row_id and sub.reporter_party is None:
                _remember(self._trades, row_id, sub.trade)
            if isinstance(update, GatewayError):
                fut.set_exception(update)
            else:
                fut.set_result(update)
        if any(row_id for (_u, row_id, _s), _f in done):
            self._wake.set()

    async def _submit_many_in(
        self,
        uow: UnitOfWork,
        submissions: Sequence[Submission],
        found: tuple[dict[str, str], dict[str, list[str]]],
    ) -> list[Stored]:
        """Each submission stored in order, with the Received history and outbox rows written together;
        a submission refused at receipt (a duplicate UTI) carries its error instead of a status.

        The rows written so far are flushed before anything that reads them or writes another status
        (a repeat reads its stored submission's last status; a correction withdraws earlier versions; a
        member's report is alleged to its counterparty), so every trade's statuses keep their order in
        the history and the outbox.
        """
        if len(submissions) > 1 and decide.independent(submissions):
            return await self._submit_independent(uow, submissions, found)
        out: list[Stored | None] = [None] * len(submissions)
        waiting: list[tuple[int, SubmissionRow, datetime, list[Recipient]]] = []

        async def flush() -> None:
            updates = await uow.statuses.received([(r, at, rs) for _, r, at, rs in waiting])
            for (n, row, _, _), update in zip(waiting, updates, strict=True):
                out[n] = (update, row.id, submissions[n])
            waiting.clear()

        for n, sub in enumerate(submissions):
            now = self.clock.now()
            if sub.is_correction:
                refusal = await self._correction_uti_taken(uow, sub)
                if refusal is not None:
                    await flush()
                    out[n] = (refusal, 0, sub)
                    continue
            row, recipients = await self._insert(uow, sub, now, found)
            if row is None:  # a repeat (perhaps of one earlier in this group), an affirmation, a duplicate
                await flush()
                out[n] = await self._conflict(uow, sub, found[0])
                continue
            if sub.is_correction:
                await flush()
                await self._supersede_earlier(uow, row, now)
                await self._claim_uti(uow, row)
            waiting.append((n, row, now, recipients))
            if row.stage is Stage.ALLEGED:
                await flush()
                await self._allege(uow, row, now, recipients)
        await flush()
        settled = [one for one in out if one is not None]
        assert len(settled) == len(submissions)
        return settled

    async def _submit_independent(
        self,
        uow: UnitOfWork,
        submissions: Sequence[Submission],
        found: tuple[dict[str, str], dict[str, list[str]]],
    ) -> list[Stored]:
        """``_submit_many_in`` for a group without corrections whose submissions do not repeat one another.

        No submission of such a group writes a status other than its own Received, so all of them are
        inserted in one statement and their Received rows written in two more; a repeat of something stored
        earlier then reads its last status (as it would have after the rows before it were written).
        """
        members, comp_ids = found
        new = []
        for sub in submissions:
            a, b = (members.get(p.party_id) for p in sub.trade.parties)
            business_date = self.hours.business_date(sub.received_at)
            new.append(NewSubmission(sub, a, b, business_date, self.clock.now()))
        rows = await uow.submissions.insert(new)
        stored = [(row, n.at) for row, n in zip(rows, new, strict=True) if row is not None]
        updates = iter(
            await uow.statuses.received([(row, at, decide.recipients(row, comp_ids)) for row, at in stored])
        )
        out: list[Stored] = []
        for row, sub in zip(rows, submissions, strict=True):
            if row is None:
                out.append(await self._conflict(uow, sub, members))
            else:
                out.append((next(updates), row.id, sub))
        return out

    async def _conflict(self, uow: UnitOfWork, sub: Submission, members: dict[str, str]) -> Stored:
        """A submission a unique key refused: a repeat gets its last status (owed again on MQTT); the
        counterparty's own report of a trade alleged against it affirms that trade; anything else with a
        live UTI is a duplicate, refused naming the trade that holds the UTI."""
        known = await self._known(uow, sub)
        if known is not None:
            again = decide.source_again(sub)
            if again is not None:
                await uow.statuses.owe_latest_again(known.id, again, self.clock.now())
            return await uow.statuses.latest(known.id), 0, sub
        uti = sub.trade.identifiers.uti
        holder = None if uti is None else await uow.submissions.live_by_uti(uti, lock=True)
        if holder is None:  # pragma: no cover - the insert was refused by a unique key
            raise RuntimeError("submission refused by a unique key but not found")
        if decide.affirms(sub, holder, members):
            return await self._affirm_by_report(uow, sub, holder)
        return await self._duplicate(uow, holder), 0, sub

    async def _duplicate(self, uow: UnitOfWork, holder: SubmissionRow) -> NotEligible:
        """The refusal of a second trade with ``holder``'s live UTI, naming ``holder``."""
        ids = await uow.cleared.ccp_trade_ids_of(holder.id) if holder.stage is Stage.CLEARED else []
        return decide.duplicate_uti(holder, ids)

    async def _correction_uti_taken(self, uow: UnitOfWork, sub: Submission) -> NotEligible | None:
        """A correction keeps its trade's UTI; it may not take one live as another trade."""
        uti = sub.trade.identifiers.uti
        holder = None if uti is None else await uow.submissions.live_by_uti(uti)
        if decide.correction_may_take(sub, holder):
            return None
        assert holder is not None
        return await self._duplicate(uow, holder)

    async def _claim_uti(self, uow: UnitOfWork, row: SubmissionRow) -> None:
        """A stored correction holds its UTI once the versions it replaces are withdrawn; while an earlier
        version is novated it does not (the pass refuses it as a correction of a novated trade)."""
        uti = row.trade.identifiers.uti
        if uti is not None and await uow.submissions.live_by_uti(uti) is None:
            await uow.submissions.claim_uti(row.id, uti)

    async def _allege(
        self, uow: UnitOfWork, row: SubmissionRow, now: datetime, recipients: Sequence[Recipient]
    ) -> None:
        """A member's report, stored Received, is alleged to its counterparty: AwaitingAcceptance to every
        recipient (the counterparty's FIX sessions read it as TradeReportType Alleged)."""
        received = dataclasses.replace(row, last_sequence=1)
        await uow.statuses.record(
            received,
            ClearingStatusCode.AWAITING_ACCEPTANCE,
            now,
            recipients,
            business_date=row.business_date,
        )

    async def _affirm_by_report(self, uow: UnitOfWork, sub: Submission, holder: SubmissionRow) -> Stored:
        """The counterparty's own report of a trade alleged against it: the same trade (UTI and economics)
        affirms it with the counterparty's side as reported; a report that differs is refused, naming what."""
        assert sub.reporter_party is not None
        mismatch = decide.economics_mismatch(holder, sub.trade)
        if mismatch is not None:
            return mismatch, 0, sub
        if holder.stage is not Stage.ALLEGED:  # affirmed already (this report again): where it is now
            return await uow.statuses.latest(holder.id), 0, sub
        party = sub.reporter_party
        own = sub.trade.party(party)
        side_ids = [i.trade_id for i in sub.trade.identifiers.party_trade_ids if i.party_id == party]
        side_id = side_ids[0] if side_ids else sub.trade.identifiers.source_trade_id
        return await self._accept(uow, holder, party, own.account, side_id), 0, sub

    async def _accept(
        self,
        uow: UnitOfWork,
        holder: SubmissionRow,
        party: str,
        account: str | None,
        side_trade_id: str | None,
    ) -> StatusUpdate:
        """An alleged trade completed with its counterparty's side, due for the clearing pass now."""
        now = self.clock.now()
        trade = affirmation.with_side(holder.trade, party, account, side_trade_id)
        await uow.submissions.affirm(holder.id, trade, now)
        accepted = dataclasses.replace(holder, trade=trade, stage=Stage.RECEIVED)
        recipients = await self._recipients(uow, accepted)
        update = await uow.statuses.record(
            accepted,
            ClearingStatusCode.ACCEPTED,
            now,
            recipients,
            business_date=holder.business_date,
        )
        self._wake.set()
        return update

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        async with self._writing() as uow:
            subs = await uow.submissions.versions(source, source_trade_id)
            if not subs:
                raise NotEligible.of(
                    ReasonCode.FIX_UNKNOWN_TRADE,
                    "tradeId",
                    f"no trade {source_trade_id!r} submitted by {source!r}",
                )
            sub = await uow.submissions.get(subs[-1].id, lock=True)
            assert sub is not None
            if sub.stage is Stage.CLEARED:
                raise NotEligible.of(
                    ReasonCode.LIFE_ALREADY_NOVATED,
                    "tradeId",
                    f"trade {source_trade_id!r} version {sub.source_version} is already novated",
                )
            if sub.stage in TERMINAL:
                return await uow.statuses.latest(sub.id)
            await uow.submissions.set_stage(sub.id, Stage.WITHDRAWN, at)
            recipients = await self._recipients(uow, sub)
            return await uow.statuses.record(
                sub,
                ClearingStatusCode.WITHDRAWN,
                at,
                recipients,
                reasons=[Issue(ReasonCode.LIFE_RETRACTED, "requestClearingRetracted", reason or "withdrawn")],
            )

    async def affirm(self, affirmation: Affirmation) -> StatusUpdate:
        """The counterparty's answer to a trade alleged against it: accepted with its own side (the trade is
        then due for the clearing pass), or declined (refused, LIFE_DECLINED_BY_COUNTERPARTY). Only the
        member the trade is alleged against may answer (ELIG_NOT_COUNTERPARTY otherwise); an answer to a
        trade no longer alleged gets the trade's current status."""
        a = affirmation
        what = f"report {a.report_id!r}" if a.report_id else f"trade {a.trade_id!r}"
        path = "tradeReportRefId" if a.report_id else "tradeId"
        async with self._writing() as uow:
            me = await uow.accounts.member_by_party(a.party_id)
            named = await uow.submissions.reported_for_affirmation(report_id=a.report_id, trade_id=a.trade_id)
            if not named:
                raise NotEligible.of(ReasonCode.FIX_UNKNOWN_TRADE, path, f"no {what} was alleged")
            mine = [r for r in named if me is not None and r.affirm_member == me.member_id]
            if me is None or not mine:
                raise NotEligible.of(
                    ReasonCode.ELIG_NOT_COUNTERPARTY,
                    path,
                    f"{what} is not alleged against {a.party_id}: only its counterparty may accept or decline it",
                )
            live = [r for r in mine if r.stage not in (Stage.REJECTED, Stage.WITHDRAWN)]
            if len(live) > 1:
                raise NotEligible.of(
                    ReasonCode.FIX_INVALID_VALUE,
                    path,
                    f"{len(live)} trades alleged against {a.party_id} match {what}: name one by its report id",
                )
            row = await uow.submissions.get((live or mine)[0].id, lock=True)
            assert row is not None
            if row.stage is not Stage.ALLEGED:  # answered already, withdrawn, or refused: where it is now
                return await uow.statuses.latest(row.id)
            if not a.accept:
                reason = Issue(
                    ReasonCode.LIFE_DECLINED_BY_COUNTERPARTY,
                    "tradeReportType",
                    a.reason or f"declined by {a.comp_id}",
                )
                return await self._finish(uow, row, Stage.REJECTED, ClearingStatusCode.REJECTED, [reason])
            party = next(p.party_id for p in row.trade.parties if p.party_id in me.party_ids)
            return await self._accept(uow, row, party, a.account, a.side_trade_id)

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        """Pre-trade check of one member side; an approval reserves the incremental margin until released."""
        now = self.clock.now()
        async with self._writing(outbox=False) as uow:
            m = await uow.accounts.member(member)
            acct = None if m is None else m.account(account)
            if m is None or acct is None:
                issue = Issue(
                    ReasonCode.REF_UNKNOWN_MEMBER, "account", f"no account {account!r} of member {member!r}"
                )
                return CreditDecision(
                    False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
                )
            if not m.is_active:
                issue = Issue(ReasonCode.ELIG_MEMBER_SUSPENDED, "member", f"member {member} is suspended")
                return CreditDecision(
                    False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
                )
            member = m.member_id  # reservations are the member's, whichever id the channel knows it by
            held = await uow.accounts.reservation(member, order_id)
            if held is not None:
                return CreditDecision(True, member, account, held, held)
            party = next((p.party_id for p in trade.parties if p.party_id in m.party_ids), None)
            if party is None:
                issue = Issue(
                    ReasonCode.ELIG_UNKNOWN_PARTY, "parties", f"member {member} is not a party of the trade"
                )
                return CreditDecision(
                    False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
                )
            trade = self.products.normalise(trade)
            try:
                risk = await uow.accounts.risk(member, account, lock=True)
                impact = self._checker().margin_impact(
                    trade, party, acct.base_currency, risk.pnl_vector, now.date(), acct.account_type
                )
            except GatewayError as exc:
                return CreditDecision(
                    False, member, account, Decimal(0), Decimal(0), reasons=exc.issues, assessed=False
                )
            position = await self._credit_position(uow, m, account)
            decision = decide_credit(member, account, impact.incremental_margin, position)
            if decision.approved and impact.incremental_margin > 0:
                await uow.accounts.reserve(
                    member,
                    account,
                    order_id,
                    impact.incremental_margin,
                    self.hours.business_date(now),
                    now,
                )
            return decision

    async def release_credit(self, member: str, order_id: str) -> None:
        """Release an open pre-trade reservation; an order with none (unknown, refused, already released or
        registered) is an error the channel reports (FIX: OrderCancelReject)."""
        async with self._writing(outbox=False) as uow:
            m = await uow.accounts.member(member)
            if m is None or not await uow.accounts.release(m.member_id, order_id):
                raise GatewayError(
                    [
                        Issue(
                            ReasonCode.FIX_UNKNOWN_TRADE,
                            "order",
                            f"no open credit reservation for order {order_id!r}",
                        )
                    ]
                )

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
                channel, limit, trades=self._trades, cleared=self._cleared, exclude=exclude
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
        self._wake.set()

    async def run(
        self, stop: asyncio.Event, poll_seconds: float = 1.0, *, end_of_day_at_close: bool = False
    ) -> None:
        """Process due work until ``stop`` is set: on every wake-up and at least every ``poll_seconds``.

        With ``end_of_day_at_close`` the loop also runs ``end_of_day`` once each business day, at the
        first pass after the service closes (and again after a restart that evening; it is idempotent).
        """
        last_eod: date | None = None
        while not stop.is_set():
            self._wake.clear()  # before the pass: a submit during the pass wakes the next one at once
            try:
                await self.drain()
                if end_of_day_at_close:
                    last_eod = await self._end_of_day_if_closed(last_eod)
            except Exception:  # a database outage must not end the loop; it retries at the next tick
                log.exception("clearing.drain_failed")
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait(
                    {waiter, stopper}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiter.cancel()
                stopper.cancel()

    async def _end_of_day_if_closed(self, last: date | None) -> date | None:
        now = self.clock.now()
        today = now.astimezone(self.hours.tz).date()
        if today == last or not self.hours.is_business_day(today) or now < self.hours.close_of(today):
            return last
        report = await self.end_of_day(today, drain=False)
        if report.failures:
            log.error("clearing.eod_failures", business_date=str(today), failures=len(report.failures))
        return today

    async def drain(self, batch: int = 200) -> int:
        """Process every submission that is due now; returns how many were processed."""
        if self.credit is None:
            raise RuntimeError("no credit checker configured: this service can store and report, not clear")
        done = 0
        after = 0  # one pass: each submission is taken at most once, so a drain always ends
        async with self._lock:
            while True:
                now = self.clock.now()
                async with self.store.read(snapshot=False) as uow:
                    ids = await uow.submissions.due(
                        now, open_now=self.hours.is_open(now), limit=batch, after_id=after
                    )
                if not ids:
                    return done
                done += await self._process_batch(ids)
                if len(ids) < batch:  # that was all that was due; what arrived since wakes ``run`` again
                    return done
                after = ids[-1]

    async def end_of_day(self, business_date: date, *, drain: bool = True) -> EodReport:
        """Refuse every trade of ``business_date`` (or earlier) not registered, backloads excepted.

        With ``drain`` (the default) whatever is due is processed first, so a trade that can clear does.
        """
        if drain:
            await self.drain()
        refused: list[str] = []
        failures: list[tuple[str, str]] = []
        async with self._lock:
            async with self.store.read() as uow:
                ids = await uow.submissions.unregistered(business_date)
            for row_id in ids:
                try:
                    async with self._writing() as uow:
                        sub = await uow.submissions.get(row_id, lock=True)
                        if sub is None or sub.stage in TERMINAL or sub.backload:
                            continue
                        last = await uow.statuses.latest(row_id)
                        reasons = decide.end_of_day_reasons(sub, business_date, last.reasons)
                        await self._finish(uow, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, reasons)
                        refused.append(sub.ref)
                except Exception as exc:  # batch: report and carry on with the next trade
                    log.exception("clearing.eod_refusal_failed", submission_id=submission_ref(row_id))
                    failures.append((submission_ref(row_id), f"{type(exc).__name__}: {exc}"))
            async with self._writing() as uow:
                expired = await uow.accounts.expire_reservations(business_date)
                matured = await uow.cleared.mature(business_date)
            revaluation = (
                await self._revalue(business_date) if isinstance(self.credit, PortfolioValuer) else None
            )
        log.info(
            "clearing.eod", business_date=str(business_date), refused=len(refused), failures=len(failures)
        )
        return EodReport(business_date, tuple(refused), expired, tuple(failures), revaluation, matured)

    async def revalue(self, business_date: date) -> RevaluationReport:
        """Value every live cleared trade and rebuild each account's P&L vector and margin."""
        if not isinstance(self.credit, PortfolioValuer):
            raise RuntimeError("the configured margin model cannot revalue accounts")
        async with self._lock:
            return await self._revalue(business_date)

    async def _revalue(self, business_date: date) -> RevaluationReport:
        valuer = self.credit
        assert isinstance(valuer, PortfolioValuer)
        async with self.store.read() as uow:
            accounts = await uow.cleared.accounts(business_date)
        valued = 0
        failures: list[tuple[str, str]] = []
        for member_id, account_id in accounts:
            try:
                async with self._writing() as uow:
                    member = await uow.accounts.member(member_id)
                    account = None if member is None else member.account(account_id)
                    if account is None:
                        failures.append(
                            (f"{member_id}/{account_id}", "account no longer in the reference data")
                        )
                        continue
                    await uow.accounts.risk(member_id, account_id, lock=True)
                    rows = await uow.cleared.in_account(member_id, account_id, business_date)
                    result = valuer.revalue_account(
                        [(trade, party) for _, party, trade in rows],
                        account.base_currency,
                        account.account_type,
                        business_date,
                    )
                    npvs = [(ccp_id, npv) for (ccp_id, _, _), npv in zip(rows, result.npvs, strict=True)]
                    await uow.cleared.set_npvs(npvs)
                    state = RiskRow(result.margin, result.pnl_vector, len(rows))
                    await uow.accounts.put_risk(member_id, account_id, state, self.clock.now())
                    valued += sum(1 for v in result.npvs if v is not None)
                    failures += [
                        (rows[i][0], f"{issue.code}: {issue.message}") for i, issue in result.failures
                    ]
            except Exception as exc:  # batch: report the account and carry on
                log.exception("clearing.revalue_failed", member=member_id, account=account_id)
                failures.append((f"{member_id}/{account_id}", f"{type(exc).__name__}: {exc}"))
        return RevaluationReport(len(accounts), valued, tuple(failures))

    def _checker(self) -> CreditChecker:
        return self.policy().margin_model()

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

    # ------------------------------------------------------------ submit helpers

    async def _known(self, uow: UnitOfWork, sub: Submission) -> SubmissionRow | None:
        ids = sub.trade.identifiers
        return await uow.submissions.find_known(
            sub.source, sub.message_id, ids.source_trade_id, ids.source_version
        )

    async def _insert(
        self,
        uow: UnitOfWork,
        sub: Submission,
        now: datetime,
        found: tuple[dict[str, str], dict[str, list[str]]] | None = None,
    ) -> tuple[SubmissionRow | None, list[Recipient]]:
        """Insert a new submission (None when already known) and name who is owed its statuses.

        A member's own report (``reporter_party``) whose other side is another member is stored ALLEGED,
        naming that member as the one to affirm it."""
        if found is None:
            found = await uow.accounts.parties_and_comp_ids(p.party_id for p in decide.parties_of(sub))
        members, comp_ids = found
        a, b = (members.get(p.party_id) for p in sub.trade.parties)
        business_date = self.hours.business_date(sub.received_at)
        new = NewSubmission(sub, a, b, business_date, now, decide.affirm_member(sub, members))
        (row,) = await uow.submissions.insert([new])
        if row is None:
            return None, []
        return row, list(decide.recipients(row, comp_ids))

    async def _supersede_earlier(self, uow: UnitOfWork, row: SubmissionRow, now: datetime) -> None:
        """A correction withdraws the earlier versions still in progress (novated ones are left alone)."""
        earlier = await uow.submissions.versions(row.source, row.source_trade_id)
        for version in decide.superseded(row, earlier):
            locked = await uow.submissions.get(version.id, lock=True)
            assert locked is not None
            if locked.stage in TERMINAL:  # decided by a pass while this waited for its lock
                continue
            reason = decide.superseded_reason(row)
            await self._finish(uow, locked, Stage.WITHDRAWN, ClearingStatusCode.WITHDRAWN, [reason])

    async def _recipients(self, uow: UnitOfWork, sub: SubmissionRow) -> list[Recipient]:
        return list(decide.recipients(sub, await uow.accounts.comp_ids_by_member(sub.members)))

    async def _finish(
        self,
        uow: UnitOfWork,
        sub: SubmissionRow,
        stage: Stage,
        status: ClearingStatusCode,
        reasons: Sequence[Issue],
        **stage_kw: object,
    ) -> StatusUpdate:
        at = self.clock.now()
        await uow.submissions.set_stage(sub.id, stage, at, **stage_kw)  # type: ignore[arg-type]
        recipients = await self._recipients(uow, sub)
        business_date = stage_kw.get("business_date", sub.business_date)
        assert business_date is None or isinstance(business_date, date)
        return await uow.statuses.record(
            sub, status, at, recipients, reasons=reasons, business_date=business_date
        )

    # ------------------------------------------------------------ the pipeline

    async def _process_batch(self, ids: Sequence[int]) -> int:
        """Decide these submissions in one transaction; how many were processed (not left for the next pass).

        When the batch cannot be written (a database error, or a defect that escaped one trade's decision),
        nothing of it is: the transaction is rolled back whole and each submission is then taken alone, so
        one bad trade never holds up the others and a crash never leaves half a batch.
        """
        if len(ids) > 1:
            try:
                async with self._writing() as uow:
                    decided = await self._decide_batch(uow, ids)
            except Exception:
                log.warning("clearing.batch_retried_one_by_one", first=ids[0], size=len(ids), exc_info=True)
            else:
                self._decided(decided)
                return len(ids)
        done = 0
        for row_id in ids:
            if await self._process_safely(row_id):
                done += 1
        return done

    async def _process_safely(self, row_id: int) -> bool:
        """Process one submission; False when the database failed and it is left for the next pass."""
        try:
            async with self._writing() as uow:
                decided = await self._decide_batch(uow, [row_id])
            self._decided(decided)
            return True
        except DBAPIError as exc:
            # A lock timeout, a deadlock with another instance, a lost connection: nothing was written;
            # the submission stays due and is taken again at the next pass.
            log.warning(
                "clearing.process_deferred", submission_id=submission_ref(row_id), error=str(exc.orig)
            )
            return False
        except Exception as exc:
            log.exception("clearing.process_failed", submission_id=submission_ref(row_id))
            # Never leave a poison submission to loop: refuse it with an internal error the operator can see.
            async with self._writing() as uow:
                sub = await uow.submissions.get(row_id, lock=True)
                if sub is not None and sub.stage not in TERMINAL:
                    issue = Issue(ReasonCode.INTERNAL_ERROR, "trade", f"{type(exc).__name__}: {exc}")
                    await self._finish(uow, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, [issue])
            return True

    def _decided(self, batch: decide.Batch | None) -> None:
        """After a pass has committed: a line per decision, and the novations' cleared trades remembered."""
        if batch is None:
            return
        for n in batch.novated:
            _remember(self._cleared, n.row_id, n.cleared)
        for t in batch.transitions:
            _log_decision(t)

    async def _decide_batch(self, uow: UnitOfWork, ids: Sequence[int]) -> decide.Batch | None:
        """Decide every submission of ``ids`` in order, in memory, then write every outcome at once.

        Reads are one query per kind for the whole batch (the submissions, locked; the versions of their
        trades; members and CompIDs; the accounts' risk states, locked in one global order; collateral,
        margins and reservations), the new trades are priced in one kernel, and each trade is then decided
        in turn against the state the trades before it left (so two trades on one account compound, and a
        version decided earlier in the batch counts for a later one). A trade whose decision fails on a
        defect is refused with INTERNAL_ERROR; the others are unaffected.
        """
        rows = await uow.submissions.get_many(ids, lock=True, trades=self._trades)
        subs = [s for s in rows if s.stage not in TERMINAL]
        if not subs:
            return None
        now = self.clock.now()
        open_now = self.hours.is_open(now)
        policy = self.policy()
        checker = policy.margin_model()
        batch = decide.Batch(now=now, open_now=open_now)
        batch.members = await uow.accounts.members_by_party(
            {p.party_id for s in subs for p in s.trade.parties}
        )
        batch.versions = await uow.submissions.versions_of({(s.source, s.source_trade_id) for s in subs})
        batch.comp_ids = {m.member_id: list(m.comp_ids) for m in batch.members.values()}
        unknown = {m for s in subs for m in s.members} - batch.comp_ids.keys()
        if unknown:  # a member named at receipt whose party is no longer known
            batch.comp_ids |= await uow.accounts.comp_ids_by_member(unknown)

        # what may reach the credit check: its accounts are locked and read, its trade priced, up front
        plans: dict[int, decide.Plan | Exception] = {}
        for s in subs:
            try:
                plans[s.id] = decide.plan(policy, s, batch)
            except Exception as exc:  # refused with INTERNAL_ERROR in the loop below
                plans[s.id] = exc
        priced = [
            p for p in plans.values() if isinstance(p, decide.Plan) and decide.reaches_credit_check(p, batch)
        ]
        keys = {(d.member.member_id, d.account.account_id) for p in priced for d in p.sides or ()}
        stored = await uow.accounts.risk_many(keys, lock=True)
        batch.book = {k: stored.get(k, decide.NO_RISK) for k in keys}
        batch.figures = await uow.accounts.figures({m for m, _ in keys})
        if any(batch.members_by_id()[m].tolerance_limit > 0 for m, _ in keys):
            batch.pool = await uow.accounts.tolerance_pool()
        if isinstance(checker, BatchPricing) and priced:
            # On a worker thread: the kernel's numpy work releases the GIL, so intake and the publishers run
            # on the other core meanwhile. Only this pass (under ``_lock``) prepares.
            items = [(p.trade, d.account.account_type) for p in priced for d in p.sides or ()]
            await asyncio.to_thread(checker.prepare, items)

        for s in subs:
            try:
                plan = plans[s.id]
                if isinstance(plan, Exception):
                    raise plan
                decide.decide(policy, s, plan, batch)
            except Exception as exc:
                log.exception(
                    "clearing.process_failed",
                    submission_id=s.ref,
                    source=s.source,
                    trade_id=s.source_trade_id,
                )
                decide.internal_error(s, batch, exc)

        await uow.statuses.write(batch.transitions)
        await uow.cleared.insert(batch.cleared, batch.cleared_dates, now)
        await uow.accounts.put_risk_many({k: batch.book[k] for k in batch.touched}, stored.keys(), now)
        return batch

    async def _credit_position(self, uow: UnitOfWork, member: Member, account_id: str) -> CreditPosition:
        """The stored figures of one account (the pre-trade check)."""
        figures = (await uow.accounts.figures([member.member_id]))[member.member_id]
        pool = await uow.accounts.tolerance_pool() if member.tolerance_limit > 0 else Decimal(0)
        return decide.credit_position(self.policy(), member, account_id, figures, {}, pool)


Stored = tuple[StatusUpdate | GatewayError, int, Submission]
"""One submission as stored: its status (or the error refusing it at receipt), its new row id or 0, it."""


_REMEMBERED = 10_000  # trades per cache: about ten seconds of flow at 1,000 trades/s


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: OrderedDict[_K, _V], key: _K, value: _V) -> None:
    cache[key] = value
    while len(cache) > _REMEMBERED:
        cache.popitem(last=False)


def _log_decision(t: Transition) -> None:
    """One INFO line per decision the parties are told of: ``clearing.novated`` (with the CCP trade ids),
    ``clearing.rejected`` or ``clearing.pending``, with the submission id, the trade and the reason codes."""
    if t.status is None:  # a stage change nobody is told of (still queued)
        return
    sub = t.sub
    log.info(
        "clearing.novated" if t.ccp_trade_ids else f"clearing.{t.status.value.lower()}",
        submission_id=sub.ref,
        source=sub.source,
        trade_id=sub.source_trade_id,
        uti=sub.trade.identifiers.uti,
        members=list(sub.members),
        status=t.status.value,
        reasons=[str(i.code) for i in t.reasons],
        ccp_trade_ids=list(t.ccp_trade_ids),
    )


if TYPE_CHECKING:  # mypy checks that the service honours both contracts

    def _contracts(service: ClearingService) -> tuple[ClearingPort, Outbox]:
        return service, service


async def _member(uow: UnitOfWork, member: str) -> Member | None:
    """The member a channel names: by member id, else by one of its party ids (FIX sessions know the LEI)."""
    found = await uow.accounts.member(member)
    return found if found is not None else await uow.accounts.member_by_party(member)


async def _release_orders(uow: UnitOfWork, stored: Sequence[Stored]) -> None:
    """A trade stored for clearing takes the place of the pre-trade checks of the orders it was executed
    from: their reservations go (in the same transaction), so the trade's own credit check does not count
    its margin twice. A repeat (row id 0) releases nothing again."""
    for _update, row_id, sub in stored:
        if not row_id:
            continue
        for member, order_id in sub.orders:
            m = await uow.accounts.member(member)
            if m is not None:
                await uow.accounts.release(m.member_id, order_id)
