"""Receipt: a submission stored durably with its Received status, and the answers that need no clearing pass.

``submit`` stores concurrent submissions together (group commit); a repeat gets its last status, a member's
own report is alleged to its counterparty, a correction withdraws the earlier versions in progress.
``withdraw`` and ``affirm`` are the source's retraction and the counterparty's answer to an alleged trade.
The rules are in ``decide``; this module reads and writes through the store's unit of work.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import structlog

from gateway.clearing import affirmation, decide, packages
from gateway.clearing.ports import (
    Affirmation,
    StatusUpdate,
    Submission,
    UnitOfWork,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import GatewayError, InputRejected, Issue, NotEligible
from gateway.domain.reasons import ReasonCode
from gateway.domain.workflow import (
    TERMINAL,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
)

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)


async def submit(svc: ClearingContext, submission: Submission) -> StatusUpdate:
    """Store the submission and its Received status; a known message or trade version gets its last status.

    Group commit: submissions that arrive while another group's transaction runs are stored together
    in the next one (in arrival order), so concurrent callers share its BEGIN, member lookup and COMMIT.
    Each caller returns only once its own submission is committed. If a group's transaction fails,
    each of its submissions is stored again in a transaction of its own, so one bad submission fails
    alone, exactly as if it had been submitted by itself.
    """
    too_long = svc.store.oversized(submission)
    if too_long:
        raise InputRejected(too_long)
    mine: asyncio.Future[StatusUpdate] = asyncio.get_running_loop().create_future()
    svc.submit_queue.append((submission, mine))
    async with svc.submit_lock:
        if not mine.done():
            group, svc.submit_queue = svc.submit_queue, []
            await _submit_group(svc, group, mine)
    return mine.result()


async def _submit_group(
    svc: ClearingContext,
    group: list[tuple[Submission, asyncio.Future[StatusUpdate]]],
    mine: asyncio.Future[StatusUpdate],
) -> None:
    """Store ``group`` in one transaction, else one transaction each; settles every future of it."""
    try:
        async with svc.writing() as uow:
            parties = {p.party_id for sub, _ in group for p in decide.parties_of(sub)}
            found = await uow.accounts.parties_and_comp_ids(parties)
            stored = await _submit_many_in(svc, uow, [sub for sub, _ in group], found)
            await _release_orders(uow, stored)
            done = [(one, fut) for one, (_, fut) in zip(stored, group, strict=True)]
    except asyncio.CancelledError:
        # Nothing of the group was committed: the others go back to the queue for the next holder.
        svc.submit_queue[:0] = [(s, f) for s, f in group if f is not mine]
        raise
    except Exception:
        if len(group) == 1:
            sub, fut = group[0]
            done = []
            try:
                async with svc.writing() as uow:
                    found = await uow.accounts.parties_and_comp_ids(
                        p.party_id for p in decide.parties_of(sub)
                    )
                    (one,) = await _submit_many_in(svc, uow, [sub], found)
                    await _release_orders(uow, [one])
                    done.append((one, fut))
            except Exception as exc:
                fut.set_exception(exc)
        else:
            log.warning("clearing.submit_group_failed", submissions=len(group))
            for n, (sub, fut) in enumerate(group):
                try:
                    await _submit_group(svc, [(sub, fut)], mine)
                except asyncio.CancelledError:
                    at = 0 if fut is mine else 1  # after the one just put back, if it was put back
                    svc.submit_queue[at:at] = [(s, f) for s, f in group[n + 1 :] if f is not mine]
                    raise
            return
    for (update, row_id, sub), fut in done:
        # committed: usable instead of the stored JSON (not a member's report: its counterparty's
        # affirmation completes the stored trade, perhaps in another process)
        if row_id and sub.reporter_party is None:
            svc.remember_trade(row_id, sub.trade)
        if isinstance(update, GatewayError):
            fut.set_exception(update)
        else:
            fut.set_result(update)
    if any(row_id for (_u, row_id, _s), _f in done):
        svc.due_work.set()


async def _submit_many_in(
    svc: ClearingContext,
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
        return await _submit_independent(svc, uow, submissions, found)
    out: list[Stored | None] = [None] * len(submissions)
    waiting: list[tuple[int, SubmissionRow, datetime, list[Recipient]]] = []

    async def flush() -> None:
        updates = await uow.statuses.received([(r, at, rs) for _, r, at, rs in waiting])
        for (n, row, _, _), update in zip(waiting, updates, strict=True):
            out[n] = (update, row.id, submissions[n])
        waiting.clear()

    for n, sub in enumerate(submissions):
        now = svc.clock.now()
        if sub.is_correction:
            refusal = await _correction_uti_taken(svc, uow, sub)
            if refusal is not None:
                await flush()
                out[n] = (refusal, 0, sub)
                continue
        row, recipients = await _insert(svc, uow, sub, now, found)
        if row is None:  # a repeat (perhaps of one earlier in this group), an affirmation, a duplicate
            await flush()
            out[n] = await _conflict(svc, uow, sub, found[0])
            continue
        if sub.is_correction:
            await flush()
            await _supersede_earlier(svc, uow, row, now)
            await _claim_uti(svc, uow, row)
        waiting.append((n, row, now, recipients))
        if row.stage is Stage.ALLEGED:
            await flush()
            await _allege(svc, uow, row, now, recipients)
    await flush()
    settled = [one for one in out if one is not None]
    assert len(settled) == len(submissions)
    return settled


async def _submit_independent(
    svc: ClearingContext,
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
        business_date = svc.hours.business_date(sub.received_at)
        new.append(NewSubmission(sub, a, b, business_date, svc.clock.now()))
    rows = await uow.submissions.insert(new)
    stored = [(row, n.at) for row, n in zip(rows, new, strict=True) if row is not None]
    updates = iter(
        await uow.statuses.received([(row, at, decide.recipients(row, comp_ids)) for row, at in stored])
    )
    out: list[Stored] = []
    for row, sub in zip(rows, submissions, strict=True):
        if row is None:
            out.append(await _conflict(svc, uow, sub, members))
        else:
            out.append((next(updates), row.id, sub))
    return out


async def _conflict(
    svc: ClearingContext, uow: UnitOfWork, sub: Submission, members: dict[str, str]
) -> Stored:
    """A submission a unique key refused: a repeat gets its last status (owed again on MQTT); the
    counterparty's own report of a trade alleged against it affirms that trade; anything else with a
    live UTI is a duplicate, refused naming the trade that holds the UTI."""
    known = await _known(svc, uow, sub)
    if known is not None:
        again = decide.source_again(sub)
        if again is not None:
            await uow.statuses.owe_latest_again(known.id, again, svc.clock.now())
        return await uow.statuses.latest(known.id), 0, sub
    uti = sub.trade.identifiers.uti
    holder = None if uti is None else await uow.submissions.live_by_uti(uti, lock=True)
    if holder is None:  # pragma: no cover - the insert was refused by a unique key
        raise RuntimeError("submission refused by a unique key but not found")
    if decide.affirms(sub, holder, members):
        return await _affirm_by_report(svc, uow, sub, holder)
    return await _duplicate(svc, uow, holder), 0, sub


async def _duplicate(svc: ClearingContext, uow: UnitOfWork, holder: SubmissionRow) -> NotEligible:
    """The refusal of a second trade with ``holder``'s live UTI, naming ``holder``."""
    ids = await uow.cleared.ccp_trade_ids_of(holder.id) if holder.stage is Stage.CLEARED else []
    return decide.duplicate_uti(holder, ids)


