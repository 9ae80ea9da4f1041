"""The pre-trade credit check of one member side (FIX NewOrderSingle) and the release of its reservation."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import structlog

from gateway.clearing import figures as credit_figures
from gateway.clearing.addons import member_impact
from gateway.clearing.credit import CreditPosition
from gateway.clearing.credit import decide as decide_credit
from gateway.clearing.ports import (
    CreditDecision,
    UnitOfWork,
)
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.refdata.model import Member

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext

log = structlog.get_logger(__name__)


async def credit_check(
    svc: ClearingContext, member: str, account: str, trade: Trade, order_id: str
) -> CreditDecision:
    """Pre-trade check of one member side; an approval reserves the incremental margin until released."""
    now = svc.clock.now()
    async with svc.writing(outbox=False) as uow:
        m = await uow.accounts.member(member)
        acct = None if m is None else m.account(account)
        if m is None or acct is None:
            issue = Issue(
                ReasonCode.REF_UNKNOWN_MEMBER, "account", f"no account {account!r} of member {member!r}"
            )
            return CreditDecision(
                False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
            )
        if not m.is_active:
            issue = Issue(ReasonCode.ELIG_MEMBER_SUSPENDED, "member", f"member {member} is suspended")
            return CreditDecision(
                False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
            )
        member = m.member_id  # reservations are the member's, whichever id the channel knows it by
        held = await uow.accounts.reservation(member, order_id)
        if held is not None:
            return CreditDecision(True, member, account, held, held)
        party = next((p.party_id for p in trade.parties if p.party_id in m.party_ids), None)
        if party is None:
            issue = Issue(
                ReasonCode.ELIG_UNKNOWN_PARTY, "parties", f"member {member} is not a party of the trade"
            )
            return CreditDecision(
                False, member, account, Decimal(0), Decimal(0), reasons=(issue,), assessed=False
            )
        trade = svc.products.normalise(trade)
        try:
            risk = await uow.accounts.risk(member, account, lock=True)
            impact = member_impact(
                svc.settings.credit,
                svc.fx,
                m,
                acct.base_currency,
                svc.checker().margin_impact(
                    trade, party, acct.base_currency, risk.pnl_vector, now.date(), acct.account_type
                ),
            )
        except GatewayError as exc:
            return CreditDecision(
                False, member, account, Decimal(0), Decimal(0), reasons=exc.issues, assessed=False
            )
        position = await _credit_position(svc, uow, m, account)
        decision = decide_credit(member, account, impact.incremental_margin, position)
        if decision.approved and impact.incremental_margin > 0:
            await uow.accounts.reserve(
                member,
                account,
                order_id,
                impact.incremental_margin,
                svc.hours.business_date(now),
                now,
            )
        return decision


async def release_credit(svc: ClearingContext, member: str, order_id: str) -> None:
    """Release an open pre-trade reservation; an order with none (unknown, refused, already released or
    registered) is an error the channel reports (FIX: OrderCancelReject)."""
    async with svc.writing(outbox=False) as uow:
        m = await uow.accounts.member(member)
        if m is None or not await uow.accounts.release(m.member_id, order_id):
            raise GatewayError(
                [
                    Issue(
                        ReasonCode.FIX_UNKNOWN_TRADE,
                        "order",
                        f"no open credit reservation for order {order_id!r}",
                    )
                ]
            )


async def _credit_position(
    svc: ClearingContext, uow: UnitOfWork, member: Member, account_id: str
) -> CreditPosition:
    """The stored figures of one account (the pre-trade check)."""
    figures = (await uow.accounts.figures([member.member_id]))[member.member_id]
    pool = await uow.accounts.tolerance_pool() if member.tolerance_limit > 0 else {}
    return credit_figures.credit_position(
        svc.fx, svc.settings.credit.tolerance_pool_cap, member, account_id, figures, {}, pool
    )
