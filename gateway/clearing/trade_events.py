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
per amendment: an event names the pair holding the CCP trade id it gives, or the pair of the source's
version it gives (a version amended since is not live), else the latest. A confirmed amendment also writes
the new pair of sides; the event row then carries their ids and trades. Every side a confirmed event
changed or created carries it as its last event (``mark_event``). Short of collateral only, an event
waits (Pending) when the settings say so; ``waiting_events`` decides it again with ``take``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway.clearing import amendment, lifecycle
from gateway.clearing import figures as credit_figures
from gateway.clearing.addons import member_impact
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
from gateway.rules.settings import ShortfallAction

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
        row_id = await named_trade(uow, request.terms.trade, request.source)
        sub = None if row_id is None else await uow.submissions.get(row_id, lock=True)
        sides = [] if row_id is None else await uow.cleared.sides(row_id, lock=True)
        pair, stale = (None, None) if sub is None else await named_pair(uow, request.terms.trade, sub, sides)
        if sub is None or pair is None:
            raise GatewayError.of(
                ReasonCode.LIFE_TRADE_UNKNOWN,
                "tradeIdentifier",
                f"no cleared trade is {request.terms.trade.describe()}",
            )
        taken = await take(svc, uow, request, sub, (pair, stale), sides, business_date)
        stored = await uow.events.insert(
            request, sub.id, taken.outcome, taken.ids, taken.result, taken.effect, now
        )
        # an event asked over FIX is told on both members' FIX sessions too
        sessions = (
            await uow.accounts.comp_ids_by_member(sub.members) if request.channel is Channel.FIX else None
        )
        return await uow.statuses.record_event(
            sub,
            stored,
            [(ClearingStatusCode.RECEIVED, ()), taken.status],
            now,
            recipients(sub, request, sessions),
        )


@dataclass(frozen=True, slots=True)
class Taken:
    """An event decided against its trade as the trade stands: confirmed (its changes written), refused,
    or waiting for collateral (nothing written); the cleared trades it leaves and its effect."""

    outcome: EventOutcome
    reasons: tuple[Issue, ...]
    ids: tuple[str, str]
    result: tuple[Trade, Trade]
    effect: EventEffect | None

    @property
    def status(self) -> tuple[ClearingStatusCode, tuple[Issue, ...]]:
        return _STATUS_OF[self.outcome], self.reasons


_STATUS_OF = {
    EventOutcome.CONFIRMED: ClearingStatusCode.CLEARED,
    EventOutcome.REFUSED: ClearingStatusCode.REJECTED,
    EventOutcome.PENDING: ClearingStatusCode.PENDING,
}


async def take(
    svc: ClearingContext,
    uow: UnitOfWork,
    request: EventRequest,
    sub: SubmissionRow,
    named: tuple[tuple[SideState, SideState], Issue | None],
    sides: list[SideState],
    business_date: date,
    *,
    may_wait: bool = True,
) -> Taken:
    """Check the event on the pair it names (``named``: the pair, and why it is not live when the request
    named a version amended since) among the trade's locked ``sides`` and, when it passes, write its
    changes (the sides, a new pair for an amendment, both accounts' risk). Short of collateral only, it
    waits when ``settings.credit.on_shortfall`` says so and ``may_wait`` (a de-clear never waits)."""
    now = svc.clock.now()
    pair, stale = named
    live = lifecycle.LiveTrade(sub.source, pair)
    new: dict[str, Trade] = {}
    if stale is not None:
        issues = [stale]
    elif request.terms.kind is EventKind.AMENDMENT:
        issues = await _amendment_checked(svc, uow, request, live, business_date, sides, new)
    else:
        issues = _checked(svc, request, live, business_date)
    states: dict[tuple[str, str], RiskRow] = {}
    stored_risk: Mapping[tuple[str, str], RiskRow] = {}
    short: list[Issue] = []
    if not issues and request.terms.kind is not EventKind.REFERENCE_UPDATE:  # non-economic: no margin
        stored_risk = await uow.accounts.risk_many(
            sorted({(s.member_id, s.account_id) for s in live.sides}), lock=True
        )
        issues, short = await _margin(svc, uow, request.terms, live, stored_risk, states, business_date, new)
    ids = (live.sides[0].ccp_trade_id, live.sides[1].ccp_trade_id)
    result = (live.sides[0].trade, live.sides[1].trade)
    if not issues and short:
        if may_wait and svc.settings.credit.on_shortfall is ShortfallAction.PEND:
            return Taken(EventOutcome.PENDING, tuple(short), ids, result, None)
        issues = short
    if issues:
        return Taken(EventOutcome.REFUSED, tuple(issues), ids, result, None)
    if request.terms.kind is EventKind.AMENDMENT:
        after, rows, effect = amendment.amended(live, new)
        await uow.cleared.update_sides(after)
        await uow.cleared.insert([(sub.id, r) for r in rows], {sub.id: business_date}, now)
        await uow.accounts.put_risk_many(states, stored_risk.keys(), now)
        ids, result = (rows[0].ccp_trade_id, rows[1].ccp_trade_id), (rows[0].trade, rows[1].trade)
    else:
        after, effect = lifecycle.applied(live, request.terms)
        await uow.cleared.update_sides(after)
        await uow.accounts.put_risk_many(states, stored_risk.keys(), now)
        result = (after[0].trade, after[1].trade)
    touched = {*ids, live.sides[0].ccp_trade_id, live.sides[1].ccp_trade_id}
    await uow.cleared.mark_event(sorted(touched), request.terms.kind.value, business_date)
    return Taken(EventOutcome.CONFIRMED, (), ids, result, effect)


