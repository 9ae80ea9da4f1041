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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.clearing.credit import CreditChecker, CreditPosition, decide, effective_tolerance
from gateway.clearing.novation import novate, position_terms
from gateway.clearing.ports import (
    ClearingPort,
    CreditDecision,
    DeliveryChannel,
    Outbox,
    OutboxItem,
    Position,
    RecipientRole,
    StatusUpdate,
    Submission,
)
from gateway.clearing.revaluation import PortfolioValuer, RevaluationReport
from gateway.clock import Clock, SystemClock
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, InputRejected, Issue, NotEligible
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member
from gateway.rules.eligibility import Side, resolve_sides, validate_dates
from gateway.rules.hours import ServiceHours
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings, ShortfallAction
from gateway.store import clearing_repo as repo
from gateway.store import refdata_repo as ref
from gateway.store.clearing_repo import Recipient, Stage, SubmissionRow
from gateway.store.engine import reading

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


@dataclass(slots=True)
class _RiskBook:
    """Risk states read or updated during one transaction, so two sides in one account compound."""

    states: dict[tuple[str, str], ref.RiskRow] = field(default_factory=dict)


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
    ) -> None:
        self.engine = engine
        self.credit = credit
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or ClearingSettings.load()
        self.products = products or ProductTable.load()
        self.fx = fx or FxRates.load()
        self.hours = hours or ServiceHours(self.settings.service_hours, self.settings.backload)
        self.ccp = Party(self.settings.ccp.party_id, name=self.settings.ccp.name)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------ ClearingPort

    async def submit(self, submission: Submission) -> StatusUpdate:
        """Store the submission and its Received status; a known message or trade version gets its last status."""
        too_long = repo.oversized(submission)
        if too_long:
            raise InputRejected(too_long)
        for attempt in (1, 2):
            try:
                async with self.engine.begin() as conn:
                    known = await self._known(conn, submission)
                    if known is not None:
                        return await repo.latest_update(conn, known.id)
                    update = await self._store(conn, submission)
                self._wake.set()
                return update
            except IntegrityError:
                if attempt == 2:
                    raise
                # A concurrent submit of the same message won the insert: answer with its outcome.
        raise AssertionError("unreachable")

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        async with self.engine.begin() as conn:
            subs = await repo.versions(conn, source, source_trade_id)
            if not subs:
                raise NotEligible.of(
                    ReasonCode.FIX_UNKNOWN_TRADE,
                    "tradeId",
                    f"no trade {source_trade_id!r} submitted by {source!r}",
                )
            sub = await repo.get(conn, subs[-1].id, lock=True)
            assert sub is not None
            if sub.stage is Stage.CLEARED:
                raise NotEligible.of(
                    ReasonCode.LIFE_ALREADY_NOVATED,
                    "tradeId",
                    f"trade {source_trade_id!r} version {sub.source_version} is already novated",
                )
            if sub.stage in repo.TERMINAL:
                return await repo.latest_update(conn, sub.id)
            await repo.set_stage(conn, sub.id, Stage.WITHDRAWN, at)
            recipients = await self._recipients(conn, sub)
            return await repo.record(
                conn,
                sub,
                ClearingStatusCode.WITHDRAWN,
                at,
                recipients,
                reasons=[Issue(ReasonCode.LIFE_RETRACTED, "requestClearingRetracted", reason or "withdrawn")],
            )

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        """Pre-trade check of one member side; an approval reserves the incremental margin until released."""
        now = self.clock.now()
        async with self.engine.begin() as conn:
            m = await ref.get_member(conn, member)
            acct = None if m is None else m.account(account)
            if m is None or acct is None:
                issue = Issue(
                    ReasonCode.REF_UNKNOWN_MEMBER, "account", f"no account {account!r} of member {member!r}"
                )
                return CreditDecision(False, member, account, Decimal(0), Decimal(0), reasons=(issue,))
            if not m.is_active:
                issue = Issue(ReasonCode.ELIG_MEMBER_SUSPENDED, "member", f"member {member} is suspended")
                return CreditDecision(False, member, account, Decimal(0), Decimal(0), reasons=(issue,))
            held = await ref.get_reservation(conn, member, order_id)
            if held is not None:
                return CreditDecision(True, member, account, held, held)
            party = next((p.party_id for p in trade.parties if p.party_id in m.party_ids), None)
            if party is None:
                issue = Issue(
                    ReasonCode.ELIG_UNKNOWN_PARTY, "parties", f"member {member} is not a party of the trade"
                )
                return CreditDecision(False, member, account, Decimal(0), Decimal(0), reasons=(issue,))
            trade = self.products.normalise(trade)
            try:
                risk = await ref.get_risk(conn, member, account, lock=True)
                impact = self._checker().margin_impact(
                    trade, party, acct.base_currency, risk.pnl_vector, now.date(), acct.account_type
                )
            except GatewayError as exc:
                return CreditDecision(False, member, account, Decimal(0), Decimal(0), reasons=exc.issues)
            position = await self._credit_position(conn, m, account, {})
            decision = decide(member, account, impact.incremental_margin, position)
            if decision.approved and impact.incremental_margin > 0:
                await ref.add_reservation(
                    conn,
                    member,
                    account,
                    order_id,
                    impact.incremental_margin,
                    self.hours.business_date(now),
                    now,
                )
            return decision

    async def release_credit(self, member: str, order_id: str) -> None:
        async with self.engine.begin() as conn:
            await ref.release_reservation(conn, member, order_id)

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        async with reading(self.engine) as conn:
            return await repo.positions(conn, member, account, business_date)

    # ------------------------------------------------------------ Outbox

    async def pending(self, channel: DeliveryChannel, limit: int) -> Sequence[OutboxItem]:
        async with reading(self.engine) as conn:
            return await repo.pending(conn, channel, limit)

    async def mark_delivered(self, ids: Sequence[int]) -> None:
        async with self.engine.begin() as conn:
            await repo.mark_delivered(conn, ids, self.clock.now())

    # ------------------------------------------------------------ reading

    async def history(self, submission_id: str) -> list[StatusUpdate]:
        """Every status of a submission, in order."""
        row_id = repo.parse_submission_ref(submission_id)
        if row_id is None:
            raise InputRejected.of(
                ReasonCode.REF_INVALID_INPUT, "submission_id", f"not a submission id: {submission_id!r}"
            )
        async with reading(self.engine) as conn:
            return await repo.history(conn, row_id)

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
                async with reading(self.engine) as conn:
                    ids = await repo.due(
                        conn, now, open_now=self.hours.is_open(now), limit=batch, after_id=after
                    )
                if not ids:
                    return done
                for row_id in ids:
                    if await self._process_safely(row_id):
                        done += 1
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
            async with reading(self.engine) as conn:
                ids = await repo.unregistered(conn, business_date)
            for row_id in ids:
                try:
                    async with self.engine.begin() as conn:
                        sub = await repo.get(conn, row_id, lock=True)
                        if sub is None or sub.stage in repo.TERMINAL or sub.backload:
                            continue
                        last = await repo.latest_update(conn, row_id)
                        reasons = [
                            Issue(
                                ReasonCode.LIFE_NOT_REGISTERED_BY_EOD,
                                "businessDate",
                                f"not registered by the end of {business_date}; resubmit",
                            ),
                            *last.reasons,
                        ]
                        await self._finish(conn, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, reasons)
                        refused.append(sub.ref)
                except Exception as exc:  # batch: report and carry on with the next trade
                    log.exception("clearing.eod_refusal_failed", submission=row_id)
                    failures.append((repo.submission_ref(row_id), f"{type(exc).__name__}: {exc}"))
            async with self.engine.begin() as conn:
                expired = await ref.expire_reservations(conn, business_date)
                matured = await repo.mature(conn, business_date)
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
        async with reading(self.engine) as conn:
            accounts = await repo.cleared_accounts(conn, business_date)
        valued = 0
        failures: list[tuple[str, str]] = []
        for member_id, account_id in accounts:
            try:
                async with self.engine.begin() as conn:
                    member = await ref.get_member(conn, member_id)
                    account = None if member is None else member.account(account_id)
                    if account is None:
                        failures.append(
                            (f"{member_id}/{account_id}", "account no longer in the reference data")
                        )
                        continue
                    await ref.get_risk(conn, member_id, account_id, lock=True)
                    rows = await repo.cleared_in_account(conn, member_id, account_id, business_date)
                    result = valuer.revalue_account(
                        [(trade, party) for _, party, trade in rows],
                        account.base_currency,
                        account.account_type,
                        business_date,
                    )
                    npvs = [(ccp_id, npv) for (ccp_id, _, _), npv in zip(rows, result.npvs, strict=True)]
                    await repo.set_npvs(conn, npvs)
                    state = ref.RiskRow(result.margin, result.pnl_vector, len(rows))
                    await ref.put_risk(conn, member_id, account_id, state, self.clock.now())
                    valued += sum(1 for v in result.npvs if v is not None)
                    failures += [
                        (rows[i][0], f"{issue.code}: {issue.message}") for i, issue in result.failures
                    ]
            except Exception as exc:  # batch: report the account and carry on
                log.exception("clearing.revalue_failed", member=member_id, account=account_id)
                failures.append((f"{member_id}/{account_id}", f"{type(exc).__name__}: {exc}"))
        return RevaluationReport(len(accounts), valued, tuple(failures))

    def _checker(self) -> CreditChecker:
        if self.credit is None:
            raise RuntimeError("no credit checker configured: this service can store and report, not clear")
        return self.credit

    # ------------------------------------------------------------ submit helpers

    async def _known(self, conn: AsyncConnection, sub: Submission) -> SubmissionRow | None:
        ids = sub.trade.identifiers
        return await repo.find_known(
            conn, sub.source, sub.message_id, ids.source_trade_id, ids.source_version
        )

    async def _store(self, conn: AsyncConnection, sub: Submission) -> StatusUpdate:
        now = self.clock.now()
        members = await ref.member_ids_by_party(conn, (p.party_id for p in sub.trade.parties))
        a, b = (members.get(p.party_id) for p in sub.trade.parties)
        row = await repo.insert(
            conn, sub, member_a=a, member_b=b, business_date=self.hours.business_date(sub.received_at), at=now
        )
        if sub.is_correction:
            await self._supersede_earlier(conn, row, now)
        recipients = await self._recipients(conn, row)
        return await repo.record(
            conn, row, ClearingStatusCode.RECEIVED, now, recipients, business_date=row.business_date
        )

    async def _supersede_earlier(self, conn: AsyncConnection, row: SubmissionRow, now: datetime) -> None:
        """A correction withdraws the earlier versions still in progress (novated ones are left alone)."""
        for earlier in await repo.versions(conn, row.source, row.source_trade_id):
            if (
                earlier.id == row.id
                or earlier.source_version >= row.source_version
                or earlier.stage in repo.TERMINAL
            ):
                continue
            locked = await repo.get(conn, earlier.id, lock=True)
            assert locked is not None
            reason = Issue(
                ReasonCode.LIFE_SUPERSEDED,
                "tradeHeader.version",
                f"replaced by corrected version {row.source_version} ({row.ref})",
            )
            await self._finish(conn, locked, Stage.WITHDRAWN, ClearingStatusCode.WITHDRAWN, [reason])

    async def _recipients(self, conn: AsyncConnection, sub: SubmissionRow) -> list[Recipient]:
        out = [Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, sub.source)]
        for member_id in sub.members:
            out.append(Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, member_id))
        for comp in await ref.comp_ids_of(conn, sub.members):
            out.append(Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, comp))
        return out

    async def _finish(
        self,
        conn: AsyncConnection,
        sub: SubmissionRow,
        stage: Stage,
        status: ClearingStatusCode,
        reasons: Sequence[Issue],
        **stage_kw: object,
    ) -> StatusUpdate:
        at = self.clock.now()
        await repo.set_stage(conn, sub.id, stage, at, **stage_kw)  # type: ignore[arg-type]
        recipients = await self._recipients(conn, sub)
        business_date = stage_kw.get("business_date", sub.business_date)
        assert business_date is None or isinstance(business_date, date)
        return await repo.record(
            conn, sub, status, at, recipients, reasons=reasons, business_date=business_date
        )

    # ------------------------------------------------------------ the pipeline

    async def _process_safely(self, row_id: int) -> bool:
        """Process one submission; False when the database failed and it is left for the next pass."""
        try:
            async with self.engine.begin() as conn:
                await self._process(conn, row_id)
            return True
        except DBAPIError as exc:
            # A lock timeout, a deadlock with another instance, a lost connection: nothing was written;
            # the submission stays due and is taken again at the next pass.
            log.warning("clearing.process_deferred", submission=row_id, error=str(exc.orig))
            return False
        except Exception as exc:
            log.exception("clearing.process_failed", submission=row_id)
            # Never leave a poison submission to loop: refuse it with an internal error the operator can see.
            async with self.engine.begin() as conn:
                sub = await repo.get(conn, row_id, lock=True)
                if sub is not None and sub.stage not in repo.TERMINAL:
                    issue = Issue(ReasonCode.INTERNAL_ERROR, "trade", f"{type(exc).__name__}: {exc}")
                    await self._finish(conn, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, [issue])
            return True

    async def _process(self, conn: AsyncConnection, row_id: int) -> None:
        sub = await repo.get(conn, row_id, lock=True)
        if sub is None or sub.stage in repo.TERMINAL:
            return
        now = self.clock.now()
        timing = self.hours.timing(sub.received_at, sub.trade.trade_date)

        # validate: business rules the intake schema cannot check
        issues = validate_dates(
            sub.trade,
            timing.business_date if not timing.backload else self.hours.business_date(sub.received_at),
        )
        # normalise: one spelling per index
        trade = self.products.normalise(sub.trade)
        # eligibility: scope, versions, parties and accounts
        issues += self.products.check(trade)
        issues += await self._version_issues(conn, sub)
        members = await ref.members_by_party(conn, (p.party_id for p in trade.parties))
        sides, party_issues = resolve_sides(trade, members)
        issues += party_issues
        if issues or sides is None:
            await self._finish(conn, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, issues)
            return

        # timing: outside service hours -> queued to the open; old trade date -> backload queue
        if timing.due_at > now:
            stage = Stage.QUEUED_BACKLOAD if timing.backload else Stage.QUEUED_HOURS
            if sub.stage is not stage:
                reason = (
                    Issue(
                        ReasonCode.LIFE_BACKLOAD_QUEUED,
                        "tradeHeader.tradeDate",
                        f"trade date {trade.trade_date} is more than "
                        f"{self.settings.backload.stale_after_business_days} business days old: "
                        f"backloading on {timing.business_date}",
                    )
                    if timing.backload
                    else Issue(
                        ReasonCode.ELIG_OUTSIDE_SERVICE_HOURS,
                        "receivedAt",
                        f"received outside service hours; queued for the open at {timing.due_at.isoformat()}",
                    )
                )
                await self._finish(
                    conn,
                    sub,
                    stage,
                    ClearingStatusCode.PENDING,
                    [reason],
                    due_at=timing.due_at,
                    business_date=timing.business_date,
                    backload=timing.backload,
                )
            return
        if not self.hours.is_open(now):
            return  # due, but the window closed before it was reached: picked up at the next open

        business_date = self.hours.business_date(now)
        if sub.backload:
            business_date = max(business_date, sub.business_date or business_date)

        # risk: incremental margin per member side, sub-block venue trades excepted
        book = _RiskBook()
        for side in sorted(sides, key=lambda x: (x.member.member_id, x.account.account_id)):
            await self._risk(conn, book, side)  # lock both accounts' risk rows in one global order
        impacts = []
        refusals: list[Issue] = []
        shortfalls: list[Issue] = []
        for side in sides:
            try:
                before = await self._risk(conn, book, side)
                impact = self._checker().margin_impact(
                    trade,
                    side.party_id,
                    side.account.base_currency,
                    before.pnl_vector,
                    business_date,
                    side.account.account_type,
                )
            except GatewayError as exc:
                refusals += exc.issues
                continue
            impacts.append((side, before, impact))
            if not trade.sub_block:
                position = await self._credit_position(
                    conn, side.member, side.account.account_id, book.states
                )
                decision = decide(
                    side.member.member_id, side.account.account_id, impact.incremental_margin, position
                )
                if not decision.approved:
                    shortfalls += decision.reasons
            book.states[(side.member.member_id, side.account.account_id)] = ref.RiskRow(
                impact.margin_after, impact.pnl_after, before.trade_count + 1
            )
        if refusals:
            await self._finish(conn, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, refusals)
            return
        if shortfalls:
            if self.settings.credit.on_shortfall is ShortfallAction.REFUSE:
                await self._finish(conn, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, shortfalls)
            elif sub.stage is Stage.PENDING_COLLATERAL:
                await repo.set_stage(conn, sub.id, Stage.PENDING_COLLATERAL, now)  # still short: wait on
            else:
                await self._finish(
                    conn,
                    sub,
                    Stage.PENDING_COLLATERAL,
                    ClearingStatusCode.PENDING,
                    shortfalls,
                    business_date=business_date,
                )
            return

        # novate, then persist the cleared trades, the accounts' risk state, the status and the outbox at once
        ids = (
            f"{self.settings.ccp.trade_id_prefix}-{business_date:%Y%m%d}-{sub.id:08d}-1",
            f"{self.settings.ccp.trade_id_prefix}-{business_date:%Y%m%d}-{sub.id:08d}-2",
        )
        cleared = novate(trade, self.ccp, ids)
        rows = []
        for (side, _before, _impact), ccp_id, cleared_trade in zip(impacts, ids, cleared, strict=True):
            terms = position_terms(cleared_trade, side.party_id)
            rows.append(
                repo.ClearedRow(
                    ccp_trade_id=ccp_id,
                    member_id=side.member.member_id,
                    account_id=side.account.account_id,
                    party_id=side.party_id,
                    trade=cleared_trade,
                    uti=cleared_trade.identifiers.uti,
                    product=trade.product.value,
                    currency=terms.currency,
                    notional=terms.notional,
                    direction=terms.direction,
                    fixed_rate=terms.fixed_rate,
                    floating_index=terms.floating_index,
                    index_tenor=terms.index_tenor,
                    spread=terms.spread,
                    effective_date=terms.effective_date,
                    maturity_date=terms.maturity_date,
                )
            )
        await repo.insert_cleared(conn, sub.id, rows, business_date, now)
        for (member_id, account_id), state in book.states.items():
            await ref.put_risk(conn, member_id, account_id, state, now)
        await repo.set_stage(conn, sub.id, Stage.CLEARED, now, business_date=business_date)
        recipients = await self._recipients(conn, sub)
        await repo.record(
            conn,
            sub,
            ClearingStatusCode.CLEARED,
            now,
            recipients,
            ccp_trade_ids=ids,
            business_date=business_date,
            cleared=cleared,
        )
        log.info("clearing.novated", submission=sub.ref, ccp_trade_ids=list(ids))

    async def _version_issues(self, conn: AsyncConnection, sub: SubmissionRow) -> list[Issue]:
        issues = []
        for other in await repo.versions(conn, sub.source, sub.source_trade_id):
            if other.id == sub.id or other.stage in (Stage.REJECTED, Stage.WITHDRAWN):
                continue
            if other.source_version > sub.source_version:
                issues.append(
                    Issue(
                        ReasonCode.ELIG_STALE_VERSION,
                        "tradeHeader.version",
                        f"version {other.source_version} of {sub.source_trade_id} is already submitted ({other.ref})",
                    )
                )
            elif other.stage is Stage.CLEARED:
                issues.append(
                    Issue(
                        ReasonCode.LIFE_ALREADY_NOVATED,
                        "tradeHeader.version",
                        f"version {other.source_version} of {sub.source_trade_id} is already novated ({other.ref})",
                    )
                )
            else:
                issues.append(
                    Issue(
                        ReasonCode.ELIG_DUPLICATE,
                        "tradeHeader.tradeId",
                        f"version {other.source_version} of {sub.source_trade_id} is in progress ({other.ref}); "
                        "send a correction to replace it",
                    )
                )
        return issues

    async def _risk(self, conn: AsyncConnection, book: _RiskBook, side: Side) -> ref.RiskRow:
        key = (side.member.member_id, side.account.account_id)
        if key not in book.states:
            book.states[key] = await ref.get_risk(conn, *key, lock=True)
        return book.states[key]

    async def _credit_position(
        self,
        conn: AsyncConnection,
        member: Member,
        account_id: str,
        overrides: dict[tuple[str, str], ref.RiskRow],
    ) -> CreditPosition:
        """The figures of one account and of its member's tolerance, in the account's base currency."""
        values: dict[str, Decimal] = {}
        margins: dict[str, Decimal] = {}
        reserves: dict[str, Decimal] = {}
        stored = await ref.member_margins(conn, member.member_id)
        held = await ref.holdings_by_account(conn, member.member_id)
        reserved = await ref.reserved_by_account(conn, member.member_id)
        target = member.account(account_id)
        assert target is not None
        for acct in member.accounts:
            a, base, to = acct.account_id, acct.base_currency, target.base_currency
            values[a] = self.fx.convert(self.fx.value(held.get(a, []), base), base, to)
            override = overrides.get((member.member_id, a))
            margin = override.margin if override is not None else stored.get(a, Decimal(0))
            margins[a] = self.fx.convert(margin, base, to)
            reserves[a] = self.fx.convert(reserved.get(a, Decimal(0)), base, to)
        # tolerance in use: the member's requirement that its collateral does not cover, over all accounts
        used = sum((max(margins[a] + reserves[a] - values[a], Decimal(0)) for a in values), Decimal(0))
        limit = Decimal(0)
        if member.tolerance_limit > 0:
            pool = await ref.tolerance_pool(conn)
            limit = self.fx.convert(
                effective_tolerance(member.tolerance_limit, pool, self.settings.credit.tolerance_pool_cap),
                member.base_currency,
                target.base_currency,
            )
        return CreditPosition(values[account_id], margins[account_id], reserves[account_id], limit, used)


if TYPE_CHECKING:  # mypy checks that the service honours both contracts

    def _contracts(service: ClearingService) -> tuple[ClearingPort, Outbox]:
        return service, service
