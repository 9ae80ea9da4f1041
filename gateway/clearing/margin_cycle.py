"""Variation margin and price alignment interest: pure figures from NPVs, payments and overnight rates.

Signs are the member's: a positive VM is paid by the CCP to the member (the member's side gained value), a
positive PAI is received by the member. A member holding a positive cumulative VM balance holds the CCP's
cash and pays interest on it at the overnight rate: PAI = -balance x rate x days / basis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol, runtime_checkable

from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OvernightIndex:
    """A currency's overnight rate and the day-count basis of its interest (ACT/basis)."""

    name: str
    basis: int


# DOMAIN: the currency's overnight rate; ACT/365 for AUD and GBP, ACT/360 for USD and EUR.
OVERNIGHT_INDICES: Mapping[str, OvernightIndex] = {
    "AUD": OvernightIndex("AONIA", 365),
    "GBP": OvernightIndex("SONIA", 365),
    "USD": OvernightIndex("SOFR", 360),
    "EUR": OvernightIndex("ESTR", 360),
}


def overnight_index(currency: str) -> OvernightIndex:
    """The overnight index PAI in ``currency`` accrues at; MD_NO_OVERNIGHT_INDEX if none is known."""
    found = OVERNIGHT_INDICES.get(currency)
    if found is None:
        known = ", ".join(sorted(OVERNIGHT_INDICES))
        raise GatewayError.of(
            ReasonCode.MD_NO_OVERNIGHT_INDEX,
            "currency",
            f"no overnight index for {currency}: PAI is computed for {known}",
        )
    return found


class OvernightRates(Protocol):
    """The published overnight fixings: ``rate`` is a fraction (4.35% is 0.0435).

    A missing fixing raises ``GatewayError`` with MD_MISSING_OVERNIGHT_RATE naming the index and the date.
    """

    def rate(self, index: str, day: date) -> Decimal: ...


@runtime_checkable
class OvernightRatesSource(Protocol):
    """Overnight fixings kept where reading them is I/O (the fixings store): the PAI step asks for the
    business date's once, then looks them up as ``OvernightRates``."""

    async def of_day(self, day: date) -> OvernightRates: ...


# ---------------------------------------------------------------- variation margin


@dataclass(frozen=True, slots=True)
class TradeDay:
    """What VM needs of one member side of a cleared trade on a business date.

    ``npv``: today's NPV (None: not valued today). ``previous``: its NPV at its last earlier end of day (None:
    its first end of day). ``live``: still cleared (a trade that matured, was terminated or de-cleared is
    worth nothing today). ``payments``: what the member received (+) or paid (-) on it today, fees included.
    """

    ccp_trade_id: str
    member_id: str
    account_id: str
    currency: str
    npv: Decimal | None
    previous: Decimal | None
    live: bool
    payments: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class FeePaid:
    """A fee of a lifecycle event confirmed in a window, as one member side of the trade sees it."""

    ccp_trade_id: str
    member_id: str
    account_id: str
    party_id: str  # the member's party on this side
    currency: str
    payer: str
    receiver: str
    amount: Decimal
    payment_date: date | None = None  # as the event gives it (None: settled with the next day's flows)

    @property
    def to_member(self) -> Decimal:
        """What the member received (+) or paid (-) on this side."""
        if self.party_id == self.receiver:
            return self.amount
        if self.party_id == self.payer:
            return -self.amount
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class TradeVm:
    ccp_trade_id: str
    member_id: str
    account_id: str
    currency: str
    npv: Decimal  # today's (zero once the trade has left clearing)
    previous: Decimal  # yesterday's (zero on its first end of day)
    payments: Decimal
    vm: Decimal  # npv - previous + payments


@dataclass(frozen=True, slots=True)
class VmResult:
    rows: tuple[TradeVm, ...]
    unvalued: tuple[str, ...]  # live trades with no NPV today: no VM can be computed for them


def trade_vm(npv: Decimal, previous: Decimal | None, payments: Decimal = Decimal(0)) -> Decimal:
    """The day's VM of one trade: its change of value plus what it paid the member that day."""
    return npv - (previous if previous is not None else Decimal(0)) + payments


