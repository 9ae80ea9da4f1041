"""Resolve a canonical trade into cash-flow arrays, once: schedules, calendars, day counts, steps.

The result depends on the trade and reference conventions only, never on market data, so it can be
cached for the life of the trade. Amounts are signed "paid by the stream's payer to its receiver".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import QuantLib as ql

from gateway.domain.enums import BusinessDayConvention, CompoundingMethod, DayCount, PeriodUnit, ProductClass
from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Stream, Trade
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period, Step
from gateway.refdata.indices import curve_name, index_info
from gateway.risk.business_days import SUPPORTED, BusinessDays, business_days
from gateway.risk.conventions import (
    bdc,
    calendar_for,
    day_counter,
    from_ql,
    ordinal_of,
    ql_from_ordinal,
    to_ql,
    unpriceable,
)
from gateway.risk.market.curves import FloatArray, IntArray

_QL_UNIT = {
    PeriodUnit.DAY: ql.Days,
    PeriodUnit.WEEK: ql.Weeks,
    PeriodUnit.MONTH: ql.Months,
    PeriodUnit.YEAR: ql.Years,
}


@dataclass(frozen=True, slots=True, eq=False)
class ResolvedLeg:
    """One stream as arrays over its (payment-grouped) calculation periods.

    Dates are proleptic ordinals (``date.toordinal``). For a floating leg ``rate`` is NaN and the
    coupon is ``notional * (forward + spread) * accrual`` with the forward over ``[start, end]``.
    """

    stream: int
    payer: str
    receiver: str
    currency: str
    projection: str | None  # curve name for a floating leg
    day_count: str
    start: IntArray
    end: IntArray
    pay: IntArray
    fixing: IntArray  # the date from which the coupon's rate is known (term: fixing date; OIS: start)
    accrual: FloatArray
    notional: FloatArray
    rate: FloatArray
    spread: FloatArray
    principal_dates: IntArray
    principal_amounts: FloatArray  # positive when the payer pays
    overnight: bool = False  # a compounded overnight index: its coupon accrues a fixing a business day
    centres: tuple[str, ...] = ()  # business centres of the calculation periods (the fixing days)

    @property
    def floating(self) -> bool:
        return self.projection is not None


@dataclass(frozen=True, slots=True, eq=False)
class ResolvedTrade:
    trade_id: str
    parties: tuple[str, str]
    currency: str
    legs: tuple[ResolvedLeg, ...]
    maturity: date
    fra: bool = False  # FRA discounting: the settlement is paid at the period start, discounted


def _ql_period(p: Period, path: str) -> Any:
    return ql.Period(p.multiplier, _QL_UNIT[p.unit])


def _adjust(d: date, adj: DateAdjustment, path: str) -> date:
    cal = calendar_for(adj.business_centers, f"{path}.businessCenters")
    return from_ql(cal.adjust(to_ql(d), bdc(adj.convention, f"{path}.businessDayConvention")))


def _rule(stream: Stream, path: str) -> tuple[int, bool]:
    roll = (stream.roll_convention or "NONE").upper()
    eom = roll == "EOM"
    if roll == "IMM":
        return ql.DateGeneration.ThirdWednesday, False
    if not (roll in ("NONE", "EOM") or (roll.isdigit() and 1 <= int(roll) <= 31)):
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS, f"{path}.rollConvention", f"roll convention {roll}"
        )
    if stream.first_regular_period_start is not None and stream.last_regular_period_end is None:
        return ql.DateGeneration.Forward, eom
    return ql.DateGeneration.Backward, eom


def _regular_dates(stream: Stream) -> tuple[IntArray, IntArray] | None:
    """The schedule of a regular stream (no stubs, day of month <= 28) by array arithmetic.

    Equal to QuantLib's ``Schedule`` for those streams (tests compare them); None for any other
    stream, which then goes through QuantLib.
    """
    months = stream.calculation_frequency.months
    eff, term = stream.effective_date, stream.termination_date
    roll = (stream.roll_convention or "NONE").upper()
    if (
        not months
        or stream.first_regular_period_start is not None
        or stream.last_regular_period_end is not None
        or eff.day > 28
        or term.day != eff.day
        or not (roll == "NONE" or (roll.isdigit() and int(roll) == eff.day))
    ):
        return None
    span = (term.year - eff.year) * 12 + term.month - eff.month
    if span <= 0 or span % months:
        return None
    adj = stream.calculation_adjustment
    term_adj = stream.termination_date_adjustment
    if term_adj == NO_ADJUSTMENT and adj != NO_ADJUSTMENT:
        term_adj = adj
    eff_adj = stream.effective_date_adjustment
    if not {adj.convention, term_adj.convention, eff_adj.convention} <= SUPPORTED:
        return None
    base = (eff.year - 1970) * 12 + eff.month - 1
    month_index = base + np.arange(0, span + 1, months, dtype=np.int64)
    raw = (
        month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        + (eff.day - 1)
        + _UNIX_EPOCH
    )
    if not BusinessDays.in_range(raw):
        return None
    try:
        table = business_days(adj.business_centers)
        out = table.adjust(raw, adj.convention)
        out[-1] = table.adjust(raw[-1:], term_adj.convention)[0]
        if eff_adj != NO_ADJUSTMENT:
            out[0] = business_days(eff_adj.business_centers).adjust(raw[:1], eff_adj.convention)[0]
        else:
            out[0] = raw[0]
    except GatewayError:
        return None  # an unknown centre: QuantLib's path reports it
    return out, raw


def _schedule_dates(stream: Stream, path: str) -> tuple[list[date], list[date]]:
    """Adjusted and unadjusted calculation period boundaries (the latter only when steps need them)."""
    adj = stream.calculation_adjustment
    cal = calendar_for(adj.business_centers, f"{path}.calculationPeriodDatesAdjustments.businessCenters")
    conv = bdc(adj.convention, f"{path}.calculationPeriodDatesAdjustments")
    term_adj = stream.termination_date_adjustment
    if term_adj == NO_ADJUSTMENT and adj != NO_ADJUSTMENT:
        term_adj = adj
    effective = (
        _adjust(stream.effective_date, stream.effective_date_adjustment, f"{path}.effectiveDate")
        if stream.effective_date_adjustment != NO_ADJUSTMENT
        else stream.effective_date
    )
    if stream.calculation_frequency.unit is PeriodUnit.TERM:
        termination = _adjust(stream.termination_date, term_adj, f"{path}.terminationDate")
        return [effective, termination], [stream.effective_date, stream.termination_date]
    rule, eom = _rule(stream, path)
    term_conv = bdc(term_adj.convention, f"{path}.terminationDate.dateAdjustments")
    first = to_ql(stream.first_regular_period_start) if stream.first_regular_period_start else ql.Date()
    last = to_ql(stream.last_regular_period_end) if stream.last_regular_period_end else ql.Date()
    tenor = _ql_period(stream.calculation_frequency, f"{path}.calculationPeriodFrequency")
    args = (to_ql(stream.effective_date), to_ql(stream.termination_date), tenor)
    try:
        adjusted = ql.Schedule(*args, cal, conv, term_conv, rule, eom, first, last)
        dates = [from_ql(d) for d in adjusted]
        raw = dates
        if stream.notional_steps or stream.fixed_rate_steps:
            unadjusted = ql.Schedule(
                *args, ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted, rule, eom, first, last
            )
            raw = [from_ql(d) for d in unadjusted]
    except RuntimeError as exc:
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS,
            f"{path}.calculationPeriodDates",
            f"schedule cannot be built: {exc}",
        ) from None
    if len(dates) != len(raw):
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS, f"{path}.calculationPeriodDates", "schedule mismatch"
        )
    dates[0] = effective
    return dates, raw


def _stepped(base: float, steps: tuple[Step, ...], unadjusted_starts: IntArray) -> FloatArray:
    """The value in force in each period: a step applies from the period starting on or after its date."""
    values = np.full(unadjusted_starts.size, base)
    for step in steps:
        values[unadjusted_starts >= step.date.toordinal()] = float(step.value)
    return values


_PERIODS: dict[tuple[Any, ...], tuple[IntArray, IntArray, IntArray, FloatArray]] = {}
_PERIODS_MAX = 100_000


def _periods(stream: Stream, path: str, term_float: bool) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Adjusted and unadjusted boundary ordinals, fixing ordinals and accruals of a stream.

    Memoised on the fields that determine them: trades booked on the same day for standard tenors
    share schedules, which makes resolving a whole book much cheaper than one trade at a time.
    """
    key = (
        path,
        stream.effective_date,
        stream.termination_date,
        stream.calculation_frequency,
        stream.calculation_adjustment,
        stream.termination_date_adjustment,
        stream.effective_date_adjustment,
        stream.roll_convention,
        stream.first_regular_period_start,
        stream.last_regular_period_end,
        stream.day_count,
        stream.fixing_offset_days if term_float else None,
        bool(stream.notional_steps or stream.fixed_rate_steps),
    )
    found = _PERIODS.get(key)
    if found is not None:
        return found
    regular = _regular_dates(stream)
    if regular is None:
        dates, raw_dates = _schedule_dates(stream, path)
        ords = np.array([d.toordinal() for d in dates], dtype=np.int64)
        raw = np.array([d.toordinal() for d in raw_dates], dtype=np.int64)
    else:
        ords, raw = regular
    if stream.day_count is DayCount.ACT_360:
        accrual = np.diff(ords) / 360.0
    elif stream.day_count is DayCount.ACT_365_FIXED:
        accrual = np.diff(ords) / 365.0
    elif stream.day_count in (DayCount.THIRTY_360, DayCount.THIRTY_E_360):
        accrual = thirty_360(ords, european=stream.day_count is DayCount.THIRTY_E_360)
    else:
        calc_cal = calendar_for(stream.calculation_adjustment.business_centers, f"{path}.businessCenters")
        qd = [ql_from_ordinal(o) for o in ords]
        if stream.day_count is DayCount.THIRTY_E_360_ISDA:
            dc = ql.Thirty360(ql.Thirty360.ISDA, qd[-1])
        else:
            dc = day_counter(stream.day_count, f"{path}.dayCountFraction", calc_cal)
        accrual = np.array([dc.yearFraction(a, b) for a, b in itertools.pairwise(qd)])
    if term_float:
        centres = stream.calculation_adjustment.business_centers
        offset = stream.fixing_offset_days
        if BusinessDays.in_range(ords):
            table = business_days(centres)
            fixing = table.advance(ords[:-1], offset, BusinessDayConvention.FOLLOWING)
        else:
            fixing = np.array([_advance(int(o), centres, offset) for o in ords[:-1]], dtype=np.int64)
    else:
        fixing = ords[:-1].copy()
    for arr in (ords, raw, fixing, accrual):
        arr.flags.writeable = False
    if len(_PERIODS) >= _PERIODS_MAX:
        _PERIODS.clear()
    _PERIODS[key] = (ords, raw, fixing, accrual)
    return _PERIODS[key]


