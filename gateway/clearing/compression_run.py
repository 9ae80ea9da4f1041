"""A compression run in one unit of work: read the member's sides, decide (``compression``), write.

``run_compression`` finds the sides the request names (or every live side of the account), locks them
with their submissions, decides the compression, and writes in the same transaction: the terminated
sides (TERMINATED, notional zero), a ``trade_events`` row of kind COMPRESSION per terminated trade with
its statuses (Received, then Cleared) in the trade's history owed to the member(s) whose side ended
(naming the residual of its bucket as its replacement), each residual as a submission of the CCP's run
(stage CLEARED, its Received and Cleared statuses) with its one cleared side on a new CCP trade id and a
COMPRESSION event of its own (Cleared, naming every trade it replaces) owed to the member, and each
touched account's P&L vector and margin (the terminated sides taken out, the residuals added). Every
status is owed to the member's MQTT topic and its FIX sessions. A refused compression writes nothing; a
dry run decides and writes nothing.

The writes scale with the trades in a few statements per thousand: the sides read in one query per
chunk of ids (``sides_named``), the submissions in one, the events in one multi-row insert, their
statuses and outbox items in the one status writer's statements, the sides' updates in one executemany.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway.clearing import amendment
from gateway.clearing.compression import NamedSide, Valuer, compress, residual_id, terminated_side
from gateway.clearing.credit import BatchPricing
from gateway.clearing.decide import NO_RISK
from gateway.clearing.novation import CCP_TRADE_ID_SCHEME, cleared_row
from gateway.clearing.ports import UnitOfWork
from gateway.domain.clearing import (
    Channel,
    DeliveryChannel,
    EventRequest,
    NewEvent,
    RecipientRole,
    Submission,
)
from gateway.domain.compression import CompressionRequest, CompressionResult, RiskBucket
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.events import (
    EventEffect,
    EventKind,
    EventOutcome,
    EventTerms,
    Money,
    NotionalChange,
    SideState,
    TradeRef,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.domain.workflow import EventStatuses, NewSubmission, Recipient, Stage, SubmissionRow
from gateway.refdata.figures import RiskRow

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

_CHUNK = 1000  # submissions read in one statement


async def run_compression(
    svc: ClearingContext, request: CompressionRequest, valuer: Valuer, *, dry_run: bool = False
) -> CompressionResult:
    """Decide the compression and (unless ``dry_run``) store it; GatewayError with every reason when refused."""
    now = svc.clock.now()
    business_date = svc.hours.business_date(now)
    policy = svc.policy()
    prefix = policy.settings.ccp.trade_id_prefix
    async with svc.writing() as uow:
        named = await _named(uow, request, business_date)
        result = compress(
            request,
            [n for n, _ in named],
            business_date=business_date,
            settings=svc.settings.compression,
            valuer=valuer,
            ccp_party_id=policy.ccp.party_id,
            new_id=lambda n: residual_id(prefix, business_date, request.run_id, n),
        )
        if dry_run:
            return result
        ended = {s.ccp_trade_id for s in result.terminated}
        sides = {n.side.ccp_trade_id: n.side for n, _ in named} | {
            n.other.ccp_trade_id: n.other for n, _ in named if n.other is not None
        }
        gone = [sides[i] for i in sorted(ended)]
        await _risk(svc, uow, gone, result, policy.ccp.party_id, business_date, now)
        await uow.cleared.update_sides([terminated_side(s) for s in gone])
        # each side ended carries the compression as its last event (positions, and as of a date)
        await uow.cleared.mark_event(sorted(ended), EventKind.COMPRESSION.value, business_date)
        members = {s.member_id for s in gone} | {request.member_id}
        comp_ids = await uow.accounts.comp_ids_by_member(sorted(members))
        pairs: dict[int, tuple[SideState, SideState]] = {}
        for item, sub_id in named:
            if sub_id in pairs:
                continue
            if item.side.ccp_trade_id not in ended and (
                item.other is None or item.other.ccp_trade_id not in ended
            ):
                continue  # alone in its bucket (or left by a run over the account): untouched
            other = item.other or item.side  # a residual's event names its one side twice
            pair = (item.side, other) if item.side.ccp_trade_id <= other.ccp_trade_id else (other, item.side)
            pairs[sub_id] = pair
        await _events(uow, request, result, pairs, ended, comp_ids, business_date, now)
        await _residuals(uow, request, result, comp_ids, business_date, now)
    return result


async def _named(
    uow: UnitOfWork, request: CompressionRequest, business_date: date
) -> list[tuple[NamedSide, int]]:
    """Each side the request names with the other side of its trade and its submission, locked (read in
    one query per chunk of ids)."""
    ids = request.ccp_trade_ids
    if ids is None:
        ids = tuple(
            i
            for i, _, _ in await uow.cleared.in_account(request.member_id, request.account_id, business_date)
        )
    ids = tuple(dict.fromkeys(ids))
    by_submission: dict[int, list[SideState]] = {}
    submission_of: dict[str, int] = {}
    for found in await uow.cleared.sides_named(ids, lock=True):
        by_submission.setdefault(found.submission_id, []).append(found)
        submission_of[found.ccp_trade_id] = found.submission_id
    out: list[tuple[NamedSide, int]] = []
    issues: list[Issue] = []
    for n, ccp_trade_id in enumerate(ids):
        row_id = submission_of.get(ccp_trade_id)
        sides = [] if row_id is None else by_submission[row_id]
        pair = amendment.pair_named(sides, TradeRef(ccp_trade_id=ccp_trade_id))
        if row_id is not None and pair is None and [s.ccp_trade_id for s in sides] == [ccp_trade_id]:
            out.append((NamedSide(sides[0], None), row_id))  # a residual: the member's side alone
            continue
        if row_id is None or pair is None:
            issues.append(
                Issue(
                    ReasonCode.LIFE_TRADE_UNKNOWN,
                    f"trades[{n}]",
                    f"no cleared trade is CCP trade {ccp_trade_id}",
                )
            )
            continue
        side, other = pair if pair[0].ccp_trade_id == ccp_trade_id else (pair[1], pair[0])
        out.append((NamedSide(side, other), row_id))
    if issues:
        raise GatewayError(issues)
    return out


def _owed(member_ids: Sequence[str], comp_ids: Mapping[str, Sequence[str]]) -> tuple[Recipient, ...]:
    """Each member's MQTT topic, then its FIX sessions."""
    topics = tuple(Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, m) for m in member_ids)
    sessions = tuple(
        Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, c)
        for m in member_ids
        for c in comp_ids.get(m, ())
    )
    return (*topics, *sessions)


