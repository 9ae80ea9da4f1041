"""End of day: trades not registered by the close are refused, lifecycle events proposed over FIX and never
accepted are refused, reservations expire, trades mature, and every account is revalued (when the margin
model can value accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import structlog

from gateway.clearing import decide, event_proposals, receipt
from gateway.clearing.revaluation import PortfolioValuer, RevaluationReport
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.workflow import (
    TERMINAL,
    Stage,
    submission_ref,
)
from gateway.refdata.figures import RiskRow

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EodReport:
    """What end of day did: trades refused for not being registered, and any that could not be handled."""

    business_date: date
    refused: tuple[str, ...]
    reservations_expired: int
    failures: tuple[tuple[str, str], ...] = ()  # (submission id, error)
    revaluation: RevaluationReport | None = None  # None when the margin model cannot value accounts
    matured: int = 0  # cleared trades that reached their maturity date
    proposals_refused: tuple[str, ...] = ()  # lifecycle events proposed over FIX and never answered


async def end_of_day(svc: ClearingContext, business_date: date, *, drain: bool = True) -> EodReport:
    """Refuse every trade of ``business_date`` (or earlier) not registered, backloads excepted.

    With ``drain`` (the default) whatever is due is processed first, so a trade that can clear does.
    """
    if drain:
        await svc.drain()
    refused: list[str] = []
    failures: list[tuple[str, str]] = []
    async with svc.pass_lock:
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
                    refused.append(sub.ref)
            except Exception as exc:  # batch: report and carry on with the next trade
                log.exception("clearing.eod_refusal_failed", submission_id=submission_ref(row_id))
                failures.append((submission_ref(row_id), f"{type(exc).__name__}: {exc}"))
        proposals = await event_proposals.expire(svc, business_date)
        async with svc.writing() as uow:
            expired = await uow.accounts.expire_reservations(business_date)
            matured = await uow.cleared.mature(business_date)
        revaluation = await _revalue(svc, business_date) if isinstance(svc.credit, PortfolioValuer) else None
    log.info("clearing.eod", business_date=str(business_date), refused=len(refused), failures=len(failures))
    return EodReport(
        business_date, tuple(refused), expired, tuple(failures), revaluation, matured, tuple(proposals)
    )


async def end_of_day_if_closed(svc: ClearingContext, last: date | None) -> date | None:
    now = svc.clock.now()
    today = now.astimezone(svc.hours.tz).date()
    if today == last or not svc.hours.is_business_day(today) or now < svc.hours.close_of(today):
        return last
    report = await end_of_day(svc, today, drain=False)
    if report.failures:
        log.error("clearing.eod_failures", business_date=str(today), failures=len(report.failures))
    return today


async def revalue(svc: ClearingContext, business_date: date) -> RevaluationReport:
    """Value every live cleared trade and rebuild each account's P&L vector and margin."""
    if not isinstance(svc.credit, PortfolioValuer):
        raise RuntimeError("the configured margin model cannot revalue accounts")
    async with svc.pass_lock:
        return await _revalue(svc, business_date)


async def _revalue(svc: ClearingContext, business_date: date) -> RevaluationReport:
    valuer = svc.credit
    assert isinstance(valuer, PortfolioValuer)
    async with svc.store.read() as uow:
        accounts = await uow.cleared.accounts(business_date)
    valued = 0
    failures: list[tuple[str, str]] = []
    for member_id, account_id in accounts:
        try:
            async with svc.writing() as uow:
                member = await uow.accounts.member(member_id)
                account = None if member is None else member.account(account_id)
                if account is None:
                    failures.append((f"{member_id}/{account_id}", "account no longer in the reference data"))
                    continue
                await uow.accounts.risk(member_id, account_id, lock=True)
                rows = await uow.cleared.in_account(member_id, account_id, business_date)
                result = valuer.revalue_account(
                    [(trade, party) for _, party, trade in rows],
                    account.base_currency,
                    account.account_type,
                    business_date,
                )
                npvs = [(ccp_id, npv) for (ccp_id, _, _), npv in zip(rows, result.npvs, strict=True)]
                await uow.cleared.set_npvs(npvs)
                state = RiskRow(result.margin, result.pnl_vector, len(rows))
                await uow.accounts.put_risk(member_id, account_id, state, svc.clock.now())
                valued += sum(1 for v in result.npvs if v is not None)
                failures += [(rows[i][0], f"{issue.code}: {issue.message}") for i, issue in result.failures]
        except Exception as exc:  # batch: report the account and carry on
            log.exception("clearing.revalue_failed", member=member_id, account=account_id)
            failures.append((f"{member_id}/{account_id}", f"{type(exc).__name__}: {exc}"))
    return RevaluationReport(len(accounts), valued, tuple(failures))