async def _correction_uti_taken(svc: ClearingContext, uow: UnitOfWork, sub: Submission) -> NotEligible | None:
    """A correction keeps its trade's UTI; it may not take one live as another trade."""
    uti = sub.trade.identifiers.uti
    holder = None if uti is None else await uow.submissions.live_by_uti(uti)
    if decide.correction_may_take(sub, holder):
        return None
    assert holder is not None
    return await _duplicate(svc, uow, holder)


async def _claim_uti(svc: ClearingContext, uow: UnitOfWork, row: SubmissionRow) -> None:
    """A stored correction holds its UTI once the versions it replaces are withdrawn; while an earlier
    version is novated it does not (the pass refuses it as a correction of a novated trade)."""
    uti = row.trade.identifiers.uti
    if uti is not None and await uow.submissions.live_by_uti(uti) is None:
        await uow.submissions.claim_uti(row.id, uti)


async def _allege(
    svc: ClearingContext, uow: UnitOfWork, row: SubmissionRow, now: datetime, recipients: Sequence[Recipient]
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


async def _affirm_by_report(
    svc: ClearingContext, uow: UnitOfWork, sub: Submission, holder: SubmissionRow
) -> Stored:
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
    return await _accept(svc, uow, holder, party, own.account, side_id), 0, sub


async def _accept(
    svc: ClearingContext,
    uow: UnitOfWork,
    holder: SubmissionRow,
    party: str,
    account: str | None,
    side_trade_id: str | None,
) -> StatusUpdate:
    """An alleged trade completed with its counterparty's side, due for the clearing pass now."""
    now = svc.clock.now()
    trade = affirmation.with_side(holder.trade, party, account, side_trade_id)
    await uow.submissions.affirm(holder.id, trade, now)
    accepted = dataclasses.replace(holder, trade=trade, stage=Stage.RECEIVED)
    recipients = await recipients_of(svc, uow, accepted)
    update = await uow.statuses.record(
        accepted,
        ClearingStatusCode.ACCEPTED,
        now,
        recipients,
        business_date=holder.business_date,
    )
    svc.due_work.set()
    return update


async def withdraw(
    svc: ClearingContext, source: str, source_trade_id: str, at: datetime, reason: str
) -> StatusUpdate:
    async with svc.writing() as uow:
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
        recipients = await recipients_of(svc, uow, sub)
        update = await uow.statuses.record(
            sub,
            ClearingStatusCode.WITHDRAWN,
            at,
            recipients,
            reasons=[Issue(ReasonCode.LIFE_RETRACTED, "requestClearingRetracted", reason or "withdrawn")],
        )
        await _withdraw_package(svc, uow, sub, at)
        return update


async def _withdraw_package(svc: ClearingContext, uow: UnitOfWork, sub: SubmissionRow, at: datetime) -> None:
    """A package clears whole or not at all: withdrawing one leg withdraws its other live legs with it."""
    key = packages.key_of(sub)
    if key is None:
        return
    rows = (await uow.submissions.package_legs([key], lock=True))[key]
    others, issue = packages.withdrawn_with(packages.Package.of(key, rows), sub)
    for leg in others:
        await uow.submissions.set_stage(leg.id, Stage.WITHDRAWN, at)
        await uow.statuses.record(
            leg, ClearingStatusCode.WITHDRAWN, at, await recipients_of(svc, uow, leg), reasons=[issue]
        )


async def affirm(svc: ClearingContext, affirmation: Affirmation) -> StatusUpdate:
    """The counterparty's answer to a trade alleged against it: accepted with its own side (the trade is
    then due for the clearing pass), or declined (refused, LIFE_DECLINED_BY_COUNTERPARTY). Only the
    member the trade is alleged against may answer (ELIG_NOT_COUNTERPARTY otherwise); an answer to a
    trade no longer alleged gets the trade's current status."""
    a = affirmation
    what = f"report {a.report_id!r}" if a.report_id else f"trade {a.trade_id!r}"
    path = "tradeReportRefId" if a.report_id else "tradeId"
    async with svc.writing() as uow:
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
            return await finish(svc, uow, row, Stage.REJECTED, ClearingStatusCode.REJECTED, [reason])
        party = next(p.party_id for p in row.trade.parties if p.party_id in me.party_ids)
        return await _accept(svc, uow, row, party, a.account, a.side_trade_id)


async def _known(svc: ClearingContext, uow: UnitOfWork, sub: Submission) -> SubmissionRow | None:
    ids = sub.trade.identifiers
    return await uow.submissions.find_known(
        sub.source, sub.message_id, ids.source_trade_id, ids.source_version
    )


async def _insert(
    svc: ClearingContext,
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
    business_date = svc.hours.business_date(sub.received_at)
    new = NewSubmission(sub, a, b, business_date, now, decide.affirm_member(sub, members))
    (row,) = await uow.submissions.insert([new])
    if row is None:
        return None, []
    return row, list(decide.recipients(row, comp_ids))


async def _supersede_earlier(
    svc: ClearingContext, uow: UnitOfWork, row: SubmissionRow, now: datetime
) -> None:
    """A correction withdraws the earlier versions still in progress (novated ones are left alone)."""
    earlier = await uow.submissions.versions(row.source, row.source_trade_id)
    for version in decide.superseded(row, earlier):
        locked = await uow.submissions.get(version.id, lock=True)
        assert locked is not None
        if locked.stage in TERMINAL:  # decided by a pass while this waited for its lock
            continue
        reason = decide.superseded_reason(row)
        await finish(svc, uow, locked, Stage.WITHDRAWN, ClearingStatusCode.WITHDRAWN, [reason])


async def recipients_of(svc: ClearingContext, uow: UnitOfWork, sub: SubmissionRow) -> list[Recipient]:
    return list(decide.recipients(sub, await uow.accounts.comp_ids_by_member(sub.members)))


async def finish(
    svc: ClearingContext,
    uow: UnitOfWork,
    sub: SubmissionRow,
    stage: Stage,
    status: ClearingStatusCode,
    reasons: Sequence[Issue],
    **stage_kw: object,
) -> StatusUpdate:
    at = svc.clock.now()
    await uow.submissions.set_stage(sub.id, stage, at, **stage_kw)  # type: ignore[arg-type]
    recipients = await recipients_of(svc, uow, sub)
    business_date = stage_kw.get("business_date", sub.business_date)
    assert business_date is None or isinstance(business_date, date)
    return await uow.statuses.record(
        sub, status, at, recipients, reasons=reasons, business_date=business_date
    )


Stored = tuple[StatusUpdate | GatewayError, int, Submission]


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