async def _locked_submissions(uow: UnitOfWork, row_ids: Sequence[int]) -> dict[int, SubmissionRow]:
    """The submissions, locked: one query per chunk; one another instance holds is waited for alone."""
    found: dict[int, SubmissionRow] = {}
    for start in range(0, len(row_ids), _CHUNK):
        for row in await uow.submissions.get_many(row_ids[start : start + _CHUNK], lock=True):
            found[row.id] = row
    for row_id in row_ids:
        if row_id not in found:
            held = await uow.submissions.get(row_id, lock=True)
            assert held is not None
            found[row_id] = held
    return found


async def _events(
    uow: UnitOfWork,
    request: CompressionRequest,
    result: CompressionResult,
    pairs: Mapping[int, tuple[SideState, SideState]],
    ended: set[str],
    comp_ids: Mapping[str, Sequence[str]],
    business_date: date,
    now: datetime,
) -> None:
    """Each trade's COMPRESSION event with its statuses (Received, Cleared), owed to each member whose side
    it ended: all stored in a few statements."""
    subs = await _locked_submissions(uow, list(pairs))
    replacement = _replacements(result)
    new: list[NewEvent] = []
    owed: list[tuple[SubmissionRow, tuple[Recipient, ...]]] = []
    for sub_id, pair in pairs.items():
        mine = [s for s in pair if s.ccp_trade_id in ended]
        first = mine[0]
        currency = first.trade.currency
        terms = EventTerms(
            kind=EventKind.COMPRESSION,
            trade=TradeRef(ccp_trade_id=first.ccp_trade_id),
            parties=tuple(s.party_id for s in mine),
            agreement_date=business_date,
            effective_date=business_date,
            notional=NotionalChange(Money(first.notional, currency), Money(Decimal(0), currency)),
            event_id=request.run_id,
            replacement=next(
                (replacement[s.ccp_trade_id] for s in mine if s.ccp_trade_id in replacement), None
            ),
        )
        event = EventRequest(
            Channel.CLI, request.requested_by, f"{request.run_id}/{first.ccp_trade_id}", now, terms
        )
        effect = EventEffect(first.notional, Decimal(0), currency)
        ids = (pair[0].ccp_trade_id, pair[1].ccp_trade_id)
        new.append(
            NewEvent(event, sub_id, EventOutcome.CONFIRMED, ids, (pair[0].trade, pair[1].trade), effect, now)
        )
        owed.append((subs[sub_id], _owed(list(dict.fromkeys(s.member_id for s in mine)), comp_ids)))
    stored = await uow.events.insert_many(new)
    statuses = [(ClearingStatusCode.RECEIVED, ()), (ClearingStatusCode.CLEARED, ())]
    await uow.statuses.record_events(
        [
            EventStatuses(sub, e, statuses, now, recipients)
            for (sub, recipients), e in zip(owed, stored, strict=True)
        ]
    )