async def decide_event(
    svc: ClearingContext, uow: UnitOfWork, request: EventRequest, row_id: int
) -> tuple[SubmissionRow, Taken]:
    """A member's proposal its counterparty accepted (over FIX), decided on the trade of submission
    ``row_id`` as it stands now (``take``). It does not wait for collateral: a waiting event is decided
    again from its stored request, and a proposal's acceptance is not part of it, so short is refused.
    GatewayError (LIFE_TRADE_UNKNOWN) when the trade is gone."""
    business_date = svc.hours.business_date(svc.clock.now())
    sub = await uow.submissions.get(row_id, lock=True)
    sides = [] if sub is None else await uow.cleared.sides(row_id, lock=True)
    pair, stale = (None, None) if sub is None else await named_pair(uow, request.terms.trade, sub, sides)
    if sub is None or pair is None:
        raise GatewayError.of(
            ReasonCode.LIFE_TRADE_UNKNOWN,
            "tradeIdentifier",
            f"no cleared trade is {request.terms.trade.describe()}",
        )
    taken = await take(svc, uow, request, sub, (pair, stale), sides, business_date, may_wait=False)
    return sub, taken


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
) -> tuple[list[Issue], list[Issue]]:
    """Each member's account without the part the event takes away (an amendment: the old cleared trade
    out, ``new``, its replacement by member party, in): its new P&L vector and margin go into ``states``.
    A termination raising the requirement beyond the account's headroom is short (the registration
    credit rule: the second list); a de-clear leaving a requirement its collateral does not cover, like
    any other failure, is in the first."""
    checker = svc.checker()
    members = {s.member_id: await uow.accounts.member(s.member_id) for s in live.sides}
    figures = await uow.accounts.figures(members)
    pool = await uow.accounts.tolerance_pool()
    cap = svc.settings.credit.tolerance_pool_cap
    issues: list[Issue] = []
    short: list[Issue] = []
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
                impact = member_impact(
                    svc.settings.credit,
                    svc.fx,
                    member,
                    account.base_currency,
                    checker.margin_impact(
                        part, viewer, account.base_currency, pnl, business_date, account.account_type
                    ),
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
            uncovered = lifecycle.still_covered(side.member_id, side.account_id, position, margin_after)
            issues.extend(() if uncovered is None else (uncovered,))
        else:
            decision = decide_credit(side.member_id, side.account_id, incremental, position)
            short.extend(decision.reasons)
        gone = 1 if lifecycle.ends_the_trade(terms) else 0  # (an increase adds no trade to the account)
        states[key] = RiskRow(margin_after, pnl, max(before.trade_count - gone, 0))
    return issues, short


def _trusted(svc: ClearingContext, request: EventRequest) -> bool:
    """An approved source's request, or a member's proposal its counterparty accepted (two-sided, over FIX):
    the trust rule of who may ask (``lifecycle.who_asks`` still wants both members' parties named)."""
    return request.accepted_by is not None or svc.is_approved_source(request.source)


async def named_trade(uow: UnitOfWork, ref: TradeRef, source: str) -> int | None:
    """The submission of the cleared trade an event names: by a CCP trade id (either side), else by the
    source's own trade id (its cleared version, or the version named; a version no submission has may be
    an amendment's, of the trade's cleared submission)."""
    if ref.ccp_trade_id is not None:
        return await uow.cleared.submission_of(ref.ccp_trade_id)
    assert ref.source_trade_id is not None
    versions = await uow.submissions.versions(source, ref.source_trade_id)
    cleared = [v for v in versions if v.stage is Stage.CLEARED]
    exact = [v for v in cleared if ref.version is None or v.source_version == ref.version]
    if exact:
        return exact[-1].id
    return cleared[-1].id if cleared else None


async def named_pair(
    uow: UnitOfWork, ref: TradeRef, sub: SubmissionRow, sides: list[SideState]
) -> tuple[tuple[SideState, SideState] | None, Issue | None]:
    """The pair of sides an event names, and why it takes no event when it names a version of the
    source's trade that was amended since (the live trade is the latest amendment's)."""
    if ref.ccp_trade_id is not None or ref.version is None:
        return amendment.pair_named(sides, ref), None
    versions = [sub.source_version]
    for event in await uow.events.of_submission(sub.id):
        amended = event.note.terms.amended
        if event.note.outcome is EventOutcome.CONFIRMED and amended is not None:
            versions.append(amended.identifiers.source_version)
    return amendment.pair_of_version(amendment.pairs(sides), versions, ref)


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
