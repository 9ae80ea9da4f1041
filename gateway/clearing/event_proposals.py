"""Lifecycle events proposed by one clearing member over FIX: alleged to the other, decided when it accepts.

A member that reports over FIX asks for an event on a cleared trade the way it reports a trade: two-sided.
``propose`` checks who asks (a member of the trade, naming its own side and account) and that the trade
is live, then stores the proposal (a ``trade_events`` row, outcome PROPOSED: it survives a restart) with
the status AwaitingAcceptance owed to both members' FIX sessions (the other member reads it as Alleged).
Nothing changes on the trade yet. ``answer`` takes the other member's Accept or Decline: an Accept makes
the request both members' (its parties both named, ``EventRequest.accepted_by`` set) and decides it as
any event is decided (``trade_events.decide_event``: live, economics, blackout, margin) in the same unit
of work; a Decline refuses it (LIFE_DECLINED_BY_COUNTERPARTY). ``expire`` refuses at end of day every
proposal of that business day or earlier still unanswered (LIFE_NOT_AFFIRMED_BY_EOD). Each answer's
statuses go to both members' FIX sessions and (the final one) their MQTT topics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from gateway.clearing import amendment, lifecycle, trade_events
from gateway.clearing.ports import Affirmation, EventProposal, EventRequest, StatusUpdate, UnitOfWork
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.events import EventOutcome, SideState, StoredEvent, TradeRef, with_other_member
from gateway.domain.reasons import ReasonCode
from gateway.domain.workflow import Recipient, SubmissionRow

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext


def proposer_issues(
    sides: tuple[SideState, SideState], proposal: EventProposal, ref: TradeRef
) -> list[Issue]:
    """Who may propose: a member of the trade, naming its own side (by CCP trade id) and its own account.
    Pure; the issues are refusals of who asks, not of what is asked."""
    own = [s for s in sides if s.party_id == proposal.party_id]
    if not own:
        return [
            Issue(
                ReasonCode.ELIG_NOT_COUNTERPARTY,
                "tradeId",
                f"{proposal.party_id} is no member side of {ref.describe()}: only its two members propose events",
            )
        ]
    side = own[0]
    issues = []
    if ref.ccp_trade_id is not None and ref.ccp_trade_id != side.ccp_trade_id:
        issues.append(
            Issue(
                ReasonCode.ELIG_ACCOUNT_NOT_YOURS,
                "tradeId",
                f"{ref.ccp_trade_id} is the other member's side; name your own ({side.ccp_trade_id})",
            )
        )
    if proposal.account is not None and proposal.account != side.account_id:
        issues.append(
            Issue(
                ReasonCode.ELIG_ACCOUNT_NOT_YOURS,
                "account",
                f"{proposal.account!r} is not the account of {proposal.party_id}'s side ({side.account_id})",
            )
        )
    return issues


async def propose(svc: ClearingContext, proposal: EventProposal) -> StatusUpdate:
    """Store a member's proposal and allege it to the other member; its AwaitingAcceptance status (a
    repeat of a known proposal message: the event's last status). GatewayError when the trade is not one
    of the member's, not known, or not live."""
    request = proposal.request
    now = svc.clock.now()
    async with svc.writing() as uow:
        known = await uow.events.find(request.source, request.message_id)
        if known is not None:
            return await _last_status(uow, known)
        row_id, request = await _named(uow, request)
        sub = None if row_id is None else await uow.submissions.get(row_id, lock=True)
        sides = [] if row_id is None else await uow.cleared.sides(row_id, lock=True)
        pair = amendment.pair_named(sides, request.terms.trade)
        if sub is None or pair is None:
            named = request.terms.trade.ccp_trade_id or request.terms.trade.source_trade_id
            raise GatewayError.of(
                ReasonCode.LIFE_TRADE_UNKNOWN,
                "tradeId",
                f"no cleared trade has the id {named!r}: neither a CCP trade id nor a trade {request.source} reported",
            )
        issues = proposer_issues(pair, proposal, request.terms.trade)
        gone = lifecycle.not_live(lifecycle.LiveTrade(sub.source, pair), svc.hours.business_date(now))
        if gone is not None:
            issues.append(dataclasses.replace(gone, path="tradeId"))
        if issues:
            raise GatewayError(issues)
        other = next(s for s in pair if s.party_id != proposal.party_id)
        if proposal.fee is not None:  # the fee between the proposer and the other member
            terms = dataclasses.replace(
                request.terms, fee=proposal.fee.between(proposal.party_id, other.party_id)
            )
            request = dataclasses.replace(request, terms=terms)
        if request.terms.amended is not None:  # the other member's side as it is cleared now
            party = dataclasses.replace(sub.trade.party(other.party_id), account=other.account_id)
            amended = with_other_member(request.terms.amended, party, sub.trade)
            request = dataclasses.replace(request, terms=dataclasses.replace(request.terms, amended=amended))
        ids = (pair[0].ccp_trade_id, pair[1].ccp_trade_id)
        stored = await uow.events.insert(
            request, sub.id, EventOutcome.PROPOSED, ids, (pair[0].trade, pair[1].trade), None, now
        )
        sessions = _sessions(sub, await uow.accounts.comp_ids_by_member(sub.members))
        (update,) = await uow.statuses.record_event(
            sub, stored, [(ClearingStatusCode.AWAITING_ACCEPTANCE, ())], now, sessions
        )
        return update