def _replacements(result: CompressionResult) -> dict[str, PartyTradeId]:
    """Each terminated side of the member's with the residual of its bucket (a bucket netted flat has none)."""
    of_bucket = {r.bucket: r for r in result.created}
    out: dict[str, PartyTradeId] = {}
    for side in result.terminated:
        residual = None if side.bucket is None else of_bucket.get(side.bucket)
        if residual is not None:
            out[side.ccp_trade_id] = PartyTradeId(
                residual.party_id, residual.ccp_trade_id, CCP_TRADE_ID_SCHEME
            )
    return out


async def _residuals(
    uow: UnitOfWork,
    request: CompressionRequest,
    result: CompressionResult,
    comp_ids: Mapping[str, Sequence[str]],
    business_date: date,
    now: datetime,
) -> None:
    """Each residual as a submission of the CCP's run, CLEARED, with its one cleared side, and its
    COMPRESSION event (Cleared, naming the trades it replaces) owed to the member."""
    if not result.created:
        return
    new = [
        NewSubmission(
            Submission(Channel.CLI, request.requested_by, f"{request.run_id}/{r.ccp_trade_id}", now, r.trade),
            member_a=request.member_id,
            member_b=None,
            business_date=business_date,
            at=now,
        )
        for r in result.created
    ]
    rows = await uow.submissions.insert(new)
    stored = []
    for residual, row in zip(result.created, rows, strict=True):
        if row is None:  # its message id (run id / residual id) is known: the run id was used before
            raise GatewayError.of(
                ReasonCode.REF_ALREADY_EXISTS, "run_id", f"compression run {request.run_id} is already stored"
            )
        await uow.submissions.set_stage(row.id, Stage.CLEARED, now, business_date=business_date)
        stored.append(
            (
                row,
                cleared_row(
                    residual.trade,
                    residual.ccp_trade_id,
                    request.member_id,
                    request.account_id,
                    residual.party_id,
                ),
            )
        )
    await uow.cleared.insert(
        [(row.id, side) for row, side in stored], {row.id: business_date for row, _ in stored}, now
    )
    await uow.cleared.mark_event(
        sorted(side.ccp_trade_id for _, side in stored), EventKind.COMPRESSION.value, business_date
    )
    await uow.statuses.received([(row, now, ()) for row, _ in stored])
    cleared = []
    for row, _ in stored:
        sub = await uow.submissions.get(row.id)  # as the stage change left it
        assert sub is not None
        await uow.statuses.record(sub, ClearingStatusCode.CLEARED, now, (), business_date=business_date)
        after = await uow.submissions.get(row.id)
        assert after is not None
        cleared.append(after)
    originating: dict[RiskBucket, list[str]] = {}
    for side in result.member_terminated:
        if side.bucket is not None:
            originating.setdefault(side.bucket, []).append(side.ccp_trade_id)
    events = [
        NewEvent(
            EventRequest(
                Channel.CLI,
                request.requested_by,
                f"{request.run_id}/{r.ccp_trade_id}",
                now,
                EventTerms(
                    kind=EventKind.COMPRESSION,
                    trade=TradeRef(ccp_trade_id=r.ccp_trade_id),
                    parties=(r.party_id,),
                    agreement_date=business_date,
                    effective_date=business_date,
                    notional=None,
                    event_id=request.run_id,
                    originating=tuple(sorted(originating.get(r.bucket, ()))),
                ),
            ),
            sub.id,
            EventOutcome.CONFIRMED,
            (r.ccp_trade_id, r.ccp_trade_id),
            (r.trade, r.trade),
            EventEffect(Decimal(0), r.trade.streams[0].notional, r.trade.currency),
            now,
        )
        for r, sub in zip(result.created, cleared, strict=True)
    ]
    told = await uow.events.insert_many(events)
    owed = _owed([request.member_id], comp_ids)
    await uow.statuses.record_events(
        [
            EventStatuses(sub, e, [(ClearingStatusCode.CLEARED, ())], now, owed)
            for sub, e in zip(cleared, told, strict=True)
        ]
    )


