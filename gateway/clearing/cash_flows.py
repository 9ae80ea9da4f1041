"""Cash flows of cleared trades settling in a window of payment dates, and their netting. Pure.

Each member side's trade is resolved as the pricer resolves it (``gateway.risk.resolve``); the flows paying
after ``start`` and up to ``end`` are: fixed coupons (notional x rate x accrual), floating coupons once set
(a term index at its fixing plus the spread; an overnight index compounded over its period's fixings as
valuation accrues them), principal exchanges, FRA settlements (``N (F - K) tau / (1 + F tau)`` to the
floating receiver), and the fees of lifecycle events as additional payments. A floating coupon whose
fixing the store lacks is an error naming the index and the date (MKT_MISSING_FIXING), never projected.

Amounts are the member's: + received from the CCP, - paid to it, rounded to the cent (half even) per flow.
Netting sums them per member, account, currency and payment date, never across currencies.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from gateway.clearing.margin_cycle import FeePaid
from gateway.domain.trade import Stream, Trade
from gateway.risk.business_days import business_days
from gateway.risk.fixed_coupons import accrued_factor, day_basis
from gateway.risk.market.fixings import FixingTable
from gateway.risk.resolve import ResolvedLeg, ResolvedTrade

_CENT = Decimal("0.01")


class FlowKind(StrEnum):
    FIXED = "fixed"  # a fixed coupon
    FLOATING = "floating"  # a floating coupon, set by its fixing(s)
    PRINCIPAL = "principal"  # an exchange of notional
    FRA = "fra-settlement"  # a FRA's discounted settlement at the period start
    FEE = "fee"  # a lifecycle event's fee (additional payment)


@dataclass(frozen=True, slots=True)
class CashFlow:
    """One payment of one cleared member side, from the member's side (+ received)."""

    payment_date: date
    ccp_trade_id: str
    member_id: str
    account_id: str
    currency: str
    kind: FlowKind
    stream: int  # the trade's stream (-1 for a fee)
    amount: Decimal
    notional: Decimal | None = None
    rate: Decimal | None = None  # the coupon's rate: fixed, fixing + spread, compounded; a FRA's fixing
    accrual_start: date | None = None
    accrual_end: date | None = None
    index: str | None = None
    fixing_date: date | None = None  # a term index's fixing date
    business_date: date | None = None  # the end of day that computed it

    @property
    def to_member(self) -> Decimal:
        """What the member receives (+) or pays (-): VM counts a coupon paid as a payment of the day."""
        return self.amount


@dataclass(frozen=True, slots=True)
class NetCashFlow:
    """Flows of a member's account in one currency on one payment date, netted."""

    payment_date: date
    member_id: str
    account_id: str
    currency: str
    amount: Decimal  # + the CCP pays the member, - the member pays the CCP
    flows: int


@dataclass(frozen=True, slots=True, eq=False)
class FlowSide:
    """A cleared member side: its trade resolved, the member's party on it."""

    ccp_trade_id: str
    member_id: str
    account_id: str
    party_id: str
    trade: ResolvedTrade


@dataclass(frozen=True, slots=True, eq=False)
class DueCoupon:
    """A coupon (``k`` of ``leg``) paying in the window; priced once the fixings it needs are read."""

    side: FlowSide
    leg: ResolvedLeg
    k: int