async def answer(svc: ClearingContext, a: Affirmation) -> StatusUpdate:
    """The other member's Accept (the event decided now) or Decline of a proposal, named by the proposal's
    TradeReportID (``report_id``), else by a CCP trade id of the trade (``trade_id``); the event's final
    status. GatewayError: no such open proposal, or the answering member is not its counterparty."""
    what = f"proposal {a.report_id!r}" if a.report_id else f"a proposal on {a.trade_id!r}"
    path = "tradeReportRefId" if a.report_id else "tradeId"
    now = svc.clock.now()
    async with svc.writing() as uow:
        me = await uow.accounts.member_by_party(a.party_id)
        open_ = [
            e
            for e, _ in await uow.events.proposed(message_id=a.report_id, lock=True)
            if a.report_id is not None or a.trade_id in e.note.ccp_trade_ids
        ]
        if not open_:
            raise GatewayError.of(ReasonCode.FIX_UNKNOWN_TRADE, path, f"no {what} waits for an answer")
        mine: list[tuple[StoredEvent, str]] = []
        for event in open_:
            other = await _counterparty(uow, event)
            if me is not None and other is not None and other in me.party_ids:
                mine.append((event, other))
        if not mine:
            raise GatewayError.of(
                ReasonCode.ELIG_NOT_COUNTERPARTY,
                path,
                f"{what} is not proposed to {a.party_id}: only the trade's other member accepts or declines it",
            )
        if len(mine) > 1:
            raise GatewayError.of(
                ReasonCode.FIX_INVALID_VALUE,
                path,
                f"{len(mine)} proposals match {what}: name one by its report id",
            )
        event, party = mine[0]
        if not a.accept:
            reason = Issue(
                ReasonCode.LIFE_DECLINED_BY_COUNTERPARTY,
                "tradeReportType",
                a.reason or f"declined by {a.comp_id}",
            )
            return await _refuse(svc, uow, event, [reason])
        terms = dataclasses.replace(event.note.terms, parties=(*event.note.terms.parties, party))
        request = EventRequest(
            Channel.FIX,
            event.source,
            event.message_id,
            now,
            terms,
            event.correlation_id,
            accepted_by=a.comp_id,
        )
        decided, taken = await trade_events.decide_event(svc, uow, request, event.submission_id)
        settled = await uow.events.settle_proposal(
            event, terms, taken.outcome, taken.ids, taken.result, taken.effect, now
        )
        comp_ids = await uow.accounts.comp_ids_by_member(decided.members)
        await uow.statuses.record_event(
            decided, settled, [(ClearingStatusCode.ACCEPTED, ())], now, _sessions(decided, comp_ids)
        )
        sub = dataclasses.replace(decided, last_sequence=decided.last_sequence + 1)
        (final,) = await uow.statuses.record_event(
            sub, settled, [taken.status], now, trade_events.recipients(sub, request, comp_ids)
        )
        return final


