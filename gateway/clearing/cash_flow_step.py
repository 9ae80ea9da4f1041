"""End of day's ``cashflows`` step: the flows of cleared trades settling after the business date and up to
the next business day (those now known), with the fees of the day's lifecycle events, written by member
side and netted (``UnitOfWork.cashflows``). Run again, it replaces what it wrote: the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from gateway.clearing.cash_flow_ports import ClearedSide
from gateway.clearing.cash_flows import (
    FlowSide,
    cash_flows,
    due_coupons,
    fee_flows,
    fixings_needed,
    flow_order,
    may_pay,
)
from gateway.domain.errors import GatewayError
from gateway.risk.resolve import resolve

if TYPE_CHECKING:
    from gateway.clearing.context import ClearingContext


@dataclass(frozen=True, slots=True)
class CashFlowRun:
    flows: int
    failures: tuple[tuple[str, str], ...]  # (CCP trade id, why): sides whose terms cannot be resolved


def resolved(
    sides: Sequence[ClearedSide], start: date, end: date
) -> tuple[list[FlowSide], list[tuple[str, str]]]:
    """The sides that may pay in ``(start, end]`` (``may_pay``), each trade resolved as the pricer
    resolves it; the ones that cannot be, with the reason."""
    out: list[FlowSide] = []
    failures: list[tuple[str, str]] = []
    for s in sides:
        if not may_pay(s.trade, start, end):
            continue
        try:
            out.append(FlowSide(s.ccp_trade_id, s.member_id, s.account_id, s.party_id, resolve(s.trade)))
        except GatewayError as exc:
            issue = exc.issues[0]
            failures.append((s.ccp_trade_id, f"{issue.code}: {issue.message}"))
    return out, failures


async def write_cash_flows(
    svc: ClearingContext, business_date: date, following: date, fees_window: tuple[datetime, datetime]
) -> CashFlowRun:
    """Flows paying in ``(business_date, following]`` and the fees confirmed in ``fees_window`` (paid on
    the event's payment date, else on ``following``), written in one transaction as the day's.

    A floating coupon in the window whose fixing is not stored raises MKT_MISSING_FIXING (nothing written).
    """
    async with svc.store.read() as uow:
        sides, failures = resolved(
            await uow.cashflows.sides(business_date, following), business_date, following
        )
    async with svc.writing(outbox=False) as uow:
        fixings = await uow.cashflows.fixings(fixings_needed(due_coupons(sides, business_date, following)))
        flows = cash_flows(sides, business_date, following, fixings)
        flows += fee_flows(await uow.eod.fees(*fees_window), following)
        await uow.cashflows.put(business_date, sorted(flows, key=flow_order))
    return CashFlowRun(len(flows), tuple(failures))