def _money(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(_CENT, rounding=ROUND_HALF_EVEN) + Decimal(0)


def _rate(x: float) -> Decimal:
    return Decimal(repr(round(x, 12))).normalize() + Decimal(0)


def _day(ordinal: int) -> date:
    return date.fromordinal(int(ordinal))


def _in(ordinal: int, start: date, end: date) -> bool:
    return start.toordinal() < ordinal <= end.toordinal()


def _sign(side: FlowSide, leg: ResolvedLeg) -> float:
    if side.party_id == leg.receiver:
        return 1.0
    return -1.0 if side.party_id == leg.payer else 0.0


_SLACK = timedelta(days=10)  # more than any business-day adjustment moves a date


def _shifted(anchor: date, months: int) -> date:
    """``anchor`` moved by whole months, its day kept where the month has it (else the month's last)."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(anchor.day, calendar.monthrange(year, month + 1)[1]))


def _stream_may_pay(s: Stream, lo: date, hi: date) -> bool:
    months = s.calculation_frequency.months
    if months is None or s.notional_steps or s.first_regular_period_start or s.last_regular_period_end:
        return True  # a schedule this test does not model: resolve it
    if lo <= s.termination_date <= hi or (s.principal_exchanges.initial and lo <= s.effective_date <= hi):
        return True  # the last coupon; an initial exchange (a coupon never pays on the effective date)
    if s.termination_date < lo or s.effective_date > hi:
        return False
    for anchor in (s.termination_date, s.effective_date):  # backward and forward generation
        gap = (anchor.year * 12 + anchor.month) - (lo.year * 12 + lo.month)
        k = gap // months
        for step in (k - 1, k, k + 1):
            end = _shifted(anchor, -step * months)  # a period end: never the effective date itself
            if s.effective_date < end and lo <= end <= hi:
                return True
    return False


def may_pay(trade: Trade, start: date, end: date) -> bool:
    """False only when no payment of ``trade`` can fall after ``start`` and up to ``end``: every stream's
    period ends (rolled from its termination or its effective date, by whole months), its termination date
    and (with an initial exchange) its effective date are clear of the window by more than any adjustment and payment lag could move them.
    A cheap test on the canonical trade that saves resolving the sides with nothing to pay."""
    for s in trade.streams:
        lag = timedelta(days=2 * max(s.payment_offset_days, 0) + 7)
        if _stream_may_pay(s, start - _SLACK, end + _SLACK + lag):
            return True
    return False


def due_coupons(sides: Iterable[FlowSide], start: date, end: date) -> list[DueCoupon]:
    """Coupons (and FRA settlements) of ``sides`` paying after ``start`` and up to ``end``."""
    out: list[DueCoupon] = []
    for side in sides:
        legs = side.trade.legs
        if side.trade.fra:
            flt = next(leg for leg in legs if leg.floating)
            if _in(int(flt.pay[0]), start, end):
                out.append(DueCoupon(side, flt, 0))
            continue
        for leg in legs:
            for k in range(leg.pay.size):
                if _in(int(leg.pay[k]), start, end):
                    out.append(DueCoupon(side, leg, k))
    return out


def fixings_needed(dues: Iterable[DueCoupon]) -> dict[str, tuple[date, date]]:
    """Per index, the first and last date of the fixings the floating coupons due need (read as a range)."""
    spans: dict[str, tuple[int, int]] = {}
    for due in dues:
        leg = due.leg
        if leg.projection is None:
            continue
        if leg.overnight:
            lo, hi = int(leg.start[due.k]), int(leg.end[due.k])
        else:
            lo = hi = int(leg.fixing[due.k])
        was = spans.get(leg.projection, (lo, hi))
        spans[leg.projection] = (min(was[0], lo), max(was[1], hi))
    return {index: (_day(lo), _day(hi)) for index, (lo, hi) in sorted(spans.items())}


def _where(due: DueCoupon) -> str:
    return f"{due.side.ccp_trade_id}.streams[{due.leg.stream}].floatingRateIndex"


def _coupon(due: DueCoupon, fixings: FixingTable) -> CashFlow:
    side, leg, k = due.side, due.leg, due.k
    notional = float(leg.notional[k])
    accrual = float(leg.accrual[k])
    spread = float(leg.spread[k])
    fixing_date: date | None = None
    if leg.projection is None:
        rate = float(leg.rate[k])
        per_unit = rate * accrual
        kind = FlowKind.FIXED
    elif leg.overnight:
        days = business_days(leg.centres)
        factor = accrued_factor(
            leg.projection,
            int(leg.start[k]),
            int(leg.end[k]),
            day_basis(leg.day_count),
            days,
            fixings,
            _where(due),
        )
        per_unit = factor - 1.0 + spread * accrual
        rate = per_unit / accrual
        kind = FlowKind.FLOATING
    else:
        fixing_date = _day(int(leg.fixing[k]))
        rate = fixings.rate(leg.projection, fixing_date, _where(due)) + spread
        per_unit = rate * accrual
        kind = FlowKind.FLOATING
    return CashFlow(
        payment_date=_day(int(leg.pay[k])),
        ccp_trade_id=side.ccp_trade_id,
        member_id=side.member_id,
        account_id=side.account_id,
        currency=leg.currency,
        kind=kind,
        stream=leg.stream,
        amount=_money(_sign(side, leg) * notional * per_unit),
        notional=_money(notional),
        rate=_rate(rate),
        accrual_start=_day(int(leg.start[k])),
        accrual_end=_day(int(leg.end[k])),
        index=leg.projection,
        fixing_date=fixing_date,
    )


def _fra(due: DueCoupon, fixings: FixingTable) -> CashFlow:
    side, flt = due.side, due.leg
    fixed = next(leg for leg in side.trade.legs if not leg.floating)
    index = flt.projection or ""
    fixing_date = _day(int(flt.fixing[0]))
    forward = fixings.rate(index, fixing_date, _where(due))
    tau = float(fixed.accrual[0])
    strike = float(fixed.rate[0])
    notional = float(flt.notional[0])
    amount = _sign(side, flt) * notional * (forward - strike) * tau / (1.0 + forward * tau)
    return CashFlow(
        payment_date=_day(int(flt.pay[0])),
        ccp_trade_id=side.ccp_trade_id,
        member_id=side.member_id,
        account_id=side.account_id,
        currency=flt.currency,
        kind=FlowKind.FRA,
        stream=flt.stream,
        amount=_money(amount),
        notional=_money(notional),
        rate=_rate(forward),
        accrual_start=_day(int(flt.start[0])),
        accrual_end=_day(int(flt.end[0])),
        index=index,
        fixing_date=fixing_date,
    )


def priced(dues: Iterable[DueCoupon], fixings: FixingTable) -> list[CashFlow]:
    """The amounts of the coupons due; a fixing not in ``fixings`` raises MKT_MISSING_FIXING."""
    return [_fra(d, fixings) if d.side.trade.fra else _coupon(d, fixings) for d in dues]


def principal_flows(sides: Iterable[FlowSide], start: date, end: date) -> list[CashFlow]:
    """Exchanges of notional paying after ``start`` and up to ``end``."""
    out: list[CashFlow] = []
    for side in sides:
        for leg in side.trade.legs:
            for when, amount in zip(leg.principal_dates, leg.principal_amounts, strict=True):
                if _in(int(when), start, end):
                    out.append(
                        CashFlow(
                            payment_date=_day(int(when)),
                            ccp_trade_id=side.ccp_trade_id,
                            member_id=side.member_id,
                            account_id=side.account_id,
                            currency=leg.currency,
                            kind=FlowKind.PRINCIPAL,
                            stream=leg.stream,
                            amount=_money(_sign(side, leg) * float(amount)),
                        )
                    )
    return out


def fee_flows(fees: Iterable[FeePaid], default_payment_date: date) -> list[CashFlow]:
    """Fees of lifecycle events as payments of the member side (on their payment date when the event
    gives one, else ``default_payment_date``)."""
    return [
        CashFlow(
            payment_date=f.payment_date or default_payment_date,
            ccp_trade_id=f.ccp_trade_id,
            member_id=f.member_id,
            account_id=f.account_id,
            currency=f.currency,
            kind=FlowKind.FEE,
            stream=-1,
            amount=f.to_member,
        )
        for f in fees
        if f.to_member != 0
    ]


def cash_flows(sides: Iterable[FlowSide], start: date, end: date, fixings: FixingTable) -> list[CashFlow]:
    """Coupons, FRA settlements and principal exchanges of ``sides`` paying in ``(start, end]``, sorted."""
    chosen = list(sides)
    flows = priced(due_coupons(chosen, start, end), fixings) + principal_flows(chosen, start, end)
    return sorted(flows, key=flow_order)


def flow_order(f: CashFlow) -> tuple[date, str, str, str, str, int, str]:
    return (f.payment_date, f.member_id, f.account_id, f.currency, f.ccp_trade_id, f.stream, f.kind.value)


NetKey = tuple[date, str, str, str]  # (payment date, member, account, currency)


def net(flows: Iterable[CashFlow]) -> list[NetCashFlow]:
    """Flows netted per payment date, member, account and currency (one row per key, sorted)."""
    totals: dict[NetKey, tuple[Decimal, int]] = {}
    for f in flows:
        key = (f.payment_date, f.member_id, f.account_id, f.currency)
        amount, n = totals.get(key, (Decimal(0), 0))
        totals[key] = (amount + f.amount, n + 1)
    return [NetCashFlow(d, m, a, c, amount, n) for (d, m, a, c), (amount, n) in sorted(totals.items())]


def by_member(netted: Iterable[NetCashFlow]) -> Mapping[tuple[str, str, date], Decimal]:
    """Netted flows summed over a member's accounts: (member, currency, payment date) -> amount."""
    out: dict[tuple[str, str, date], Decimal] = {}
    for n in netted:
        key = (n.member_id, n.currency, n.payment_date)
        out[key] = out.get(key, Decimal(0)) + n.amount
    return dict(sorted(out.items()))
