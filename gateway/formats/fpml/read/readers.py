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
from gateway.formats.fpml.read import codes
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import Element, child, parse_date, parse_decimal, q, text_of


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
_MULT, _UNIT = q("periodMultiplier"), q("period")


def period_value(el: Element | None, problems: Problems, *, positive: bool = True) -> Period | None:
    """``periodMultiplier`` + ``period`` of an Interval/Frequency/Offset element."""
    if el is None:
        return None
    mult_el = unit_el = None
    for c in el:  # two to four children: one pass, no index
        tag = c.tag
        if tag == _MULT:
            mult_el = mult_el if mult_el is not None else c
        elif tag == _UNIT:
            unit_el = unit_el if unit_el is not None else c
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


def business_centers(el: Element, ctx: DocContext, problems: Problems) -> tuple[str, ...]:
    """Centres of ``el`` given inline (``businessCenters``) or by ``businessCentersReference``.

    A referenced group is read once per document (streams share one or two groups)."""
    holder = ref = None
    for c in el:  # a loop over the few children is cheaper than an iterchildren iterator
        tag = c.tag
        if tag == _CENTRES:
            holder = c
            break
        if tag == _CENTRES_REF and ref is None:
            ref = c
    return _centres(holder, ref, ctx, problems)


def _centres(
    holder: Element | None, ref: Element | None, ctx: DocContext, problems: Problems
) -> tuple[str, ...]:
    """The centres of the first inline ``businessCenters`` (``holder``), else of the group that the
    first ``businessCentersReference`` (``ref``) names."""
    href = None
    if holder is None:
        if ref is None:
            return ()
        href = ref.get("href") or ""
        known_centres = ctx.centres.get(href)
        if known_centres is not None:
            return known_centres
        holder = ctx.target(ref, problems, "businessCenters")
        if holder is None:
            return ()
    known = codes.business_centers()
    out = []
    clean = True
    for centre_el in holder:
        if centre_el.tag != _CENTRE:
            continue
        centre = text_of(centre_el) or ""
        if centre not in known:
            clean = False
            problems.add(
                ReasonCode.FPML_UNKNOWN_CODE, centre_el, f"business centre {centre!r} is not supported"
            )
        out.append(centre)
    centres = tuple(out)
    if href is not None and clean:
        ctx.centres[href] = centres
    return centres


_CENTRE, _CENTRES, _CENTRES_REF = q("businessCenter"), q("businessCenters"), q("businessCentersReference")
_CONVENTION = q("businessDayConvention")
_ADJUSTMENTS: dict[tuple[BusinessDayConvention, tuple[str, ...]], DateAdjustment] = {}


def adjustment(el: Element | None, ctx: DocContext, problems: Problems) -> DateAdjustment:
    """A BusinessDayAdjustments element (convention + centres); absent means no adjustment."""
    if el is None:
        return NO_ADJUSTMENT
    conv_el = holder = ref = None
    for c in el:  # one pass for the convention and the centres (inline, else referenced)
        tag = c.tag
        if tag == _CONVENTION:
            if conv_el is None:
                conv_el = c
        elif tag == _CENTRES:
            if holder is None:
                holder = c
        elif tag == _CENTRES_REF and ref is None:
            ref = c
    if conv_el is None:
        return NO_ADJUSTMENT
    raw = text_of(conv_el) or ""
    conv = codes.CONVENTIONS.get(raw)
    if conv is None:
        problems.add(
            ReasonCode.FPML_UNKNOWN_CODE, conv_el, f"business day convention {raw!r} is not supported"
        )
        return NO_ADJUSTMENT
    centres = _centres(holder, ref, ctx, problems)
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


_UNADJUSTED, _DATE_ADJUSTMENTS = q("unadjustedDate"), q("dateAdjustments")


def adjustable_date(
    el: Element | None, ctx: DocContext, problems: Problems
) -> tuple[date | None, DateAdjustment]:
    """An AdjustableDate: ``unadjustedDate`` and its ``dateAdjustments``."""
    if el is None:
        return None, NO_ADJUSTMENT
    unadjusted = adjustments = None
    for c in el:  # two or three children: one pass, no index
        tag = c.tag
        if tag == _UNADJUSTED:
            unadjusted = unadjusted if unadjusted is not None else c
        elif tag == _DATE_ADJUSTMENTS:
            adjustments = adjustments if adjustments is not None else c
    if unadjusted is None:
        problems.missing(el, "unadjustedDate")
    return date_value(unadjusted, problems), adjustment(adjustments, ctx, problems)