def thirty_360(ords: IntArray, *, european: bool) -> FloatArray:
    """30/360 (ISDA bond basis) or 30E/360 accruals between consecutive ordinals, as QuantLib counts them."""
    days = (ords - _UNIX_EPOCH).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (days - months).astype(np.int64) + 1
    y1, y2, m1, m2, d1, d2 = y[:-1], y[1:], m[:-1], m[1:], d[:-1].copy(), d[1:].copy()
    if european:
        d1[d1 == 31] = 30
        d2[d2 == 31] = 30
    else:
        d1[d1 == 31] = 30
        d2[(d2 == 31) & (d1 >= 30)] = 30
    out: FloatArray = (360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)) / 360.0
    return out


_UNIX_EPOCH = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=400_000)
def _advance(ordinal: int, centres: tuple[str, ...], days: int) -> int:
    """``ordinal`` moved by ``days`` good business days of the centres' joint calendar."""
    return ordinal_of(calendar_for(centres).advance(ql_from_ordinal(ordinal), days, ql.Days))


@lru_cache(maxsize=200_000)
def _pay_date(end: int, centres: tuple[str, ...], convention: int, lag: int) -> int:
    cal = calendar_for(centres)
    return ordinal_of(cal.advance(ql_from_ordinal(end), lag, ql.Days, convention))


