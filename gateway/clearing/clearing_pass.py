"""The clearing pass: every due submission decided in batches, one transaction per batch.

Reads are one query per kind for the whole batch, the new trades are priced in one kernel, and each trade is
then decided in turn by ``decide`` against the state the trades before it left. When a batch cannot be
written, nothing of it is: each submission is then taken alone, so one bad trade never holds up the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import DBAPIError

from gateway.clearing import decide, packages, receipt, waiting_events
from gateway.clearing.credit import BatchPricing
from gateway.clearing.ports import (
    UnitOfWork,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.workflow import (
    TERMINAL,
    Stage,
    SubmissionRow,
    Transition,
    submission_ref,
)

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)


async def drain(svc: ClearingContext, batch: int = 200) -> int:
    """Process every submission that is due now, then decide again the lifecycle events waiting for
    collateral that a lodgement flagged; returns how many were processed."""
    if svc.credit is None:
        raise RuntimeError("no credit checker configured: this service can store and report, not clear")
    async with svc.pass_lock:
        done = await _drain_due(svc, batch)
        # then the lifecycle events waiting for collateral that a lodgement flagged
        return done + await waiting_events.retry_flagged(svc)


async def _drain_due(svc: ClearingContext, batch: int) -> int:
    done = 0
    after = 0  # one pass: each submission is taken at most once, so a drain always ends
    while True:
        now = svc.clock.now()
        async with svc.store.read(snapshot=False) as uow:
            ids = await uow.submissions.due(now, open_now=svc.hours.is_open(now), limit=batch, after_id=after)
        if not ids:
            return done
        done += await _process_batch(svc, ids)
        if len(ids) < batch:  # that was all that was due; what arrived since wakes ``run`` again
            return done
        after = ids[-1]


async def _process_batch(svc: ClearingContext, ids: Sequence[int]) -> int:
    """Decide these submissions in one transaction; how many were processed (not left for the next pass).

    When the batch cannot be written (a database error, or a defect that escaped one trade's decision),
    nothing of it is: the transaction is rolled back whole and each submission is then taken alone, so
    one bad trade never holds up the others and a crash never leaves half a batch.
    """
    if len(ids) > 1:
        try:
            async with svc.writing() as uow:
                decided = await _decide_batch(svc, uow, ids)
        except Exception:
            log.warning("clearing.batch_retried_one_by_one", first=ids[0], size=len(ids), exc_info=True)
        else:
            _decided(svc, decided)
            return len(ids)
    done = 0
    for row_id in ids:
        if await process_one(svc, row_id):
            done += 1
    return done


async def process_one(svc: ClearingContext, row_id: int) -> bool:
    """Process one submission; False when the database failed and it is left for the next pass."""
    try:
        async with svc.writing() as uow:
            decided = await _decide_batch(svc, uow, [row_id])
        _decided(svc, decided)
        return True
    except DBAPIError as exc:
        # A lock timeout, a deadlock with another instance, a lost connection: nothing was written;
        # the submission stays due and is taken again at the next pass.
        log.warning("clearing.process_deferred", submission_id=submission_ref(row_id), error=str(exc.orig))
        return False
    except Exception as exc:
        log.exception("clearing.process_failed", submission_id=submission_ref(row_id))
        # Never leave a poison submission to loop: refuse it with an internal error the operator can see.
        async with svc.writing() as uow:
            sub = await uow.submissions.get(row_id, lock=True)
            if sub is not None and sub.stage not in TERMINAL:
                issue = Issue(ReasonCode.INTERNAL_ERROR, "trade", f"{type(exc).__name__}: {exc}")
                await receipt.finish(svc, uow, sub, Stage.REJECTED, ClearingStatusCode.REJECTED, [issue])
        return True


def _decided(svc: ClearingContext, batch: decide.Batch | None) -> None:
    """After a pass has committed: a line per decision, and the novations' cleared trades remembered."""
    if batch is None:
        return
    for n in batch.novated:
        svc.remember_cleared(n.row_id, n.cleared)
    for t in batch.transitions:
        _log_decision(t)


async def _decide_batch(svc: ClearingContext, uow: UnitOfWork, ids: Sequence[int]) -> decide.Batch | None:
    """Decide every submission of ``ids`` in order, in memory, then write every outcome at once.

    Reads are one query per kind for the whole batch (the submissions, locked; the versions of their
    trades; members and CompIDs; the accounts' risk states, locked in one global order; collateral,
    margins and reservations), the new trades are priced in one kernel, and each trade is then decided
    in turn against the state the trades before it left (so two trades on one account compound, and a
    version decided earlier in the batch counts for a later one). A trade whose decision fails on a
    defect is refused with INTERNAL_ERROR; the others are unaffected.
    """
    rows = await uow.submissions.get_many(ids, lock=True, trades=svc.trades_seen)
    subs = [s for s in rows if s.stage not in TERMINAL]
    if not subs:
        return None
    # a package is decided whole: every leg of a package any due submission belongs to, whether due or not
    pkgs = await _packages(svc, uow, subs)
    legs = {r.id: r for p in pkgs.values() for r in p.legs if packages.waiting_stage(r.stage)}
    todo = sorted({**legs, **{s.id: s for s in subs}}.values(), key=lambda s: s.id)
    now = svc.clock.now()
    open_now = svc.hours.is_open(now)
    policy = svc.policy()
    checker = policy.margin_model()
    batch = decide.Batch(now=now, open_now=open_now)
    batch.members = await uow.accounts.members_by_party({p.party_id for s in todo for p in s.trade.parties})
    batch.versions = await uow.submissions.versions_of({(s.source, s.source_trade_id) for s in todo})
    batch.comp_ids = {m.member_id: list(m.comp_ids) for m in batch.members.values()}
    unknown = {m for p in pkgs.values() for s in p.legs for m in s.members} | {
        m for s in subs for m in s.members
    }
    unknown -= batch.comp_ids.keys()
    if unknown:  # a member named at receipt whose party is no longer known
        batch.comp_ids |= await uow.accounts.comp_ids_by_member(unknown)

    # what may reach the credit check: its accounts are locked and read, its trade priced, up front
    plans: dict[int, decide.Plan | Exception] = {}
    for s in todo:
        try:
            plans[s.id] = decide.plan(policy, s, batch)
        except Exception as exc:  # refused with INTERNAL_ERROR in the loop below
            plans[s.id] = exc
    priced = [
        p for p in plans.values() if isinstance(p, decide.Plan) and decide.reaches_credit_check(p, batch)
    ]
    keys = {(d.member.member_id, d.account.account_id) for p in priced for d in p.sides or ()}
    stored = await uow.accounts.risk_many(keys, lock=True)
    batch.book = {k: stored.get(k, decide.NO_RISK) for k in keys}
    batch.figures = await uow.accounts.figures({m for m, _ in keys})
    if any(batch.members_by_id()[m].tolerance_limit > 0 for m, _ in keys):
        batch.pool = await uow.accounts.tolerance_pool()
    if isinstance(checker, BatchPricing) and priced:
        # On a worker thread: the kernel's numpy work releases the GIL, so intake and the publishers run
        # on the other core meanwhile. Only this pass (under ``_lock``) prepares.
        items = [(p.trade, d.account.account_type) for p in priced for d in p.sides or ()]
        await asyncio.to_thread(checker.prepare, items)

    decided: set[packages.PackageKey] = set()
    for s in subs:
        key = packages.key_of(s)
        if key is not None:
            # a defect here fails the batch (nothing of it is written): no package is ever half decided
            if key not in decided:
                decided.add(key)
                packages.decide_package(policy, pkgs[key], plans, batch)
            continue
        try:
            plan = plans[s.id]
            if isinstance(plan, Exception):
                raise plan
            decide.decide(policy, s, plan, batch)
        except Exception as exc:
            log.exception(
                "clearing.process_failed",
                submission_id=s.ref,
                source=s.source,
                trade_id=s.source_trade_id,
            )
            decide.internal_error(s, batch, exc)

    await uow.statuses.write(batch.transitions)
    await uow.cleared.insert(batch.cleared, batch.cleared_dates, now)
    await uow.accounts.put_risk_many({k: batch.book[k] for k in batch.touched}, stored.keys(), now)
    return batch


async def _packages(
    svc: ClearingContext, uow: UnitOfWork, subs: Sequence[SubmissionRow]
) -> dict[packages.PackageKey, packages.Package]:
    """The packages ``subs`` are legs of, each with all its legs (locked: another instance waits)."""
    keys = {k for s in subs if (k := packages.key_of(s)) is not None}
    if not keys:
        return {}
    stored = await uow.submissions.package_legs(keys, lock=True, trades=svc.trades_seen)
    mine = {s.id: s for s in subs}
    return {k: packages.Package.of(k, [mine.get(r.id, r) for r in rows]) for k, rows in stored.items()}


def _log_decision(t: Transition) -> None:
    """One INFO line per decision the parties are told of: ``clearing.novated`` (with the CCP trade ids),
    ``clearing.rejected`` or ``clearing.pending``, with the submission id, the trade and the reason codes."""
    if t.status is None:  # a stage change nobody is told of (still queued)
        return
    sub = t.sub
    log.info(
        "clearing.novated" if t.ccp_trade_ids else f"clearing.{t.status.value.lower()}",
        submission_id=sub.ref,
        source=sub.source,
        trade_id=sub.source_trade_id,
        uti=sub.trade.identifiers.uti,
        members=list(sub.members),
        status=t.status.value,
        reasons=[str(i.code) for i in t.reasons],
        ccp_trade_ids=list(t.ccp_trade_ids),
    )
