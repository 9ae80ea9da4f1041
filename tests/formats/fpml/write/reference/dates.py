"""Date, period and business-day building blocks shared by ``swap`` and ``fra``."""

from __future__ import annotations

from datetime import date

from gateway.domain.values import DateAdjustment, Period
from gateway.formats.fpml.write.xml import date_text, xml_text
from tests.formats.fpml.write.reference.xml import Element, sub


def business_day_adjustments(parent: Element, tag: str, adjustment: DateAdjustment) -> Element:
    """``BusinessDayAdjustments``: the convention, then the business centres if there are any."""
    el = sub(parent, tag)
    sub(el, "businessDayConvention", adjustment.convention.value)
    business_centers(el, adjustment.business_centers)
    return el


def business_centers(parent: Element, centers: tuple[str, ...]) -> None:
    if centers:
        el = sub(parent, "businessCenters")
        for center in centers:
            sub(el, "businessCenter", xml_text(center, "businessCenter", coded=True))


def adjustable_date(
    parent: Element, tag: str, unadjusted: date, adjustment: DateAdjustment, *, xml_id: str | None = None
) -> Element:
    attrs = {"id": xml_id} if xml_id else {}
    el = sub(parent, tag, **attrs)
    sub(el, "unadjustedDate", date_text(unadjusted))
    business_day_adjustments(el, "dateAdjustments", adjustment)
    return el


def period(parent: Element, tag: str, value: Period) -> Element:
    """``Period`` / ``Frequency``: multiplier then unit (``1T`` is a term, ``-2D`` an offset)."""
    el = sub(parent, tag)
    sub(el, "periodMultiplier", str(value.multiplier))
    sub(el, "period", value.unit.value)
    return el


def business_day_offset(parent: Element, tag: str, days: int) -> Element:
    """An ``Offset`` of ``days`` business days."""
    el = sub(parent, tag)
    sub(el, "periodMultiplier", str(days))
    sub(el, "period", "D")
    sub(el, "dayType", "Business")
    return el


def fixing_offset(
    parent: Element, tag: str, days: int, centers: tuple[str, ...], relative_to: str
) -> Element:
    """A ``RelativeDateOffset`` of ``days`` business days from the element with id ``relative_to``."""
    el = business_day_offset(parent, tag, days)
    sub(el, "businessDayConvention", "NONE")
    business_centers(el, centers)
    sub(el, "dateRelativeTo", href=relative_to)
    return el