async def expire(svc: ClearingContext, business_date: date) -> list[str]:
    """End of day: every proposal received on ``business_date`` or earlier and still unanswered is refused
    (LIFE_NOT_AFFIRMED_BY_EOD); the message ids refused."""
    refused: list[str] = []
    async with svc.writing() as uow:
        for event, received in await uow.events.proposed(lock=True):
            if svc.hours.business_date(received) > business_date:
                continue
            reason = Issue(
                ReasonCode.LIFE_NOT_AFFIRMED_BY_EOD,
                "tradeReportType",
                f"the other member had not accepted proposal {event.message_id} by the end of {business_date}",
            )
            await _refuse(svc, uow, event, [reason])
            refused.append(event.message_id)
    return refused


async def _refuse(
    svc: ClearingContext, uow: UnitOfWork, event: StoredEvent, reasons: Sequence[Issue]
) -> StatusUpdate:
    now = svc.clock.now()
    sub = await uow.submissions.get(event.submission_id, lock=True)
    assert sub is not None
    note = event.note
    settled = await uow.events.settle_proposal(
        event, note.terms, EventOutcome.REFUSED, note.ccp_trade_ids, note.cleared, None, now
    )
    request = EventRequest(Channel.FIX, event.source, event.message_id, now, note.terms, event.correlation_id)
    comp_ids = await uow.accounts.comp_ids_by_member(sub.members)
    (update,) = await uow.statuses.record_event(
        sub,
        settled,
        [(ClearingStatusCode.REJECTED, reasons)],
        now,
        trade_events.recipients(sub, request, comp_ids),
    )
    return update


async def _named(uow: UnitOfWork, request: EventRequest) -> tuple[int | None, EventRequest]:
    """The trade a proposal names: a CCP trade id, else (the same text) the member's own trade id as it
    reported the trade; the request then names it so."""
    ref = request.terms.trade
    found = await trade_events.named_trade(uow, ref, request.source)
    if found is None and ref.ccp_trade_id is not None:
        own = TradeRef(source_trade_id=ref.ccp_trade_id)
        found = await trade_events.named_trade(uow, own, request.source)
        if found is not None:
            request = dataclasses.replace(request, terms=dataclasses.replace(request.terms, trade=own))
    return found, request


async def _counterparty(uow: UnitOfWork, event: StoredEvent) -> str | None:
    """The member party of the event's trade that did not propose it."""
    sides = await uow.cleared.sides(event.submission_id)
    pair = amendment.pair_named(sides, TradeRef(ccp_trade_id=event.note.ccp_trade_ids[0]))
    proposer = event.note.terms.parties[0] if event.note.terms.parties else None
    others = [] if pair is None else [s.party_id for s in pair if s.party_id != proposer]
    return others[0] if len(others) == 1 else None


async def _last_status(uow: UnitOfWork, event: StoredEvent) -> StatusUpdate:
    told = [u for u in await uow.statuses.history(event.submission_id) if u.event is not None]
    return [u for u in told if u.event is not None and u.event.event_id == event.note.event_id][-1]


def _sessions(sub: SubmissionRow, comp_ids: Mapping[str, Sequence[str]]) -> tuple[Recipient, ...]:
    """Both members' FIX sessions (a proposal and its acceptance are FIX statuses only)."""
    return tuple(
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, c)
        for m in sub.members
        for c in comp_ids.get(m, ())
    )
