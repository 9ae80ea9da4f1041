"""Coded values shared by every layer. Values are the FpML codes where FpML defines one."""

from __future__ import annotations

from enum import StrEnum


class ProductClass(StrEnum):
    """What kind of interest-rate product a canonical trade is."""

    IRS = "IRS"  # fixed/float interest-rate swap on a term index
    OIS = "OIS"  # fixed/float swap on a compounded overnight index
    BASIS = "BASIS"  # single-currency float/float
    XCCY = "XCCY"  # cross-currency swap
    FRA = "FRA"  # forward rate agreement
    ZERO_COUPON = "ZERO_COUPON"  # fixed leg paid once at maturity


class PeriodUnit(StrEnum):
    DAY = "D"
    WEEK = "W"
    MONTH = "M"
    YEAR = "Y"
    TERM = "T"  # one period spanning the whole life of the stream


class DayCount(StrEnum):
    """FpML dayCountFractionScheme codes that the gateway prices and clears."""

    ONE_ONE = "1/1"
    ACT_ACT_ISDA = "ACT/ACT.ISDA"
    ACT_ACT_ICMA = "ACT/ACT.ICMA"
    ACT_ACT_ISMA = "ACT/ACT.ISMA"
    ACT_ACT_AFB = "ACT/ACT.AFB"
    ACT_365_FIXED = "ACT/365.FIXED"
    ACT_365L = "ACT/365L"
    ACT_360 = "ACT/360"
    THIRTY_360 = "30/360"
    THIRTY_E_360 = "30E/360"
    THIRTY_E_360_ISDA = "30E/360.ISDA"
    BUS_252 = "BUS/252"


class BusinessDayConvention(StrEnum):
    FOLLOWING = "FOLLOWING"
    MODFOLLOWING = "MODFOLLOWING"
    PRECEDING = "PRECEDING"
    MODPRECEDING = "MODPRECEDING"
    FRN = "FRN"
    NEAREST = "NEAREST"
    NONE = "NONE"
    NOT_APPLICABLE = "NotApplicable"


class CompoundingMethod(StrEnum):
    """FpML compoundingMethodScheme: compounding across calculation periods within a payment period."""

    NONE = "None"
    FLAT = "Flat"
    STRAIGHT = "Straight"
    SPREAD_EXCLUSIVE = "SpreadExclusive"


class ClearingStatusCode(StrEnum):
    """FpML clearingStatusScheme values published back to trade sources and members."""

    RECEIVED = "Received"
    PENDING = "Pending"
    AWAITING_ACCEPTANCE = "AwaitingAcceptance"
    ACCEPTED = "Accepted"
    REGISTERED = "Registered"
    CLEARED = "Cleared"
    REJECTED = "Rejected"
    WITHDRAWN = "Withdrawn"
    DEREGISTERED = "Deregistered"
    TERMINATED = "Terminated"


class AccountType(StrEnum):
    HOUSE = "HOUSE"
    CLIENT = "CLIENT"


class PositionStatus(StrEnum):
    """Where one member side of a cleared trade is (``cleared_trades.status``, the positions' status)."""

    CLEARED = "CLEARED"  # live
    MATURED = "MATURED"  # past its maturity date (end of day)
    TERMINATED = "TERMINATED"  # fully terminated by an event
    DEREGISTERED = "DEREGISTERED"  # taken out of clearing by a de-clear (its notional kept as it was)
