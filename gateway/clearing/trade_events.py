"""A lifecycle event on a cleared trade (a termination, an increase, a de-clear, a reference update, an
amendment), taken in one unit of work: read, decide (``lifecycle``, ``amendment``), write.

``submit_event`` finds the cleared trade the request names (by a CCP trade id, or by the source's trade
id and version), locks its two member sides and both accounts' risk, checks the event
(``lifecycle.check_termination``, then the margin each member's account would need without the
terminated part), and writes in the same transaction: the sides' notional and status, the accounts'
P&L vector and margin, the ``trade_events`` row with its effect, and its statuses in the trade's history
(Received, then Cleared or Rejected with every reason) owed to the requesting source and both members.
A request whose message id the store knows gets its last status again; one naming no cleared trade is
refused with LIFE_TRADE_UNKNOWN before anything is written. A trade that was amended has a pair of sides
per amendment: an event names the pair holding the CCP trade id it gives, else the latest. A confirmed
amendment also writes the new pair of sides; the event row then carries their ids and trades.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway.clearing import amendment, lifecycle
from gateway.clearing import figures as credit_figures
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.decide import NO_RISK
from gateway.clearing.ports import EventRequest, StatusUpdate, UnitOfWork
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.events import EventEffect, EventKind, EventOutcome, EventTerms, SideState, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.workflow import Recipient, Stage, SubmissionRow
from gateway.refdata.figures import RiskRow
from gateway.rules.eligibility import resolve_sides, validate_dates

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext


async def submit_event(svc: ClearingContext, request: EventRequest) -> list[StatusUpdate]:
    """Decide and store one event with its statuses; the statuses written (or, for a repeat, the last)."""
    now = svc.clock.now()
    async with svc.writing() as uow:
        known = await uow.events.find(request.source, request.message_id)
        if known is not None:
            again = _source_of(request)
            if again is not None:
                await uow.statuses.owe_event_again(known.note.event_id, again, now)
            told = [u for u in await uow.statuses.history(known.submission_id) if u.event is not None]
            return [u for u in told if u.event is not None and u.event.event_id == known.note.event_id][-1:]
        row_id = await named_trade(uow, request.terms.trade, request.source)
        decided = await decide_event(svc, uow, request, row_id)
        stored = await uow.events.insert(
            request,
            decided.sub.id,
            decided.outcome,
            decided.ccp_trade_ids,
            decided.cleared,
            decided.effect,
            now,
        )
        # an event asked over FIX is told on both members' FIX sessions too
        sessions = (
            await uow.accounts.comp_ids_by_member(decided.sub.members)
            if request.channel is Channel.FIX
            else None
        )
        return await uow.statuses.record_event(
            decided.sub,
            stored,
            [(ClearingStatusCode.RECEIVED, ()), decided.status],
            now,
            recipients(decided.sub, request, sessions),
        )


@dataclass(frozen=True, slots=True)
class Decided:
    """An event decided and its effect written (the cleared sides, the accounts' risk): what its row and
    its final status say."""

    sub: SubmissionRow
    issues: list[Issue]
    ccp_trade_ids: tuple[str, str]
    cleared: tuple[Trade, Trade]
    effect: EventEffect | None

    @property
    def outcome(self) -> EventOutcome:
        return EventOutcome.REFUSED if self.issues else EventOutcome.CONFIRMED

    @property
    def status(self) -> tuple[ClearingStatusCode, Sequence[Issue]]:
        final = ClearingStatusCode.REJECTED if self.issues else ClearingStatusCode.CLEARED
        return final, self.issues


async def decide_event(
    svc: ClearingContext, uow: UnitOfWork, request: EventRequest, row_id: int | None
) -> Decided:
    """Check the event against the cleared trade of submission ``row_id`` (locked with its sides and both
    accounts' risk) and, when it passes, write its effect: the sides, the new pair of an amendment, the
    accounts' risk. GatewayError (LIFE_TRADE_UNKNOWN) when ``row_id`` names no cleared trade."""
    business_date = svc.hours.business_date(svc.clock.now())
    now = svc.clock.now()
    sub = None if row_id is None else await uow.submissions.get(row_id, lock=True)
    sides = [] if row_id is None else await uow.cleared.sides(row_id, lock=True)
    pair = amendment.pair_named(sides, request.terms.trade)
    if sub is None or pair is None:
        raise GatewayError.of(
            ReasonCode.LIFE_TRADE_UNKNOWN,
            "tradeIdentifier",
            f"no cleared trade is {request.terms.trade.describe()}",
        )
    live = lifecycle.LiveTrade(sub.source, pair)
    new: dict[str, Trade] = {}
    if request.terms.kind is EventKind.AMENDMENT:
        issues = await _amendment_checked(svc, uow, request, live, business_date, sides, new)
    else:
        issues = _checked(svc, request, live, business_date)
    states: dict[tuple[str, str], RiskRow] = {}
    stored_risk: Mapping[tuple[str, str], RiskRow] = {}
    if not issues and request.terms.kind is not EventKind.REFERENCE_UPDATE:  # non-economic: no margin
        stored_risk = await uow.accounts.risk_many(
            sorted({(s.member_id, s.account_id) for s in live.sides}), lock=True
        )
        issues = await _margin(svc, uow, request.terms, live, stored_risk, states, business_date, new)
    after: tuple[SideState, SideState] = live.sides
    ids = (live.sides[0].ccp_trade_id, live.sides[1].ccp_trade_id)
    result = (after[0].trade, after[1].trade)
    effect: EventEffect | None = None
    if not issues and request.terms.kind is EventKind.AMENDMENT:
        after, rows, effect = amendment.amended(live, new)
        await uow.cleared.update_sides(after)
        await uow.cleared.insert([(sub.id, r) for r in rows], {sub.id: business_date}, now)
        await uow.accounts.put_risk_many(states, stored_risk.keys(), now)
        ids, result = (rows[0].ccp_trade_id, rows[1].ccp_trade_id), (rows[0].trade, rows[1].trade)
    elif not issues:
        after, effect = lifecycle.applied(live, request.terms)
        await uow.cleared.update_sides(after)
        await uow.accounts.put_risk_many(states, stored_risk.keys(), now)
        result = (after[0].trade, after[1].trade)
    return Decided(sub, issues, ids, result, effect)


def _checked(
    svc: ClearingContext, request: EventRequest, live: lifecycle.LiveTrade, business_date: date
) -> list[Issue]:
    """Every rule but margin; a schedule the pricer cannot resolve refuses a termination with its reason."""
    approved = _trusted(svc, request)
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


async def _amendment_checked(
    svc: ClearingContext,
    uow: UnitOfWork,
    request: EventRequest,
    live: lifecycle.LiveTrade,
    business_date: date,
    sides: list[SideState],
    new: dict[str, Trade],
) -> list[Issue]:
    """An amendment's rules but margin: the amended trade checked as a registration checks it, then against
    the live trade; when they pass, ``new`` gets its two cleared trades (by member party) on new CCP ids."""
    terms = request.terms
    approved = _trusted(svc, request)
    eligibility: list[Issue] = []
    accounts: dict[str, tuple[str, str]] | None = None
    trade = None
    if terms.amended is not None:
        trade = svc.products.normalise(terms.amended)
        eligibility = validate_dates(trade, business_date) + svc.products.check(trade)
        members = await uow.accounts.members_by_party(p.party_id for p in trade.parties)
        resolved, party_issues = resolve_sides(trade, members)
        eligibility += party_issues
        if resolved is not None:
            accounts = {s.party_id: (s.member.member_id, s.account.account_id) for s in resolved}
    issues = amendment.check_amendment(
        terms,
        live,
        source=request.source,
        source_approved=approved,
        business_date=business_date,
        eligibility=eligibility,
        accounts=accounts,
    )
    if not issues and trade is not None:
        policy = svc.policy()
        ids = amendment.amended_ids(
            policy.settings.ccp.trade_id_prefix,
            business_date,
            live.sides[0].submission_id,
            amendment.next_ordinal(sides),
        )
        new.update(amendment.novated_amendment(trade, policy.ccp, ids, live))
    return issues


async def _margin(
    svc: ClearingContext,
    uow: UnitOfWork,
    terms: EventTerms,
    live: lifecycle.LiveTrade,
    stored: Mapping[tuple[str, str], RiskRow],
    states: dict[tuple[str, str], RiskRow],
    business_date: date,
    new: Mapping[str, Trade],
) -> list[Issue]:
    """Each member's account without the part the event takes away (an amendment: the old cleared trade
    out, ``new``, its replacement by member party, in): its new P&L vector and margin go into ``states``.
    A termination raising the requirement beyond the account's headroom is refused (the registration
    credit rule); a de-clear leaving a requirement its collateral does not cover is refused."""
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
        if terms.kind is EventKind.AMENDMENT:
            parts = amendment.margin_parts(side, new[side.party_id])
        else:
            parts = [lifecycle.margin_view(terms, side)]
        pnl, incremental, margin_after = before.pnl_vector, Decimal(0), before.margin
        try:
            for part, viewer in parts:
                impact = checker.margin_impact(
                    part, viewer, account.base_currency, pnl, business_date, account.account_type
                )
                pnl, margin_after = impact.pnl_after, impact.margin_after
                incremental += impact.incremental_margin
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
            short = lifecycle.still_covered(side.member_id, side.account_id, position, margin_after)
            issues.extend(() if short is None else (short,))
        else:
            decision = decide_credit(side.member_id, side.account_id, incremental, position)
            issues.extend(decision.reasons)
        gone = 1 if lifecycle.ends_the_trade(terms) else 0  # (an increase adds no trade to the account)
        states[key] = RiskRow(margin_after, pnl, max(before.trade_count - gone, 0))
    return issues


def _trusted(svc: ClearingContext, request: EventRequest) -> bool:
    """An approved source's request, or a member's proposal its counterparty accepted (two-sided, over FIX):
    the trust rule of who may ask (``lifecycle.who_asks`` still wants both members' parties named)."""
    return request.accepted_by is not None or svc.is_approved_source(request.source)


async def named_trade(uow: UnitOfWork, ref: TradeRef, source: str) -> int | None:
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


def recipients(
    sub: SubmissionRow, request: EventRequest, comp_ids: Mapping[str, Sequence[str]] | None = None
) -> tuple[Recipient, ...]:
    """The requesting source's topic and both members' topics (each shown its own side), and with
    ``comp_ids`` (each member's CompIDs) both members' FIX sessions."""
    source = _source_of(request)
    members = tuple(Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, m) for m in sub.members)
    sessions = tuple(
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, c)
        for m in sub.members
        for c in (comp_ids or {}).get(m, ())
    )
    return (*members, *sessions) if source is None else (source, *members, *sessions)
