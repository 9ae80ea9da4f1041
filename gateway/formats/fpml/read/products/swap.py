"""``swap``: each ``swapStream`` becomes a canonical Stream; the product class follows from the legs."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.enums import CompoundingMethod, PeriodUnit, ProductClass
from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PrincipalExchanges, Stream
from gateway.domain.values import Period, Step
from gateway.formats.fpml.read import codes, readers
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.products import ProductResult
from gateway.formats.fpml.read.scope import check_swap
from gateway.formats.fpml.read.xml import (
    Element,
    child,
    child_text,
    children,
    first_children,
    group_children,
    q,
    text_of,
)

OVERNIGHT = Period(1, PeriodUnit.DAY)
_CALC = "calculationPeriodAmount/calculation"
# Where each field a Stream invariant names lives in a swapStream.
STREAM_FIELDS = {
    "payer": "receiverPartyReference",
    "notional": f"{_CALC}/notionalSchedule/notionalStepSchedule/initialValue",
    "notionalSteps": f"{_CALC}/notionalSchedule/notionalStepSchedule/step",
    "currency": f"{_CALC}/notionalSchedule/notionalStepSchedule/currency",
    "fixedRateSchedule": f"{_CALC}/fixedRateSchedule",
    "fixedRateSteps": f"{_CALC}/fixedRateSchedule/step",
    "rate": _CALC,
    "indexTenor": f"{_CALC}/floatingRateCalculation/indexTenor",
    "terminationDate": "calculationPeriodDates/terminationDate",
    "firstRegularPeriodStartDate": "calculationPeriodDates/firstRegularPeriodStartDate",
    "lastRegularPeriodEndDate": "calculationPeriodDates/lastRegularPeriodEndDate",
    "calculationPeriodFrequency": "calculationPeriodDates/calculationPeriodFrequency",
    "paymentFrequency": "paymentDates/paymentFrequency",
}


def read_swap(swap: Element, ctx: DocContext, problems: Problems) -> ProductResult | None:
    before = len(problems)
    check_swap(swap, problems)
    if len(problems) > before:
        return None
    stream_els = children(swap, "swapStream")
    if len(stream_els) != 2:
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
            swap,
            f"a swap with {len(stream_els)} streams (two are cleared)",
        )
        return None
    accounts: dict[str, str] = {}
    keys: list[str] = []
    streams = [read_stream(s, ctx, problems, accounts, keys) for s in stream_els]
    if len(problems) > before:
        return None
    done = tuple(s for s in streams if s is not None)
    return ProductResult(classify(done), done, accounts, tuple(dict.fromkeys(keys)))


def classify(streams: tuple[Stream, ...]) -> ProductClass:
    """XCCY across currencies, BASIS for float/float, OIS on an overnight index, ZERO_COUPON when the
    fixed leg pays once, else IRS."""
    if len({s.currency for s in streams}) > 1:
        return ProductClass.XCCY
    fixed = [s for s in streams if s.is_fixed]
    floating = [s for s in streams if not s.is_fixed]
    if not fixed:
        return ProductClass.BASIS
    index = codes.floating_indices().get(floating[0].floating_index or "") if floating else None
    if index is not None and index.kind is codes.IndexKind.OVERNIGHT:
        return ProductClass.OIS
    if any(s.payment_frequency.unit is PeriodUnit.TERM for s in fixed):
        return ProductClass.ZERO_COUPON
    return ProductClass.IRS


def _party(ref: Element | None, ctx: DocContext, problems: Problems) -> tuple[str, str | None]:
    """(xml id, canonical party id) of a payer/receiver reference."""
    if ref is None:
        return "", None
    target = ctx.target(ref, problems, "party")
    if target is None:
        return "", None
    party = ctx.party(target, problems)
    return target.get("id", ""), None if party is None else party.party_id


def _account(ref: Element | None, party_key: str, ctx: DocContext, accounts: dict[str, str]) -> None:
    if ref is None or not party_key:
        return
    target = ctx.ids.get(ref.get("href") or "")
    if target is not None:
        account = ctx.account_of(target)
        if account:
            accounts[party_key] = account


_STEP, _STEP_DATE, _STEP_VALUE = q("step"), q("stepDate"), q("stepValue")
_INDEX, _TENOR, _SPREAD = q("floatingRateIndex"), q("indexTenor"), q("spreadSchedule")
_NO_ELEMENTS: list[Element] = []
_ZERO = Decimal(0)


def _steps(schedule: Element, problems: Problems, *, positive: bool = False) -> tuple[Step, ...]:
    return _read_steps([s for s in schedule if s.tag == _STEP], problems, positive=positive)


def _read_steps(steps: list[Element], problems: Problems, *, positive: bool = False) -> tuple[Step, ...]:
    """The ``step`` elements of a schedule (in document order) as Steps."""
    if not steps:
        return ()
    out = []
    for step in steps:
        k = first_children(step)
        when = readers.date_value(_need(k, step, _STEP_DATE, problems), problems)
        value_el = _need(k, step, _STEP_VALUE, problems)
        value = readers.decimal_value(value_el, problems)
        if when is not None and value is not None:
            if positive and value <= 0 and value_el is not None:
                problems.add(
                    ReasonCode.FPML_NOTIONAL_NOT_POSITIVE, value_el, f"step notional {value} is not positive"
                )
            out.append(Step(when, value))
    return tuple(out)


# Clark names of what a stream reader looks up (a dict lookup each, no name building)
_PAYER, _RECEIVER = q("payerPartyReference"), q("receiverPartyReference")
_PAYER_ACCOUNT, _RECEIVER_ACCOUNT = q("payerAccountReference"), q("receiverAccountReference")
_DATES, _PAYMENT, _AMOUNT, _CALCULATION = (
    q("calculationPeriodDates"),
    q("paymentDates"),
    q("calculationPeriodAmount"),
    q("calculation"),
)
_EFFECTIVE, _TERMINATION = q("effectiveDate"), q("terminationDate")
_DATES_ADJ, _FREQUENCY, _ROLL = (
    q("calculationPeriodDatesAdjustments"),
    q("calculationPeriodFrequency"),
    q("rollConvention"),
)
_FIRST_REGULAR, _LAST_REGULAR = q("firstRegularPeriodStartDate"), q("lastRegularPeriodEndDate")
_PAY_FREQUENCY, _PAY_ADJ, _PAY_OFFSET = (
    q("paymentFrequency"),
    q("paymentDatesAdjustments"),
    q("paymentDaysOffset"),
)
_DAY_COUNT, _COMPOUNDING = q("dayCountFraction"), q("compoundingMethod")
_FIXED, _FLOATING, _INITIAL = q("fixedRateSchedule"), q("floatingRateCalculation"), q("initialValue")
_EXCHANGES, _INITIAL_X, _INTERMEDIATE_X, _FINAL_X = (
    q("principalExchanges"),
    q("initialExchange"),
    q("intermediateExchange"),
    q("finalExchange"),
)
_NOTIONAL_SCHEDULE, _NOTIONAL_STEPS, _CURRENCY = (
    q("notionalSchedule"),
    q("notionalStepSchedule"),
    q("currency"),
)
_RESETS, _RESET_FREQUENCY, _RESET_RELATIVE, _FIXING = (
    q("resetDates"),
    q("resetFrequency"),
    q("resetRelativeTo"),
    q("fixingDates"),
)


def read_stream(
    stream: Element, ctx: DocContext, problems: Problems, accounts: dict[str, str], keys: list[str]
) -> Stream | None:
    before = len(problems)
    s_ = first_children(stream)
    payer_key, payer = _party(_need(s_, stream, _PAYER, problems), ctx, problems)
    receiver_key, receiver = _party(_need(s_, stream, _RECEIVER, problems), ctx, problems)
    keys.extend((payer_key, receiver_key))
    _account(s_.get(_PAYER_ACCOUNT), payer_key, ctx, accounts)
    _account(s_.get(_RECEIVER_ACCOUNT), receiver_key, ctx, accounts)

    dates = _need(s_, stream, _DATES, problems)
    payment = _need(s_, stream, _PAYMENT, problems)
    calc = None
    amount = _need(s_, stream, _AMOUNT, problems)
    if amount is not None:
        calc = _need(first_children(amount), amount, _CALCULATION, problems)
    if dates is None or payment is None or calc is None:
        return None
    d_, p_, c_ = first_children(dates), first_children(payment), first_children(calc)

    effective, effective_adj = readers.adjustable_date(_need(d_, dates, _EFFECTIVE, problems), ctx, problems)
    termination_el = _need(d_, dates, _TERMINATION, problems)
    termination, termination_adj = readers.adjustable_date(termination_el, ctx, problems)
    if effective is not None and termination is not None and termination <= effective:
        problems.add(
            ReasonCode.FPML_DATE_ORDER,
            termination_el if termination_el is not None else dates,
            f"termination date {termination} is not after the effective date {effective}",
        )
    calc_adj = readers.adjustment(d_.get(_DATES_ADJ), ctx, problems)
    frequency_el = _need(d_, dates, _FREQUENCY, problems)
    calc_freq = readers.period_value(frequency_el, problems)
    roll = child_text(frequency_el, "rollConvention") if frequency_el is not None else None
    roll = None if roll == "NONE" else roll  # FpML's "no roll convention"
    first_regular = readers.date_value(d_.get(_FIRST_REGULAR), problems)
    last_regular = readers.date_value(d_.get(_LAST_REGULAR), problems)

    pay_freq = readers.period_value(_need(p_, payment, _PAY_FREQUENCY, problems), problems)
    pay_adj = readers.adjustment(p_.get(_PAY_ADJ), ctx, problems)
    pay_offset = 0
    offset_el = p_.get(_PAY_OFFSET)
    if offset_el is not None:
        lag = readers.period_value(offset_el, problems, positive=False)
        if lag is not None and lag.unit is not PeriodUnit.DAY:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE, offset_el, f"a payment lag of {lag} is not in days"
            )
        elif lag is not None:
            pay_offset = lag.multiplier

    notional, currency, notional_steps = _notional(c_, calc, problems)
    day_count = readers.day_count(_need(c_, calc, _DAY_COUNT, problems), problems)
    compounding = CompoundingMethod.NONE
    compounding_el = c_.get(_COMPOUNDING)
    if compounding_el is not None:
        raw = text_of(compounding_el) or ""
        found = codes.COMPOUNDING.get(raw)
        if found is None:
            problems.add(
                ReasonCode.FPML_UNKNOWN_CODE, compounding_el, f"compounding method {raw!r} is not supported"
            )
        else:
            compounding = found

    fixed_rate: Decimal | None = None
    fixed_steps: tuple[Step, ...] = ()
    index: str | None = None
    tenor: Period | None = None
    spread = Decimal(0)
    reset_freq: Period | None = None
    fixing_offset = 0
    fixed_el = c_.get(_FIXED)
    floating_el = c_.get(_FLOATING)
    if fixed_el is not None:
        fixed_rate = readers.decimal_value(
            _need(first_children(fixed_el), fixed_el, _INITIAL, problems), problems
        )
        fixed_steps = _steps(fixed_el, problems)
    elif floating_el is not None:
        index, tenor, spread = _floating(floating_el, problems)
        reset_freq, fixing_offset = _resets(s_, stream, index, problems)
    else:
        problems.missing(calc, "fixedRateSchedule", "a fixed rate schedule or a floating rate calculation")

    exchanges = PrincipalExchanges()
    px = s_.get(_EXCHANGES)
    if px is not None:
        x_ = first_children(px)
        exchanges = PrincipalExchanges(
            initial=bool(readers.bool_value(x_.get(_INITIAL_X), problems)),
            intermediate=bool(readers.bool_value(x_.get(_INTERMEDIATE_X), problems)),
            final=bool(readers.bool_value(x_.get(_FINAL_X), problems)),
        )

    if len(problems) > before:
        return None
    assert payer is not None
    assert receiver is not None
    assert notional is not None
    assert currency is not None
    assert effective is not None
    assert termination is not None
    assert day_count is not None
    assert calc_freq is not None
    assert pay_freq is not None
    try:
        return Stream(
            payer=payer,
            receiver=receiver,
            notional=notional,
            currency=currency,
            day_count=day_count,
            effective_date=effective,
            termination_date=termination,
            calculation_frequency=calc_freq,
            payment_frequency=pay_freq,
            notional_steps=notional_steps,
            fixed_rate=fixed_rate,
            fixed_rate_steps=fixed_steps,
            floating_index=index,
            index_tenor=tenor,
            spread=spread,
            reset_frequency=reset_freq,
            fixing_offset_days=fixing_offset,
            roll_convention=roll,
            effective_date_adjustment=effective_adj,
            termination_date_adjustment=termination_adj,
            calculation_adjustment=calc_adj,
            payment_adjustment=pay_adj,
            payment_offset_days=pay_offset,
            first_regular_period_start=first_regular,
            last_regular_period_end=last_regular,
            compounding_method=compounding,
            principal_exchanges=exchanges,
        )
    except TradeInvalid as exc:
        problems.from_invalid(exc, stream, STREAM_FIELDS)
        return None


def _need_first(k: dict[str, list[Element]], parent: Element, tag: str, problems: Problems) -> Element | None:
    """``_need`` over ``group_children``: the first child with Clark name ``tag``."""
    found = k.get(tag)
    if not found:
        problems.missing(parent, tag.rpartition("}")[2])
        return None
    return found[0]


def _need(k: dict[str, Element], parent: Element, tag: str, problems: Problems) -> Element | None:
    """``parent``'s first child with Clark name ``tag`` from its index ``k``; missing is an issue."""
    el = k.get(tag)
    if el is None:
        problems.missing(parent, tag.rpartition("}")[2])
    return el


