"""FpML conventions as QuantLib objects: business centres, business day conventions, day counts.

Every unsupported code raises ``TradeInvalid``-style errors with ``RISK_UNSUPPORTED_TERMS`` and the path
of the field, so a trade is refused rather than priced on a guessed convention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

import QuantLib as ql

from gateway.domain.enums import BusinessDayConvention, DayCount
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode


class Unpriceable(GatewayError):
    """A trade the engine cannot value with the market data and conventions it has."""


def unpriceable(code: ReasonCode, path: str, message: str) -> Unpriceable:
    return Unpriceable([Issue(code, path, message)])


_CENTRES: dict[str, Callable[[], Any]] = {
    "AUSY": lambda: ql.Australia(ql.Australia.Settlement),
    "AUME": lambda: ql.Australia(ql.Australia.Settlement),
    "USNY": lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
    "USGS": lambda: ql.UnitedStates(ql.UnitedStates.GovernmentBond),
    "GBLO": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
    "EUTA": lambda: ql.TARGET(),
    "DEFR": lambda: ql.Germany(ql.Germany.Settlement),
    "FRPA": lambda: ql.France(ql.France.Settlement),
    "JPTO": lambda: ql.Japan(),
    "CHZU": lambda: ql.Switzerland(),
    "CATO": lambda: ql.Canada(ql.Canada.Settlement),
    "CAMO": lambda: ql.Canada(ql.Canada.Settlement),
    "NZAU": lambda: ql.NewZealand(),
    "NZWE": lambda: ql.NewZealand(),
    "HKHK": lambda: ql.HongKong(),
    "SGSI": lambda: ql.Singapore(),
    "SEST": lambda: ql.Sweden(),
    "NOOS": lambda: ql.Norway(),
    "DKCO": lambda: ql.Denmark(),
    "BRSP": lambda: ql.Brazil(ql.Brazil.Settlement),
    "BRBD": lambda: ql.Brazil(ql.Brazil.Settlement),
    "ZAJO": lambda: ql.SouthAfrica(),
    "MXMC": lambda: ql.Mexico(),
    "PLWA": lambda: ql.Poland(),
    "CZPR": lambda: ql.CzechRepublic(),
    "HUBU": lambda: ql.Hungary(),
    "KRSE": lambda: ql.SouthKorea(ql.SouthKorea.Settlement),
    "CNBE": lambda: ql.China(),
    "ILTA": lambda: ql.Israel(),
}


def supported_centres() -> tuple[str, ...]:
    return tuple(sorted(_CENTRES))


@lru_cache(maxsize=256)
def calendar_for(centres: tuple[str, ...], path: str = "businessCenters") -> Any:
    """The joint holiday calendar of FpML business centres (a day is good only if good everywhere)."""
    if not centres:
        return ql.NullCalendar()
    cals = []
    for code in sorted(set(centres)):
        factory = _CENTRES.get(code)
        if factory is None:
            raise unpriceable(
                ReasonCode.RISK_UNSUPPORTED_TERMS, path, f"business centre {code} has no calendar"
            )
        cals.append(factory())
    while len(cals) > 1:
        head, cals = cals[:4], cals[4:]
        cals.insert(0, ql.JointCalendar(*head) if len(head) > 1 else head[0])
    return cals[0]


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