def _group_size(stream: Stream, path: str) -> int | None:
    """Calculation periods per payment period; None means one payment for the whole stream."""
    calc, pay = stream.calculation_frequency, stream.payment_frequency
    if pay.unit is PeriodUnit.TERM:
        return None
    if pay == calc:
        return 1
    if calc.months and pay.months and pay.months % calc.months == 0:
        return pay.months // calc.months
    if calc.unit is pay.unit and pay.multiplier % calc.multiplier == 0:
        return pay.multiplier // calc.multiplier
    raise unpriceable(
        ReasonCode.RISK_UNSUPPORTED_TERMS,
        f"{path}.paymentFrequency",
        f"payment frequency {pay} is not a multiple of calculation frequency {calc}",
    )


def _resolve_leg(trade: Trade, i: int, stream: Stream) -> ResolvedLeg:
    path = f"streams[{i}]"
    projection: str | None = None
    overnight = False
    if stream.floating_index is not None:
        info = index_info(stream.floating_index)
        if info is None:
            raise unpriceable(
                ReasonCode.RISK_UNKNOWN_INDEX,
                f"{path}.floatingRateIndex",
                f"floating rate index {stream.floating_index!r} is not known",
            )
        if info.currency != stream.currency:
            raise unpriceable(
                ReasonCode.RISK_UNSUPPORTED_TERMS,
                f"{path}.floatingRateIndex",
                f"index {info.name} is not a {stream.currency} index",
            )
        if (
            not info.overnight
            and stream.reset_frequency is not None
            and stream.reset_frequency != stream.calculation_frequency
        ):
            raise unpriceable(
                ReasonCode.RISK_UNSUPPORTED_TERMS,
                f"{path}.resetFrequency",
                f"reset frequency {stream.reset_frequency} differs from the calculation period (averaging)",
            )
        projection = curve_name(info, stream.index_tenor)
        overnight = info.overnight  # the index table knows; the name need not contain "OIS"
    term_float = projection is not None and not overnight
    ords, raw, fixing_all, accrual = _periods(stream, path, term_float)
    notional = _stepped(float(stream.notional), stream.notional_steps, raw[:-1])
    spread = np.full(len(accrual), float(stream.spread))
    rate = (
        _stepped(float(stream.fixed_rate), stream.fixed_rate_steps, raw[:-1])
        if stream.fixed_rate is not None
        else np.full(len(accrual), np.nan)
    )
    start = ords[:-1]
    end = ords[1:]
    fixing = fixing_all
    p_dates, p_amounts = _principal(stream, ords, notional)
    size = _group_size(stream, path)
    pay_base = end
    if size is None or size > 1:
        n = len(accrual)
        if size is None:
            group = np.zeros(n, dtype=np.int64)
        else:
            from_end = (n - 1 - np.arange(n)) // size
            group = from_end.max() - from_end
        start, end, pay_base, fixing, accrual, notional, rate, spread = _compound(
            stream, path, group, start, end, fixing, accrual, notional, rate, spread
        )
    pay_cal = stream.payment_adjustment.business_centers
    calendar_for(pay_cal, f"{path}.paymentDates.businessCenters")  # refuses an unknown centre
    pay_conv = bdc(stream.payment_adjustment.convention, f"{path}.paymentDates.paymentDatesAdjustments")
    lag = stream.payment_offset_days
    if lag == 0 and stream.payment_adjustment == stream.calculation_adjustment:
        pay = pay_base  # already a good day of the same calendar under the same convention
    else:
        pay_adj = stream.payment_adjustment.convention
        if pay_adj in SUPPORTED and BusinessDays.in_range(pay_base):
            pay = business_days(pay_cal).advance(pay_base, lag, pay_adj)
        else:
            pay = np.array([_pay_date(int(e), pay_cal, pay_conv, lag) for e in pay_base], dtype=np.int64)
    return ResolvedLeg(
        stream=i,
        payer=stream.payer,
        receiver=stream.receiver,
        currency=stream.currency,
        projection=projection,
        day_count=str(stream.day_count),
        start=start,
        end=end,
        pay=pay,
        fixing=fixing,
        accrual=accrual,
        notional=notional,
        rate=rate,
        spread=spread,
        principal_dates=p_dates,
        principal_amounts=p_amounts,
        overnight=projection is not None and not term_float,
        centres=tuple(stream.calculation_adjustment.business_centers),
    )