def _notional(
    calc: dict[str, Element], calc_el: Element, problems: Problems
) -> tuple[Decimal | None, str | None, tuple[Step, ...]]:
    holder = calc.get(_NOTIONAL_SCHEDULE)
    schedule = None if holder is None else child(holder, "notionalStepSchedule")
    if schedule is None:
        problems.missing(calc_el, "notionalSchedule/notionalStepSchedule", "a notional schedule")
        return None, None, ()
    k = group_children(schedule)  # one pass: value, currency and steps
    initial_el = _need_first(k, schedule, _INITIAL, problems)
    initial = readers.decimal_value(initial_el, problems)
    currency_el = _need_first(k, schedule, _CURRENCY, problems)
    currency = text_of(currency_el)
    if currency_el is not None and currency is None:
        problems.add(ReasonCode.FPML_MISSING_FIELD, currency_el, "currency is empty")
    steps = _read_steps(k.get(_STEP, _NO_ELEMENTS), problems, positive=True)
    if initial is not None and initial <= 0 and initial_el is not None:
        problems.add(ReasonCode.FPML_NOTIONAL_NOT_POSITIVE, initial_el, f"notional {initial} is not positive")
    return initial, currency, steps


def _floating(floating: Element, problems: Problems) -> tuple[str | None, Period | None, Decimal]:
    k = group_children(floating)  # one pass: index, tenors, spread
    index_el = _need_first(k, floating, _INDEX, problems)
    name = text_of(index_el)
    info = codes.floating_indices().get(name or "")
    if index_el is not None and info is None:
        problems.add(ReasonCode.FPML_UNKNOWN_CODE, index_el, f"floating rate index {name!r} is not supported")
    tenors = k.get(_TENOR, _NO_ELEMENTS)
    tenor: Period | None = None
    if len(tenors) > 1:
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE, tenors[1], "interpolated index tenors are not supported"
        )
    elif tenors:
        tenor = readers.period_value(tenors[0], problems)
    elif info is not None and info.kind is codes.IndexKind.OVERNIGHT:
        tenor = OVERNIGHT  # an overnight index has no designated maturity in FpML
    else:
        problems.missing(floating, "indexTenor", "the index tenor of a term rate")
    spread = _ZERO
    spreads = k.get(_SPREAD)
    schedule = spreads[0] if spreads else None
    if schedule is not None:
        value = readers.decimal_value(readers.required(schedule, "initialValue", problems), problems)
        spread = value if value is not None else spread
    return name, tenor, spread


