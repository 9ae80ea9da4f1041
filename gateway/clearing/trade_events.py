"""A lifecycle event on a cleared trade (a termination, an increase, a de-clear, a reference update), taken in one unit of work: read,
decide (``lifecycle``), write.

``submit_event`` finds the cleared trade the request names (by a CCP trade id, or by the source's trade
id and version), locks its two member sides and both accounts' risk, checks the event
(``lifecycle.check_termination``, then the margin each member's account would need without the
terminated part), and writes in the same transaction: the sides' notional and status, the accounts'
P&L vector and margin, the ``trade_events`` row with its effect, and its statuses in the trade's history
(Received, then Cleared or Rejected with every reason) owed to the requesting source and both members.
A request whose message id the store knows gets its last status again; one naming no cleared trade is
refused with LIFE_TRADE_UNKNOWN before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from gateway.clearing import figures as credit_figures
from gateway.clearing import lifecycle
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.decide import NO_RISK
from gateway.clearing.ports import EventRequest, StatusUpdate, UnitOfWork
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.events import EventEffect, EventKind, EventOutcome, EventTerms, SideState, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.domain.workflow import Recipient, Stage, SubmissionRow
from gateway.refdata.figures import RiskRow

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext


async def submit_event(svc: ClearingContext, request: EventRequest) -> list[StatusUpdate]:
    """Decide and store one event with its statuses; the statuses written (or, for a repeat, the last)."""
    now = svc.clock.now()
    business_date = svc.hours.business_date(now)
    async with svc.writing() as uow:
        known = await uow.events.find(request.source, request.message_id)
        if known is not None:
            again = _source_of(request)
            if again is not None:
                await uow.statuses.owe_event_again(known.note.event_id, again, now)
            told = [u for u in await uow.statuses.history(known.submission_id) if u.event is not None]
            return [u for u in told if u.event is not None and u.event.event_id == known.note.event_id][-1:]
        row_id = await _named_trade(uow, request.terms.trade, request.source)
        sub = None if row_id is None else await uow.submissions.get(row_id, lock=True)
        sides = [] if row_id is None else await uow.cleared.sides(row_id, lock=True)
        if sub is None or len(sides) != 2:
            raise GatewayError.of(
                ReasonCode.LIFE_TRADE_UNKNOWN,
                "tradeIdentifier",
                f"no cleared trade is {request.terms.trade.describe()}",
            )
        live = lifecycle.LiveTrade(sub.source, (sides[0], sides[1]))
        issues = _checked(svc, request, live, business_date)
        states: dict[tuple[str, str], RiskRow] = {}
        stored_risk: Mapping[tuple[str, str], RiskRow] = {}
        if not issues and request.terms.kind is not EventKind.REFERENCE_UPDATE:  # non-economic: no margin
            stored_risk = await uow.accounts.risk_many(
                sorted({(s.member_id, s.account_id) for s in live.sides}), lock=True
            )
            issues = await _margin(svc, uow, request.terms, live, stored_risk, states, business_date)
        after: tuple[SideState, SideState] = live.sides
        effect: EventEffect | None = None
        if not issues:
            after, effect = lifecycle.applied(live, request.terms)
            await uow.cleared.update_sides(after)
            await uow.accounts.put_risk_many(states, stored_risk.keys(), now)
        stored = await uow.events.insert(
            request,
            sub.id,
            EventOutcome.REFUSED if issues else EventOutcome.CONFIRMED,
            (live.sides[0].ccp_trade_id, live.sides[1].ccp_trade_id),
            (after[0].trade, after[1].trade),
            effect,
            now,
        )
        final = ClearingStatusCode.REJECTED if issues else ClearingStatusCode.CLEARED
        return await uow.statuses.record_event(
            sub,
            stored,
            [(ClearingStatusCode.RECEIVED, ()), (final, issues)],
            now,
            _recipients(sub, request),
        )


def _checked(
    svc: ClearingContext, request: EventRequest, live: lifecycle.LiveTrade, business_date: date
) -> list[Issue]:
    """Every rule but margin; a schedule the pricer cannot resolve refuses a termination with its reason."""
    approved = svc.is_approved_source(request.source)
    if request.terms.kind is EventKind.DECLEAR:
        return lifecycle.check_declear(
            request.terms, live, source=request.source, source_approved=approved, business_date=business_date
        )
    if request.terms.kind is EventKind.REFERENCE_UPDATE:
        return lifecycle.check_reference_update(
            request.terms, live, source=request.source, source_approved=approved, business_date=business_date
        )
    if request.terms.kind is EventKind.INCREASE:
        return lifecycle.check_increase(
            request.terms, live, source=request.source, source_approved=approved, business_date=business_date
        )
    try:
        payment_dates = lifecycle.scheduled_payment_dates(live.sides[0].trade)
    except GatewayError as exc:
        gone = lifecycle.not_live(live, business_date)
        return [gone] if gone is not None else list(exc.issues)
    return lifecycle.check_termination(
        request.terms,
        live,
        source=request.source,
        source_approved=approved,
        business_date=business_date,
        payment_dates=payment_dates,
    )


async def _margin(
    svc: ClearingContext,
    uow: UnitOfWork,
    terms: EventTerms,
    live: lifecycle.LiveTrade,
    stored: Mapping[tuple[str, str], RiskRow],
    states: dict[tuple[str, str], RiskRow],
    business_date: date,
) -> list[Issue]:
    """Each member's account without the part the event takes away: its new P&L vector and margin go into
    ``states``. A termination raising the requirement beyond the account's headroom is refused (the
    registration credit rule); a de-clear leaving a requirement its collateral does not cover is refused."""
    checker = svc.checker()
    members = {s.member_id: await uow.accounts.member(s.member_id) for s in live.sides}
    figures = await uow.accounts.figures(members)
    pool = await uow.accounts.tolerance_pool()
    cap = svc.settings.credit.tolerance_pool_cap
    issues: list[Issue] = []
    for side in live.sides:
        member = members[side.member_id]
        account = None if member is None else member.account(side.account_id)
        if member is None or account is None:
            issues.append(
                Issue(
                    ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                    f"member[{side.member_id}].account[{side.account_id}]",
                    f"the account of cleared trade {side.ccp_trade_id} is no longer known",
                )
            )
            continue
        key = (side.member_id, side.account_id)
        before = states.get(key) or stored.get(key) or NO_RISK
        part, viewer = lifecycle.margin_view(terms, side)
        try:
            impact = checker.margin_impact(
                part,
                viewer,
                account.base_currency,
                before.pnl_vector,
                business_date,
                account.account_type,
            )
        except GatewayError as exc:
            issues.extend(exc.issues)
            continue
        overrides = {
            a.account_id: states[(side.member_id, a.account_id)]
            for a in member.accounts
            if (side.member_id, a.account_id) in states
        }
        position = credit_figures.credit_position(
            svc.fx, cap, member, side.account_id, figures[side.member_id], overrides, pool
        )
        if terms.kind is EventKind.DECLEAR:
            short = lifecycle.still_covered(side.member_id, side.account_id, position, impact.margin_after)
            issues.extend(() if short is None else (short,))
        else:
            decision = decide_credit(side.member_id, side.account_id, impact.incremental_margin, position)
            issues.extend(decision.reasons)
        gone = 1 if lifecycle.ends_the_trade(terms) else 0  # (an increase adds no trade to the account)
        states[key] = RiskRow(impact.margin_after, impact.pnl_after, max(before.trade_count - gone, 0))
    return issues


async def _named_trade(uow: UnitOfWork, ref: TradeRef, source: str) -> int | None:
    """The submission of the cleared trade an event names: by a CCP trade id (either side), else by the
    source's own trade id (its cleared version, or the version named)."""
    if ref.ccp_trade_id is not None:
        return await uow.cleared.submission_of(ref.ccp_trade_id)
    assert ref.source_trade_id is not None
    versions = await uow.submissions.versions(source, ref.source_trade_id)
    cleared = [
        v
        for v in versions
        if v.stage is Stage.CLEARED and (ref.version is None or v.source_version == ref.version)
    ]
    return cleared[-1].id if cleared else None


def _source_of(request: EventRequest) -> Recipient | None:
    if request.channel is Channel.MQTT_FPML:
        return Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, request.source)
    return None


def _recipients(sub: SubmissionRow, request: EventRequest) -> tuple[Recipient, ...]:
    """The requesting source's topic and both members' topics (each shown its own side)."""
    source = _source_of(request)
    members = tuple(Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, m) for m in sub.members)
    return members if source is None else (source, *members)