def _compound(
    stream: Stream,
    path: str,
    group: IntArray,
    start: IntArray,
    end: IntArray,
    fixing: IntArray,
    accrual: FloatArray,
    notional: FloatArray,
    rate: FloatArray,
    spread: FloatArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Merge the calculation periods of each payment period; also returns each row's payment period end.

    No compounding: the amounts add up (one row per calculation period, sharing the payment date).
    Compounding of a fixed rate: one row with the exactly compounded rate. Compounding of a floating
    rate telescopes to one forward over the payment period when the spread is zero or excluded.
    """
    method = stream.compounding_method
    if method is CompoundingMethod.NONE:
        last = np.zeros_like(end)
        for g in np.unique(group):
            idx = np.flatnonzero(group == g)
            last[idx] = end[idx[-1]]
        return start, end, last, fixing, accrual, notional, rate, spread
    groups = np.unique(group)
    firsts = np.array([np.flatnonzero(group == g)[0] for g in groups])
    lasts = np.array([np.flatnonzero(group == g)[-1] for g in groups])
    tau = np.array([accrual[group == g].sum() for g in groups])
    for g in groups:
        ns = notional[group == g]
        if not np.all(ns == ns[0]):
            raise unpriceable(
                ReasonCode.RISK_UNSUPPORTED_TERMS,
                f"{path}.notionalStepSchedule",
                "notional changes while compounding",
            )
    if stream.fixed_rate is not None:
        eff = np.array(
            [
                (np.prod(1.0 + rate[group == g] * accrual[group == g]) - 1.0) / t
                for g, t in zip(groups, tau, strict=True)
            ]
        )
        new_spread = np.zeros(len(groups))
    else:
        if stream.spread != 0 and method is not CompoundingMethod.SPREAD_EXCLUSIVE:
            raise unpriceable(
                ReasonCode.RISK_UNSUPPORTED_TERMS,
                f"{path}.compoundingMethod",
                f"{method} compounding with a spread is not supported",
            )
        eff = np.full(len(groups), np.nan)
        new_spread = np.full(len(groups), float(stream.spread))
    return start[firsts], end[lasts], end[lasts], fixing[firsts], tau, notional[firsts], eff, new_spread


_NO_DATES = np.zeros(0, dtype=np.int64)
_NO_AMOUNTS = np.zeros(0, dtype=np.float64)


def _principal(stream: Stream, dates: IntArray, notional: FloatArray) -> tuple[IntArray, FloatArray]:
    pe = stream.principal_exchanges
    if not (pe.initial or pe.intermediate or pe.final):
        return _NO_DATES, _NO_AMOUNTS
    when: list[int] = []
    amount: list[float] = []
    if pe.initial:
        when.append(int(dates[0]))
        amount.append(-float(notional[0]))
    if pe.intermediate:
        for k in range(1, len(notional)):
            change = notional[k - 1] - notional[k]
            if change != 0:
                when.append(int(dates[k]))
                amount.append(float(change))
    if pe.final:
        when.append(int(dates[-1]))
        amount.append(float(notional[-1]))
    return np.array(when, dtype=np.int64), np.array(amount, dtype=np.float64)


def resolve(trade: Trade) -> ResolvedTrade:
    """Resolve every stream; raises ``Unpriceable`` (RISK_* codes) for terms that cannot be valued."""
    if trade.product is ProductClass.XCCY:
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS,
            "product",
            "cross-currency swaps need FX rates; none are loaded",
        )
    legs = tuple(_resolve_leg(trade, i, s) for i, s in enumerate(trade.streams))
    fra = trade.product is ProductClass.FRA
    if fra:
        legs = _fra_legs(trade, legs)
    return ResolvedTrade(
        trade_id=trade.identifiers.source_trade_id,
        parties=(trade.parties[0].party_id, trade.parties[1].party_id),
        currency=trade.currency,
        legs=legs,
        maturity=trade.maturity_date,
        fra=fra,
    )


def _fra_legs(trade: Trade, legs: tuple[ResolvedLeg, ...]) -> tuple[ResolvedLeg, ...]:
    """A FRA is one fixed and one floating single period on the same notional; both paid at the start."""
    fixed = [leg for leg in legs if not leg.floating]
    floating = [leg for leg in legs if leg.floating]
    ok = (
        len(fixed) == 1
        and len(floating) == 1
        and fixed[0].start.size == 1
        and floating[0].start.size == 1
        and fixed[0].notional[0] == floating[0].notional[0]
        and fixed[0].payer == floating[0].receiver
    )
    if not ok:
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS,
            "streams",
            "a FRA needs one fixed and one floating single period",
        )
    out = []
    for i, leg in enumerate(legs):
        stream = trade.streams[i]
        cal = calendar_for(stream.payment_adjustment.business_centers, f"streams[{i}].paymentDates")
        conv = bdc(stream.payment_adjustment.convention, f"streams[{i}].paymentDates")
        pay = np.array([ordinal_of(cal.adjust(ql_from_ordinal(leg.start[0]), conv))], dtype=np.int64)
        out.append(replace(leg, pay=pay))
    return tuple(out)
