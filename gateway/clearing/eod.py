"""End of day: trades not registered by the close are refused (and lifecycle events proposed over FIX
and never accepted), reservations expire, trades mature, every account is revalued (when the margin model
can value accounts) with each trade's NPV kept by business date, the cash flows settling up to the next
business day are written (``cash_flow_step``), then the day's variation margin (coupons paid that day
counted), price alignment interest (``margin_cycle``), the margin calls (``calls``, ``call_steps``) and
last the members' reports of the day (``DayReports``, written by ``gateway.reports``).

The steps run in order under the store's end-of-day lock, each recorded in ``eod_runs`` as it starts and
finishes; each is idempotent, so a run that died part-way is taken up again (``resume``) or run again whole
to the same result. The service runs it at the close (``EodTimer``); ``clearing-gateway eod`` on demand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from gateway.clearing import call_steps, decide, event_proposals, receipt, waiting_events
from gateway.clearing.cash_flow_step import write_cash_flows
from gateway.clearing.cash_flows import FlowKind
from gateway.clearing.eod_ports import FINISHED, StepState
from gateway.clearing.eod_revalue import revalue_book
from gateway.clearing.margin_cycle import (
    OvernightRatesSource,
    accrual_days,
    price_alignment_interest,
    variation_margin,
    with_payments,
)
from gateway.clearing.revaluation import PortfolioValuer, RevaluationReport
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError
from gateway.domain.workflow import (
    TERMINAL,
    Stage,
    submission_ref,
)

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)

STEPS = ("refuse", "mature", "revalue", "cashflows", "vm", "pai", "calls", "reports")


@dataclass(frozen=True, slots=True)
class EodReport:
    """What end of day did: trades refused for not being registered, and any that could not be handled."""

    business_date: date
    refused: tuple[str, ...]  # submission ids, then ``event <id>`` for a lifecycle event still short
    reservations_expired: int
    failures: tuple[tuple[str, str], ...] = ()  # (submission id, error)
    revaluation: RevaluationReport | None = None  # None when the margin model cannot value accounts
    matured: int = 0  # cleared trades that reached their maturity date
    steps: tuple[tuple[str, str], ...] = ()  # (step, state) as this run left each step it ran
    vm_trades: int = 0  # trade sides with a VM of the day
    unvalued: tuple[str, ...] = ()  # live trades without an NPV of the day: no VM for them
    pai_accounts: int = 0  # (member, account, currency) with a PAI of the day
    calls_issued: int = 0  # margin calls newly issued by this run (gateway/clearing/calls.py)
    failed: tuple[str, str] | None = None  # (step, why) when a step refused: the run stopped there
    busy: bool = False  # another process holds the day's lock: nothing was run
    proposals_refused: tuple[str, ...] = ()  # lifecycle events proposed over FIX and never answered
    cash_flows: int = 0  # payments settling up to the next business day, written by member side
    reported: int = 0  # members whose reports of the day were written


@dataclass(slots=True)
class _Run:
    """What the steps of one run find, gathered into its report."""

    business_date: date
    refused: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    expired: int = 0
    matured: int = 0
    revaluation: RevaluationReport | None = None
    vm_trades: int = 0
    unvalued: tuple[str, ...] = ()
    pai_accounts: int = 0
    proposals_refused: list[str] = field(default_factory=list)
    calls_issued: int = 0
    cash_flows: int = 0
    reported: int = 0


Step = Callable[["ClearingContext", _Run], Awaitable[tuple[StepState, str | None]]]


async def end_of_day(
    svc: ClearingContext,
    business_date: date,
    *,
    drain: bool = True,
    resume: bool = False,
    steps: Mapping[str, Step] | None = None,
) -> EodReport:
    """Run the end of day of ``business_date`` (trades of that day or earlier not registered are refused,
    backloads excepted).

    ``drain`` (the default): whatever is due is processed first, so a trade that can clear does.
    ``resume``: the steps ``eod_runs`` shows finished are left as they are (the service's run after a
    restart); otherwise every step runs again. ``steps``: the step functions by name (tests replace one).
    """
    chosen = dict(STEP_FUNCTIONS if steps is None else steps)
    async with svc.store.eod_lock(business_date) as held:
        if not held:
            return EodReport(business_date, (), 0, busy=True)
        if drain:
            await svc.drain()
        run = _Run(business_date)
        ran: list[tuple[str, str]] = []
        failed: tuple[str, str] | None = None
        async with svc.pass_lock:
            async with svc.store.read() as uow:
                known = {s.step: s.state for s in await uow.eod.steps(business_date)}
            for name in STEPS:
                if resume and known.get(name) in FINISHED:
                    continue
                async with svc.writing(outbox=False) as uow:
                    await uow.eod.start_step(business_date, name, svc.eod_owner, svc.clock.now())
                try:
                    state, detail = await chosen[name](svc, run)
                except GatewayError as exc:  # refused with a reason (a missing fixing): stop here
                    state, detail = StepState.FAILED, str(exc)
                async with svc.writing(outbox=False) as uow:
                    await uow.eod.finish_step(business_date, name, state, svc.clock.now(), detail)
                ran.append((name, state.value))
                if state is StepState.FAILED:
                    failed = (name, detail or "")
                    log.error(
                        "clearing.eod_step_failed", business_date=str(business_date), step=name, why=detail
                    )
                    break
    log.info(
        "clearing.eod",
        business_date=str(business_date),
        refused=len(run.refused),
        failures=len(run.failures),
        steps=len(ran),
    )
    return EodReport(
        business_date,
        tuple(run.refused),
        run.expired,
        tuple(run.failures),
        run.revaluation,
        run.matured,
        tuple(ran),
        run.vm_trades,
        run.unvalued,
        run.pai_accounts,
        run.calls_issued,
        failed,
        proposals_refused=tuple(run.proposals_refused),
        cash_flows=run.cash_flows,
        reported=run.reported,
    )


class EodTimer:
    """Runs end of day once per business date, at the first tick after the close (``ClearingService.run``).

    Another process holding the day's lock: tried again at the next tick (that run finished, this one finds
    every step done). A step refused (a missing fixing): tried again after ``retry_after``. At its first
    ticks, a run of the previous business day left unfinished is resumed first.
    """

    def __init__(self, retry_after: timedelta = timedelta(minutes=1)) -> None:
        self.finished: date | None = None
        self.retry_after = retry_after
        self._next_try: datetime | None = None
        self._earlier_checked = False

    async def tick(self, svc: ClearingContext) -> EodReport | None:
        now = svc.clock.now()
        today = now.astimezone(svc.hours.tz).date()
        if self._next_try is not None and now < self._next_try:
            return None
        if not self._earlier_checked:
            earlier = await self._resume_earlier(svc, today)
            if earlier is not None:
                if earlier.failed is not None:
                    self._next_try = now + self.retry_after
                return earlier
        if today == self.finished or not svc.hours.is_business_day(today) or now < svc.hours.close_of(today):
            return None
        report = await end_of_day(svc, today, drain=False, resume=True)
        if report.busy:
            return report
        if report.failed is not None:
            self._next_try = now + self.retry_after
            return report
        if report.failures:
            log.error("clearing.eod_failures", business_date=str(today), failures=len(report.failures))
        self.finished, self._next_try = today, None
        return report

    async def _resume_earlier(self, svc: ClearingContext, today: date) -> EodReport | None:
        """The previous business day's run, if one was started and not finished (the process died that
        evening and starts again the next day): resumed before anything else."""
        earlier = _previous_business_day(svc, today)
        async with svc.store.read() as uow:
            steps = await uow.eod.steps(earlier)
        finished = {s.step for s in steps if s.state in FINISHED}
        if not steps or finished >= set(STEPS):
            self._earlier_checked = True
            return None
        report = await end_of_day(svc, earlier, drain=False, resume=True)
        if not report.busy and report.failed is None:
            self._earlier_checked = True
        return report


# ---------------------------------------------------------------- the steps


async def _refuse(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    business_date = run.business_date
    async with svc.store.read() as uow:
        ids = await uow.submissions.unregistered(business_date)
    for row_id in ids:
        try:
            async with svc.writing() as uow:
                sub = await uow.submissions.get(row_id, lock=True)
                if sub is None or sub.stage in TERMINAL or sub.backload:
                    continue
                last = await uow.statuses.latest(row_id)
                reasons = decide.end_of_day_reasons(sub, business_date, last.reasons)
                await receipt.finish(svc, uow, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, reasons)
                run.refused.append(sub.ref)
        except Exception as exc:  # batch: report and carry on with the next trade
            log.exception("clearing.eod_refusal_failed", submission_id=submission_ref(row_id))
            run.failures.append((submission_ref(row_id), f"{type(exc).__name__}: {exc}"))
    events_refused, events_failed = await waiting_events.refuse_at_end_of_day(svc, business_date)
    run.refused += events_refused
    run.failures += events_failed
    run.proposals_refused = await event_proposals.expire(svc, business_date)
    async with svc.writing() as uow:
        run.expired = await uow.accounts.expire_reservations(business_date)
    detail = None if not run.failures else f"{len(run.failures)} submissions could not be refused"
    return StepState.DONE, detail


async def _mature(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    async with svc.writing() as uow:
        run.matured = await uow.cleared.mature(run.business_date)
    return StepState.DONE, None


_NO_VALUER = "the margin model cannot value accounts"


async def _revalue_step(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    if not isinstance(svc.credit, PortfolioValuer):
        return StepState.SKIPPED, _NO_VALUER
    run.revaluation = await _revalue(svc, run.business_date)
    failures = run.revaluation.failures
    return StepState.DONE, None if not failures else f"{len(failures)} trades or accounts not valued"


async def _cash_flows(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    d = run.business_date
    window = (svc.hours.close_of(_previous_business_day(svc, d)), svc.hours.close_of(d))
    done = await write_cash_flows(svc, d, _next_business_day(svc, d), window)
    run.cash_flows = done.flows
    run.failures += done.failures
    return StepState.DONE, None if not done.failures else f"{len(done.failures)} trades not resolved"


async def _vm(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    if not isinstance(svc.credit, PortfolioValuer):
        return StepState.SKIPPED, _NO_VALUER
    d = run.business_date
    previous = _previous_business_day(svc, d)
    async with svc.writing(outbox=False) as uow:
        days = await uow.eod.vm_inputs(d)
        fees = await uow.eod.fees(svc.hours.close_of(previous), svc.hours.close_of(d))
        # coupons, FRA settlements and exchanges paid since the last business day: today's NPV no longer
        # holds them (fees are counted from their events above)
        paid = [f for f in await uow.cashflows.flows(previous, d) if f.kind is not FlowKind.FEE]
        result = variation_margin(with_payments(days, [*fees, *paid]))
        await uow.eod.put_vm(d, result.rows)
    run.vm_trades, run.unvalued = len(result.rows), result.unvalued
    return StepState.DONE, None if not result.unvalued else f"{len(result.unvalued)} live trades not valued"


async def _pai(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    if not isinstance(svc.credit, PortfolioValuer):
        return StepState.SKIPPED, _NO_VALUER
    rates = svc.overnight_rates
    if rates is None:
        return StepState.SKIPPED, "no overnight rates configured ([eod] overnight_rates)"
    d = run.business_date
    if isinstance(rates, OvernightRatesSource):  # the fixings store: the day's fixings read once
        rates = await rates.of_day(d)
    async with svc.writing(outbox=False) as uow:
        balances = await uow.eod.vm_balances(d)
        figures = price_alignment_interest(balances, d, accrual_days(d, svc.hours.is_business_day), rates)
        await uow.eod.put_pai(d, figures)
    run.pai_accounts = len(figures)
    return StepState.DONE, None


async def _calls(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    state, detail, run.calls_issued = await call_steps.eod_step(svc, run.business_date)
    return state, detail


async def _reports(svc: ClearingContext, run: _Run) -> tuple[StepState, str | None]:
    if svc.reports is None:
        return StepState.SKIPPED, "no report directory configured ([reports] dir)"
    run.reported = await svc.reports.write_day(run.business_date)
    return StepState.DONE, None


def _previous_business_day(svc: ClearingContext, d: date) -> date:
    p = d - timedelta(days=1)
    while not svc.hours.is_business_day(p):
        p -= timedelta(days=1)
    return p


def _next_business_day(svc: ClearingContext, d: date) -> date:
    n = d + timedelta(days=1)
    while not svc.hours.is_business_day(n):
        n += timedelta(days=1)
    return n


STEP_FUNCTIONS: Mapping[str, Step] = {
    "refuse": _refuse,
    "mature": _mature,
    "revalue": _revalue_step,
    "cashflows": _cash_flows,
    "vm": _vm,
    "pai": _pai,
    "calls": _calls,
    "reports": _reports,
}


# ---------------------------------------------------------------- revaluation


async def revalue(svc: ClearingContext, business_date: date) -> RevaluationReport:
    """Value every live cleared trade and rebuild each account's P&L vector and margin."""
    if not isinstance(svc.credit, PortfolioValuer):
        raise RuntimeError("the configured margin model cannot revalue accounts")
    async with svc.pass_lock:
        return await _revalue(svc, business_date)


async def _revalue(svc: ClearingContext, business_date: date) -> RevaluationReport:
    """The book valued on the current market data (the one place the day's valuation input is read)."""
    valuer = svc.credit
    assert isinstance(valuer, PortfolioValuer)
    return await revalue_book(svc, valuer, business_date)
