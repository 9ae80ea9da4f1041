"""Lifecycle events waiting for collateral: decided again after a lodgement, refused at end of day.

An event that would raise a member's requirement beyond its excess collateral and tolerance waits, when
``settings.credit.on_shortfall`` is "pend", as a registration does: it is stored PENDING with a Pending
status naming the shortfall, and nothing of the trade or the accounts changes. A lodgement on either
member's account flags it; the next clearing pass (while the service is open) decides it again, against the
trade and the accounts as they then stand: confirmed (with its changes and a Cleared status), refused (a rule
it now fails), or, still short, left waiting without a new status. End of day decides every event still
waiting from that business day or before one last time, without waiting: one that still does not fit is
refused, LIFE_NOT_REGISTERED_BY_EOD before its shortfall.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import structlog

from gateway.clearing.ports import StatusUpdate
from gateway.clearing.trade_events import named_pair, recipients, take
from gateway.domain.errors import Issue
from gateway.domain.events import EventOutcome
from gateway.domain.reasons import ReasonCode

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)


async def retry_flagged(svc: ClearingContext) -> int:
    """Decide again every waiting event a lodgement flagged (only while the service is open); how many
    were decided (confirmed or refused)."""
    if not svc.hours.is_open(svc.clock.now()):
        return 0
    async with svc.store.read(snapshot=False) as uow:
        waiting = await uow.events.pending(flagged_only=True)
    decided = 0
    for event in waiting:
        if await decide_again(svc, event.event_id):
            decided += 1
    return decided


async def refuse_at_end_of_day(
    svc: ClearingContext, business_date: date
) -> tuple[list[str], list[tuple[str, str]]]:
    """Decide every event waiting since ``business_date`` or before once more, refusing what still does
    not fit; the events refused (as ``event <id>``) and any that could not be handled, with the error."""
    async with svc.store.read(snapshot=False) as uow:
        waiting = await uow.events.pending(flagged_only=False)
    refused: list[str] = []
    failures: list[tuple[str, str]] = []
    for event in waiting:
        if svc.hours.business_date(event.received_at) > business_date:
            continue
        try:
            told = await decide_again(svc, event.event_id, end_of_day=business_date)
        except Exception as exc:  # batch: report the event and carry on with the next
            log.exception("clearing.eod_event_failed", event_id=event.event_id)
            failures.append((f"event {event.event_id}", f"{type(exc).__name__}: {exc}"))
            continue
        if told and told[-1].event is not None and told[-1].event.outcome is EventOutcome.REFUSED:
            refused.append(f"event {event.event_id}")
    return refused, failures


async def decide_again(
    svc: ClearingContext, event_id: int, *, end_of_day: date | None = None
) -> list[StatusUpdate]:
    """Decide a waiting event against its trade as it now stands; the status written (none when it still
    waits, or was decided meanwhile)."""
    now = svc.clock.now()
    business_date = svc.hours.business_date(now)
    async with svc.writing() as uow:
        found = await uow.events.pending_request(event_id)
        if found is None:
            return []
        sub = await uow.submissions.get(found[0], lock=True)
        sides = await uow.cleared.sides(found[0], lock=True)
        found = await uow.events.pending_request(event_id)  # the trade locked: still waiting?
        if sub is None or found is None:
            return []
        request = found[1]
        pair, stale = await named_pair(uow, request.terms.trade, sub, sides)
        if pair is None:  # (the pair it named when it arrived is never deleted: not reached)
            raise RuntimeError(f"event {event_id}: {request.terms.trade.describe()} is gone")
        taken = await take(
            svc, uow, request, sub, (pair, stale), sides, business_date, may_wait=end_of_day is None
        )
        if taken.outcome is EventOutcome.PENDING:
            await uow.events.unflag(event_id)
            return []
        status, reasons = taken.status
        if end_of_day is not None and taken.outcome is EventOutcome.REFUSED:
            late = Issue(
                ReasonCode.LIFE_NOT_REGISTERED_BY_EOD,
                "businessDate",
                f"the {request.terms.kind.value.lower()} still did not fit the members' collateral at the end "
                f"of {end_of_day}; send it again",
            )
            reasons = (late, *reasons)
        stored = await uow.events.settle(event_id, taken.outcome, taken.ids, taken.result, taken.effect, now)
        log.info(
            "clearing.event_decided_again",
            submission_id=sub.ref,
            event_id=event_id,
            outcome=taken.outcome.value,
            reasons=[str(i.code) for i in reasons],
        )
        return await uow.statuses.record_event(
            sub, stored, [(status, reasons)], now, recipients(sub, request)
        )
