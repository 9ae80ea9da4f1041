"""FpML conventions as QuantLib objects: business centre calendars, business day conventions, day counts.

Every unsupported code raises ``TradeInvalid``-style errors with ``RISK_UNSUPPORTED_TERMS`` and the path
of the field, so a trade is refused rather than priced on a guessed convention.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import QuantLib as ql

from gateway.domain.enums import BusinessDayConvention, DayCount
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.refdata.calendars import UnknownCalendar, joint_calendar


class Unpriceable(GatewayError):
    """A trade the engine cannot value with the market data and conventions it has."""


def unpriceable(code: ReasonCode, path: str, message: str) -> Unpriceable:
    return Unpriceable([Issue(code, path, message)])


@lru_cache(maxsize=256)
def calendar_for(centres: tuple[str, ...], path: str = "businessCenters") -> Any:
    """The joint holiday calendar of FpML business centres (``gateway.refdata.calendars``); a centre without
    one makes the trade unpriceable at ``path``."""
    try:
        return joint_calendar(centres)
    except UnknownCalendar as exc:
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS, path, f"business centre {exc.name} has no calendar"
        ) from None


_BDC: dict[BusinessDayConvention, int] = {
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.MODFOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.PRECEDING: ql.Preceding,
    BusinessDayConvention.MODPRECEDING: ql.ModifiedPreceding,
    BusinessDayConvention.NEAREST: ql.Nearest,
    BusinessDayConvention.NONE: ql.Unadjusted,
    BusinessDayConvention.NOT_APPLICABLE: ql.Unadjusted,
}


def bdc(convention: BusinessDayConvention, path: str) -> int:
    found = _BDC.get(convention)
    if found is None:
        raise unpriceable(
            ReasonCode.RISK_UNSUPPORTED_TERMS, path, f"business day convention {convention} is not supported"
        )
    return found


def day_counter(code: DayCount, path: str, calendar: Any = None) -> Any:
    """QuantLib's day counter for an FpML dayCountFraction (ACT/ACT.ICMA needs reference periods: refused)."""
    if code is DayCount.ACT_360:
        return ql.Actual360()
    if code is DayCount.ACT_365_FIXED:
        return ql.Actual365Fixed()
    if code is DayCount.THIRTY_360:
        return ql.Thirty360(ql.Thirty360.BondBasis)
    if code is DayCount.THIRTY_E_360:
        return ql.Thirty360(ql.Thirty360.European)
    if code is DayCount.ACT_ACT_ISDA:
        return ql.ActualActual(ql.ActualActual.ISDA)
    if code is DayCount.ACT_ACT_AFB:
        return ql.ActualActual(ql.ActualActual.AFB)
    if code is DayCount.ONE_ONE:
        return ql.OneDayCounter()
    if code is DayCount.BUS_252:
        return ql.Business252(calendar if calendar is not None else ql.Brazil())
    raise unpriceable(
        ReasonCode.RISK_UNSUPPORTED_TERMS, path, f"day count {code} is not supported for valuation"
    )


def to_ql(d: date) -> Any:
    return ql.Date(d.day, d.month, d.year)


def from_ql(d: Any) -> date:
    return date.fromordinal(d.serialNumber() + QL_EPOCH)


QL_EPOCH = date(1899, 12, 30).toordinal()
"""``date.toordinal() - QL_EPOCH`` is QuantLib's serial number of the same day."""


def ql_from_ordinal(ordinal: int) -> Any:
    return ql.Date(int(ordinal) - QL_EPOCH)


def ordinal_of(d: Any) -> int:
    return int(d.serialNumber()) + QL_EPOCH
