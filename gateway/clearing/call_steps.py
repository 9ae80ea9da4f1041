"""Margin calls run by the service: the end-of-day ``calls`` step, and the timer that marks calls overdue
and runs the intraday calls at their configured times (``ClearingService.run``).

Every run is idempotent: a call's id names its account, currency, date, kind and intraday time, and a call
already stored is not issued again, so two processes ticking together, or a rerun, issue each call once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import structlog

from gateway.clearing.call_ports import AccountBook
from gateway.clearing.calls import (
    AccountFigures,
    CallState,
    MarginCall,
    due_at,
    eod_calls,
    intraday_calls,
    overdue_error,
)
from gateway.clearing.eod_ports import StepState
from gateway.domain.reasons import ReasonCode
from gateway.refdata.fx import FxRates

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)

NO_CALLS = "no margin calls store configured"


def figures_of(books: Iterable[AccountBook], fx: FxRates) -> list[AccountFigures]:
    """Each account's collateral after haircuts in its base currency, beside its margin, VM and PAI."""
    return [
        AccountFigures(
            b.member_id,
            b.account_id,
            b.base_currency,
            b.margin,
            fx.value(b.holdings, b.base_currency),
            b.vm,
            b.pai,
        )
        for b in books
    ]


async def eod_step(svc: ClearingContext, business_date: date) -> tuple[StepState, str | None, int]:
    """The ``calls`` step of end of day: (state, detail, calls newly issued)."""
    if svc.calls is None:
        return StepState.SKIPPED, NO_CALLS, 0
    books = await svc.calls.books(business_date)
    due = due_at(business_date, svc.call_settings, svc.hours.tz, svc.hours.is_business_day)
    calls = eod_calls(figures_of(books, svc.fx), business_date, due)
    issued = await svc.calls.issue(calls, svc.clock.now())
    log.info(
        "clearing.calls_issued", business_date=str(business_date), kind="EOD", calls=len(calls), new=issued
    )
    return StepState.DONE, None, issued


class CallsTimer:
    """At each tick: calls past their due time become OVERDUE (each logged once with MARGIN_CALL_OVERDUE,
    the member flagged by it); on a business day, each configured intraday time once its moment has come.
    The members with calls overdue (and how many) go to ``on_flags`` (``/healthz`` under ``serve``) when a
    call falls overdue and at least every ``refresh``.

    After a restart, only the latest intraday time already passed is run (the earlier ones of the day are
    taken as run): a call is never issued for a time long gone.

    The service ticks on every wake-up (each submit wakes it), so the store is asked at most every
    ``every``: due times and intraday times are minutes apart, and a write transaction per trade would
    slow registration.
    """

    def __init__(
        self, refresh: timedelta = timedelta(minutes=1), every: timedelta = timedelta(seconds=5)
    ) -> None:
        self.done: set[tuple[date, time]] = set()
        self.flagged: list[MarginCall] = []
        self.refresh = refresh  # how often the members flagged are read again for ``on_flags``
        self.every = every
        self._flags_read: datetime | None = None
        self._checked: datetime | None = None

    async def tick(self, svc: ClearingContext) -> list[MarginCall]:
        """The intraday calls newly issued at this tick."""
        if svc.calls is None:
            return []
        now = svc.clock.now()
        if self._checked is not None and now - self._checked < self.every:
            return []
        self._checked = now
        late = await svc.calls.mark_overdue(now)
        for call in late:
            err = overdue_error(call)
            log.warning(
                "clearing.margin_call_overdue",
                reason=ReasonCode.MARGIN_CALL_OVERDUE.value,
                member=call.member_id,
                call_id=call.call_id,
                outstanding=str(call.outstanding),
                currency=call.currency,
                detail=str(err),
            )
            self.flagged.append(call)
        if svc.on_flags is not None and (
            late or self._flags_read is None or now - self._flags_read >= self.refresh
        ):
            overdue: dict[str, int] = {}
            for call in await svc.calls.calls(state=CallState.OVERDUE):
                overdue[call.member_id] = overdue.get(call.member_id, 0) + 1
            svc.on_flags(overdue)
            self._flags_read = now
        return await self._intraday(svc, now)

    async def _intraday(self, svc: ClearingContext, now: datetime) -> list[MarginCall]:
        local = now.astimezone(svc.hours.tz)
        today = local.date()
        slots = sorted(svc.call_settings.intraday_at)
        if not slots or not svc.hours.is_business_day(today):
            return []
        passed = [s for s in slots if local.time() >= s and (today, s) not in self.done]
        if not passed:
            return []
        slot = passed[-1]
        books = await svc.calls.books(None) if svc.calls is not None else []
        calls = intraday_calls(figures_of(books, svc.fx), today, slot, now, svc.call_settings)
        issued = await svc.calls.issue(calls, now) if svc.calls is not None else 0
        self.done.update((today, s) for s in passed)  # after the calls are stored: an outage retries
        log.info("clearing.calls_issued", business_date=str(today), kind="INTRADAY", at=str(slot), new=issued)
        return calls if issued else []
