"""End of day's revaluation step: every live cleared side of the business date read a page at a time,
valued in large batches across accounts (``book_valuation``), each page's NPVs written as the latest and as
the day's in one transaction, then every account's P&L vector and margin in one more.

Rerunning it rewrites the same rows (the day's NPV history is replaced, the risk rows overwritten), so
the step is idempotent as ``eod_runs`` needs. Memory follows the page size, not the book.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

import structlog

from gateway.clearing.addons import member_total
from gateway.clearing.book_valuation import AccountKey, AccountTerms, BookRun, value_page
from gateway.clearing.revaluation import PortfolioValuer, RevaluationReport

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)

PAGE = 10_000  # sides read, valued and written together


async def revalue_book(
    svc: ClearingContext, valuer: PortfolioValuer, business_date: date, *, page_size: int = PAGE
) -> RevaluationReport:
    """Value the live book of ``business_date`` with ``valuer`` and store NPVs, NPV history and accounts' risk."""
    async with svc.store.read() as uow:
        keys = await uow.cleared.accounts(business_date)
        members = {m: await uow.accounts.member(m) for m in sorted({m for m, _ in keys})}
    accounts: dict[AccountKey, AccountTerms] = {}
    failures: list[tuple[str, str]] = []
    for member_id, account_id in keys:
        member = members.get(member_id)
        account = None if member is None else member.account(account_id)
        if account is None:
            failures.append((f"{member_id}/{account_id}", "account no longer in the reference data"))
            continue
        accounts[(member_id, account_id)] = AccountTerms(account.base_currency, account.account_type)
    keyed = sorted(accounts)
    book = BookRun(
        accounts, valuer, valuer.book([accounts[k].account_type for k in keyed], business_date), business_date
    )
    valued = 0
    after: tuple[int, str] | None = None
    while True:
        async with svc.store.read() as uow:
            page = await uow.cleared.live_sides(business_date, after, page_size)
        if not page:
            break
        after = (page[-1].submission_id, page[-1].ccp_trade_id)
        try:
            done = value_page(book, page)
            async with svc.writing(outbox=False) as uow:
                await uow.cleared.set_npvs(done.npvs)
                await uow.eod.put_npvs(business_date, done.history)
        except Exception as exc:  # batch: report the page's accounts and carry on with the next page
            log.exception("clearing.revalue_failed", first=page[0].ccp_trade_id, last=page[-1].ccp_trade_id)
            for s in page:
                book.broken.setdefault((s.member_id, s.account_id), f"{type(exc).__name__}: {exc}")
            continue
        valued += done.valued
        failures += done.failures
    failures += [(f"{m}/{a}", why) for (m, a), why in sorted(book.broken.items())]
    states = {}
    for key, row in book.risk_rows().items():  # each account's IM with its member's add-ons, as registration
        member = members.get(key[0])
        if member is not None:
            im = member_total(svc.settings.credit, svc.fx, member, accounts[key].base_currency, row.margin)
            states[key] = dataclasses.replace(row, margin=im)
    async with svc.writing(outbox=False) as uow:
        existing = await uow.accounts.risk_many(states, lock=True)
        await uow.accounts.put_risk_many(states, existing, svc.clock.now())
    return RevaluationReport(len(keys), valued, tuple(failures))