def _resets(
    stream: dict[str, Element], stream_el: Element, index: str | None, problems: Problems
) -> tuple[Period | None, int]:
    resets = stream.get(_RESETS)
    if resets is None:
        problems.missing(stream_el, "resetDates", "reset dates of a floating stream")
        return None, 0
    r_ = first_children(resets)
    frequency = readers.period_value(_need(r_, resets, _RESET_FREQUENCY, problems), problems)
    relative_el = r_.get(_RESET_RELATIVE)
    info = codes.floating_indices().get(index or "")
    overnight = info is not None and info.kind is codes.IndexKind.OVERNIGHT
    if relative_el is not None and text_of(relative_el) == "CalculationPeriodEndDate" and not overnight:
        problems.add(
            ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
            relative_el,
            "fixing a term rate in arrears is not supported",
        )
    offset = 0
    fixing = r_.get(_FIXING)
    if fixing is not None:
        period = readers.period_value(fixing, problems, positive=False)
        if period is not None and period.unit is not PeriodUnit.DAY:
            problems.add(
                ReasonCode.SCOPE_UNSUPPORTED_FEATURE, fixing, f"a fixing offset of {period} is not in days"
            )
        elif period is not None:
            if child_text(fixing, "dayType") == "Calendar" and period.multiplier != 0:
                problems.add(
                    ReasonCode.SCOPE_UNSUPPORTED_FEATURE,
                    fixing,
                    "a fixing offset in calendar days is not supported",
                )
            offset = period.multiplier
    return frequency, offset