async def _risk(
    svc: ClearingContext,
    uow: UnitOfWork,
    gone: Sequence[SideState],
    result: CompressionResult,
    ccp_party_id: str,
    business_date: date,
    now: datetime,
) -> None:
    """Each touched account's P&L vector and margin: its terminated sides taken out (added as the CCP held
    them), the residuals added as the member holds them."""
    parts: dict[tuple[str, str], list[tuple[Trade, str]]] = {}
    counts: dict[tuple[str, str], int] = {}
    for side in gone:
        key = (side.member_id, side.account_id)
        parts.setdefault(key, []).append((side.trade, ccp_party_id))
        counts[key] = counts.get(key, 0) - 1
    key = (result.request.member_id, result.request.account_id)
    for residual in result.created:
        parts.setdefault(key, []).append((residual.trade, residual.party_id))
        counts[key] = counts.get(key, 0) + 1
    checker = svc.checker()
    stored = await uow.accounts.risk_many(sorted(parts), lock=True)
    states: dict[tuple[str, str], RiskRow] = {}
    for (member_id, account_id), items in sorted(parts.items()):
        member = await uow.accounts.member(member_id)
        account = None if member is None else member.account(account_id)
        if member is None or account is None:
            raise GatewayError.of(
                ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                f"member[{member_id}].account[{account_id}]",
                "the account of a compressed trade is no longer known",
            )
        if isinstance(checker, BatchPricing):
            checker.prepare([(t, account.account_type) for t, _ in items])
        before = stored.get((member_id, account_id)) or NO_RISK
        pnl, margin = before.pnl_vector, before.margin
        for trade, viewer in items:
            impact = checker.margin_impact(
                trade, viewer, account.base_currency, pnl, business_date, account.account_type
            )
            pnl, margin = impact.pnl_after, impact.margin_after
        count = max(before.trade_count + counts[(member_id, account_id)], 0)
        states[(member_id, account_id)] = RiskRow(margin, pnl, count)
    await uow.accounts.put_risk_many(states, stored.keys(), now)
