"""Margin calls: what a member is asked to pay per account and currency, when, and what it stands at. Pure.

End of day (the ``calls`` step, after ``pai``): per account and currency,
call = IM + VM owed + PAI owed - collateral value after haircuts, where the IM (the account's margin with
its add-ons) and the collateral (every holding of the account after haircuts, converted at FX) are in the
account's base currency, and the VM and PAI of the day in their own currencies (owed: the day's VM or PAI
with the member's sign turned, so a VM paid to the member reduces what it is called for in that currency).
A negative figure is an excess: nothing is called. The call is due ``due_after_business_days`` business
days later at ``due_time`` in the service's time zone.

Intraday (at each of ``intraday_at``): a member's account whose excess (collateral after haircuts less IM)
has fallen below its threshold (``intraday_threshold`` in the base currency, or ``intraday_fraction`` of
the IM) is called, in cash, for what brings the excess back to the threshold; due ``intraday_due_minutes``
later. IM is not paid out intraday: an excess above the threshold calls nothing and returns nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from gateway.domain.errors import GatewayError, InputRejected
from gateway.domain.reasons import ReasonCode

ZERO = Decimal(0)
_CENT = Decimal("0.01")


class CallKind(StrEnum):
    EOD = "EOD"
    INTRADAY = "INTRADAY"


class CallState(StrEnum):
    ISSUED = "ISSUED"  # outstanding, not yet due
    SETTLED = "SETTLED"  # paid in full
    OVERDUE = "OVERDUE"  # outstanding past its due time: the member is flagged


@dataclass(frozen=True, slots=True)
class CallSettings:
    """``[calls]`` of the gateway configuration."""

    due_after_business_days: int = 1
    due_time: time = time(10, 0)
    intraday_at: tuple[time, ...] = ()
    intraday_threshold: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    intraday_fraction: Decimal | None = None
    intraday_due_minutes: int = 60


@dataclass(frozen=True, slots=True)
class AccountFigures:
    """What one account's call is computed from (amounts to the cent)."""

    member_id: str
    account_id: str
    base_currency: str
    im: Decimal  # the account's margin with its add-ons, base currency
    collateral: Decimal  # every holding after haircuts, converted to the base currency
    vm: Mapping[str, Decimal] = field(default_factory=dict)  # the day's VM by currency, the member's sign
    pai: Mapping[str, Decimal] = field(default_factory=dict)  # the day's PAI by currency, the member's sign


@dataclass(frozen=True, slots=True)
class CallComponents:
    im: Decimal
    vm_owed: Decimal
    pai_owed: Decimal
    collateral: Decimal

    def to_json(self) -> str:
        return json.dumps({k: str(getattr(self, k)) for k in ("im", "vm_owed", "pai_owed", "collateral")})

    @classmethod
    def from_json(cls, text: str) -> CallComponents:
        d = json.loads(text)
        return cls(Decimal(d["im"]), Decimal(d["vm_owed"]), Decimal(d["pai_owed"]), Decimal(d["collateral"]))


@dataclass(frozen=True, slots=True)
class MarginCall:
    call_id: str
    member_id: str
    account_id: str
    currency: str
    business_date: date
    kind: CallKind
    amount: Decimal
    components: CallComponents
    due_at: datetime
    state: CallState = CallState.ISSUED
    settled_amount: Decimal = ZERO
    settled_at: datetime | None = None
    settled_by: str | None = None

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.settled_amount, ZERO)


def call_id(
    kind: CallKind, business_date: date, member_id: str, account_id: str, currency: str, at: time | None
) -> str:
    """A call's id, the same whenever the same call is computed again (issuing it twice is a no-op)."""
    slot = "" if at is None else f"-{at:%H%M}"
    return f"{kind.value}-{business_date:%Y%m%d}{slot}-{member_id}-{account_id}-{currency}"


def due_at(
    business_date: date,
    settings: CallSettings,
    tz: ZoneInfo,
    is_business_day: Callable[[date], bool],
) -> datetime:
    """The end-of-day call's deadline: ``due_after_business_days`` business days on, at ``due_time``."""
    d, left = business_date, settings.due_after_business_days
    while left > 0:
        d += timedelta(days=1)
        if is_business_day(d):
            left -= 1
    return datetime.combine(d, settings.due_time, tzinfo=tz)


