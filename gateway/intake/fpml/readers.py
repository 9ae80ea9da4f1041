"""Readers of the small FpML building blocks: dates, amounts, periods, conventions, coded values.

Each reader records an issue and returns None when the value is absent or unusable, so a whole
trade is read and every problem reported at once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.domain.enums import BusinessDayConvention, DayCount, PeriodUnit
from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period
from gateway.intake.fpml import codes
from gateway.intake.fpml.context import DocContext
from gateway.intake.fpml.problems import Problems
from gateway.intake.fpml.xml import ChildIndex, Element, child, kids, parse_date, parse_decimal, q, text_of


def required(parent: Element, name: str, problems: Problems) -> Element | None:
    el = child(parent, name)
    if el is None:
        problems.missing(parent, name)
    return el


def required_text(parent: Element, name: str, problems: Problems) -> str | None:
    """The text of a required child; a missing or empty element is an issue."""
    el = required(parent, name, problems)
    if el is None:
        return None
    value = text_of(el)
    if value is None:
        problems.add(ReasonCode.FPML_MISSING_FIELD, el, f"{name} is empty")
    return value


def date_value(el: Element | None, problems: Problems) -> date | None:
    if el is None:
        return None
    raw = text_of(el)
    value = parse_date(raw) if raw else None
    if value is None:
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"not a date: {raw!r}")
    return value


def decimal_value(el: Element | None, problems: Problems) -> Decimal | None:
    if el is None:
        return None
    raw = text_of(el)
    value = parse_decimal(raw) if raw else None
    if value is None:
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"not a number: {raw!r}")
    return value


def int_value(el: Element | None, problems: Problems) -> int | None:
    if el is None:
        return None
    raw = text_of(el) or ""
    try:
        return int(raw)
    except ValueError:
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"not an integer: {raw!r}")
        return None


def bool_value(el: Element | None, problems: Problems) -> bool | None:
    if el is None:
        return None
    raw = text_of(el)
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"not a boolean: {raw!r}")
    return None


_PERIODS: dict[tuple[str | None, str | None], Period] = {}


def period_value(el: Element | None, problems: Problems, *, positive: bool = True) -> Period | None:
    """``periodMultiplier`` + ``period`` of an Interval/Frequency/Offset element."""
    if el is None:
        return None
    k = kids(el)
    mult_el, unit_el = k.get("periodMultiplier"), k.get("period")
    key = (
        None if mult_el is None else mult_el.text,
        None if unit_el is None else unit_el.text,
    )
    period = _PERIODS.get(key)
    if period is None:
        period = _period_slow(el, mult_el, unit_el, problems)
        if period is None:
            return None
        if len(_PERIODS) < 4096:
            _PERIODS[key] = period
    if positive and period.multiplier <= 0:
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"period {period} must be positive")
        return None
    return period


def _period_slow(
    el: Element, mult_el: Element | None, unit_el: Element | None, problems: Problems
) -> Period | None:
    if mult_el is None:
        problems.missing(el, "periodMultiplier")
    if unit_el is None:
        problems.missing(el, "period")
    mult = int_value(mult_el, problems)
    unit = text_of(unit_el)
    if unit_el is not None and unit is None:
        problems.add(ReasonCode.FPML_MISSING_FIELD, unit_el, "period is empty")
    if mult is None or unit is None or unit_el is None:
        return None
    if unit not in ("D", "W", "M", "Y", "T"):
        problems.add(ReasonCode.FPML_UNKNOWN_CODE, unit_el, f"unknown period {unit!r}")
        return None
    try:
        return Period(mult, PeriodUnit(unit))
    except TradeInvalid as exc:
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, exc.issues[0].message)
        return None


def day_count(el: Element | None, problems: Problems) -> DayCount | None:
    if el is None:
        return None
    raw = text_of(el) or ""
    value = codes.DAY_COUNTS.get(raw)
    if value is None:
        problems.add(ReasonCode.FPML_UNKNOWN_CODE, el, f"day count fraction {raw!r} is not supported")
    return value


def business_centers(k: ChildIndex, ctx: DocContext, problems: Problems) -> tuple[str, ...]:
    """Centres given inline (``businessCenters``) or by ``businessCentersReference``."""
    holder = k.get("businessCenters")
    if holder is None:
        ref = k.get("businessCentersReference")
        if ref is None:
            return ()
        holder = ctx.target(ref, problems, "businessCenters")
        if holder is None:
            return ()
    known = codes.business_centers()
    out = []
    for centre_el in holder:
        if centre_el.tag != _CENTRE:
            continue
        centre = text_of(centre_el) or ""
        if centre not in known:
            problems.add(
                ReasonCode.FPML_UNKNOWN_CODE, centre_el, f"business centre {centre!r} is not supported"
            )
        out.append(centre)
    return tuple(out)


_CENTRE = q("businessCenter")
_ADJUSTMENTS: dict[tuple[BusinessDayConvention, tuple[str, ...]], DateAdjustment] = {}


def adjustment(el: Element | None, ctx: DocContext, problems: Problems) -> DateAdjustment:
    """A BusinessDayAdjustments element (convention + centres); absent means no adjustment."""
    if el is None:
        return NO_ADJUSTMENT
    k = kids(el)
    conv_el = k.get("businessDayConvention")
    if conv_el is None:
        return NO_ADJUSTMENT
    raw = text_of(conv_el) or ""
    conv = codes.CONVENTIONS.get(raw)
    if conv is None:
        problems.add(
            ReasonCode.FPML_UNKNOWN_CODE, conv_el, f"business day convention {raw!r} is not supported"
        )
        return NO_ADJUSTMENT
    centres = business_centers(k, ctx, problems)
    if not centres and conv not in (BusinessDayConvention.NONE, BusinessDayConvention.NOT_APPLICABLE):
        problems.add(
            ReasonCode.FPML_MISSING_FIELD, el, f"business day convention {raw} needs business centres"
        )
        return NO_ADJUSTMENT
    key = (conv, centres)
    found = _ADJUSTMENTS.get(key)
    if found is None:
        found = DateAdjustment(conv, centres)
        if len(_ADJUSTMENTS) < 4096:
            _ADJUSTMENTS[key] = found
    return found


def adjustable_date(
    el: Element | None, ctx: DocContext, problems: Problems
) -> tuple[date | None, DateAdjustment]:
    """An AdjustableDate: ``unadjustedDate`` and its ``dateAdjustments``."""
    if el is None:
        return None, NO_ADJUSTMENT
    k = kids(el)
    unadjusted = k.get("unadjustedDate")
    if unadjusted is None:
        problems.missing(el, "unadjustedDate")
    return date_value(unadjusted, problems), adjustment(k.get("dateAdjustments"), ctx, problems)