def variation_margin(days: Iterable[TradeDay]) -> VmResult:
    """VM per trade side; a trade gone from clearing is valued at zero, a live unvalued one is left out."""
    rows: list[TradeVm] = []
    unvalued: list[str] = []
    for d in days:
        if d.live and d.npv is None:
            unvalued.append(d.ccp_trade_id)
            continue
        if not d.live and d.previous is None and d.payments == 0:
            continue  # never valued and gone: nothing was ever called on it
        npv = d.npv if d.live and d.npv is not None else Decimal(0)
        previous = d.previous if d.previous is not None else Decimal(0)
        vm = trade_vm(npv, d.previous, d.payments)
        rows.append(
            TradeVm(d.ccp_trade_id, d.member_id, d.account_id, d.currency, npv, previous, d.payments, vm)
        )
    rows.sort(key=lambda r: r.ccp_trade_id)
    return VmResult(tuple(rows), tuple(sorted(unvalued)))


class Payment(Protocol):
    """A payment on one member side of a cleared trade: a fee, a coupon (``cash_flows.CashFlow``)."""

    @property
    def ccp_trade_id(self) -> str: ...

    @property
    def member_id(self) -> str: ...

    @property
    def account_id(self) -> str: ...

    @property
    def currency(self) -> str: ...

    @property
    def to_member(self) -> Decimal: ...


def with_payments(days: Iterable[TradeDay], fees: Iterable[Payment]) -> list[TradeDay]:
    """Each trade day with the payments (fees, coupons) its member received or paid that day; a trade
    paying one without a day of its own (cleared and terminated between two ends of day) gets one."""
    paid: dict[str, Decimal] = {}
    sides: dict[str, Payment] = {}
    for f in fees:
        paid[f.ccp_trade_id] = paid.get(f.ccp_trade_id, Decimal(0)) + f.to_member
        sides[f.ccp_trade_id] = f
    out: list[TradeDay] = []
    for d in days:
        out.append(replace(d, payments=d.payments + paid.pop(d.ccp_trade_id, Decimal(0))))
    for ccp_trade_id, amount in sorted(paid.items()):
        f = sides[ccp_trade_id]
        out.append(TradeDay(ccp_trade_id, f.member_id, f.account_id, f.currency, None, None, False, amount))
    return out


AccountKey = tuple[str, str, str]  # (member, account, currency)


def by_account(rows: Iterable[TradeVm]) -> dict[AccountKey, Decimal]:
    """VM summed per member, account and currency (never across currencies)."""
    totals: dict[AccountKey, Decimal] = {}
    for r in rows:
        key = (r.member_id, r.account_id, r.currency)
        totals[key] = totals.get(key, Decimal(0)) + r.vm
    return dict(sorted(totals.items()))


# ---------------------------------------------------------------- price alignment interest


@dataclass(frozen=True, slots=True)
class PaiFigure:
    member_id: str
    account_id: str
    currency: str
    balance: Decimal  # cumulative VM received by the member up to and including the business date
    index: str
    rate: Decimal  # the index's fixing of the business date, a fraction
    days: int  # calendar days from the business date to the next business day
    basis: int
    amount: Decimal  # received by the member (+) or paid (-)


def accrual_days(business_date: date, is_business_day: Callable[[date], bool]) -> int:
    """Calendar days from ``business_date`` to the next business day (a Friday accrues three)."""
    nxt = business_date + timedelta(days=1)
    while not is_business_day(nxt):
        nxt += timedelta(days=1)
    return (nxt - business_date).days


def pai_amount(balance: Decimal, rate: Decimal, days: int, basis: int) -> Decimal:
    """The member's PAI on ``balance`` for ``days`` at ``rate`` (ACT/``basis``), to the cent."""
    return (-balance * rate * days / basis).quantize(_CENT, rounding=ROUND_HALF_EVEN) + Decimal(0)


def price_alignment_interest(
    balances: Mapping[AccountKey, Decimal], business_date: date, days: int, rates: OvernightRates
) -> list[PaiFigure]:
    """PAI per member, account and currency on the cumulative VM balances of ``business_date``."""
    out: list[PaiFigure] = []
    for (member_id, account_id, currency), balance in sorted(balances.items()):
        index = overnight_index(currency)
        rate = rates.rate(index.name, business_date)
        amount = pai_amount(balance, rate, days, index.basis)
        out.append(
            PaiFigure(member_id, account_id, currency, balance, index.name, rate, days, index.basis, amount)
        )
    return out