def eod_calls(figures: Iterable[AccountFigures], business_date: date, due: datetime) -> list[MarginCall]:
    """The end-of-day calls of ``business_date``: one per account and currency where more is owed than held."""
    out: list[MarginCall] = []
    for f in figures:
        for currency in sorted({f.base_currency, *f.vm, *f.pai}):
            base = currency == f.base_currency
            parts = CallComponents(
                f.im if base else ZERO,
                -f.vm.get(currency, ZERO) + ZERO,
                -f.pai.get(currency, ZERO) + ZERO,
                f.collateral if base else ZERO,
            )
            amount = (parts.im + parts.vm_owed + parts.pai_owed - parts.collateral).quantize(_CENT)
            if amount <= 0:
                continue
            out.append(
                MarginCall(
                    call_id(CallKind.EOD, business_date, f.member_id, f.account_id, currency, None),
                    f.member_id,
                    f.account_id,
                    currency,
                    business_date,
                    CallKind.EOD,
                    amount,
                    parts,
                    due,
                )
            )
    return out


def intraday_threshold(settings: CallSettings, currency: str, im: Decimal) -> Decimal | None:
    """The excess below which an account is called intraday; None: no threshold for it."""
    fixed = settings.intraday_threshold.get(currency)
    if fixed is not None:
        return fixed
    if settings.intraday_fraction is not None:
        return (settings.intraday_fraction * im).quantize(_CENT)
    return None


def intraday_calls(
    figures: Iterable[AccountFigures], business_date: date, slot: time, now: datetime, settings: CallSettings
) -> list[MarginCall]:
    """The calls of one intraday run: cash, in each account's base currency, to restore its threshold."""
    due = now + timedelta(minutes=settings.intraday_due_minutes)
    out: list[MarginCall] = []
    for f in figures:
        threshold = intraday_threshold(settings, f.base_currency, f.im)
        if threshold is None:
            continue
        excess = f.collateral - f.im
        if excess >= threshold:
            continue
        amount = (threshold - excess).quantize(_CENT)
        out.append(
            MarginCall(
                call_id(CallKind.INTRADAY, business_date, f.member_id, f.account_id, f.base_currency, slot),
                f.member_id,
                f.account_id,
                f.base_currency,
                business_date,
                CallKind.INTRADAY,
                amount,
                CallComponents(f.im, ZERO, ZERO, f.collateral),
                due,
            )
        )
    return out


def overdue(calls: Iterable[MarginCall], now: datetime) -> list[MarginCall]:
    """The issued calls whose deadline has passed with something still outstanding."""
    return [c for c in calls if c.state is CallState.ISSUED and c.outstanding > 0 and c.due_at <= now]


def settle(call: MarginCall, amount: Decimal, cash: bool, by: str, at: datetime) -> MarginCall:
    """``call`` after ``amount`` was paid towards it; refused (naming the field) when that cannot be."""
    if call.state is CallState.SETTLED:
        raise InputRejected.of(ReasonCode.CALL_SETTLED, "call_id", f"call {call.call_id} is settled already")
    if amount <= 0:
        raise InputRejected.of(ReasonCode.CALL_BAD_AMOUNT, "amount", "settle a positive amount")
    if call.kind is CallKind.INTRADAY and not cash:
        raise InputRejected.of(
            ReasonCode.CALL_CASH_ONLY, "collateral", f"intraday call {call.call_id} is settled in cash only"
        )
    paid = call.settled_amount + amount
    state = CallState.SETTLED if paid >= call.amount else call.state
    return MarginCall(
        call.call_id,
        call.member_id,
        call.account_id,
        call.currency,
        call.business_date,
        call.kind,
        call.amount,
        call.components,
        call.due_at,
        state,
        paid,
        at,
        by,
    )


def overdue_error(call: MarginCall) -> GatewayError:
    """What the service logs and reports of a call past its deadline."""
    return GatewayError.of(
        ReasonCode.MARGIN_CALL_OVERDUE,
        f"member[{call.member_id}].account[{call.account_id}]",
        f"margin call {call.call_id} of {call.outstanding} {call.currency} was due at {call.due_at.isoformat()}",
    )
