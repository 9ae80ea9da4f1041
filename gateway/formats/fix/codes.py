"""Coded values shared by the FIX reader and writer: our ROE enumerations mapped to domain values."""

from __future__ import annotations

from gateway.domain.enums import BusinessDayConvention, CompoundingMethod, DayCount, PeriodUnit, ProductClass

LEI_SCHEME = "http://www.fpml.org/coding-scheme/external/iso17442"

DAY_COUNT: dict[str, DayCount] = {
    "0": DayCount.ONE_ONE,
    "1": DayCount.THIRTY_360,
    "4": DayCount.THIRTY_E_360,
    "5": DayCount.THIRTY_E_360_ISDA,
    "6": DayCount.ACT_360,
    "7": DayCount.ACT_365_FIXED,
    "8": DayCount.ACT_ACT_AFB,
    "9": DayCount.ACT_ACT_ICMA,
    "11": DayCount.ACT_ACT_ISDA,
    "12": DayCount.BUS_252,
    "14": DayCount.ACT_365L,
}
DAY_COUNT_CODE = {v: k for k, v in DAY_COUNT.items()}

BDC: dict[str, BusinessDayConvention] = {
    "0": BusinessDayConvention.NOT_APPLICABLE,
    "1": BusinessDayConvention.NONE,
    "2": BusinessDayConvention.FOLLOWING,
    "3": BusinessDayConvention.FRN,
    "4": BusinessDayConvention.MODFOLLOWING,
    "5": BusinessDayConvention.PRECEDING,
    "6": BusinessDayConvention.MODPRECEDING,
    "7": BusinessDayConvention.NEAREST,
}
BDC_CODE = {v: k for k, v in BDC.items()}

UNIT: dict[str, PeriodUnit] = {
    "D": PeriodUnit.DAY,
    "Wk": PeriodUnit.WEEK,
    "Mo": PeriodUnit.MONTH,
    "Yr": PeriodUnit.YEAR,
    "T": PeriodUnit.TERM,
}
UNIT_CODE = {v: k for k, v in UNIT.items()}

COMPOUNDING: dict[str, CompoundingMethod] = {
    "0": CompoundingMethod.NONE,
    "1": CompoundingMethod.FLAT,
    "2": CompoundingMethod.STRAIGHT,
    "3": CompoundingMethod.SPREAD_EXCLUSIVE,
}
COMPOUNDING_CODE = {v: k for k, v in COMPOUNDING.items()}

PRODUCT: dict[str, ProductClass] = {
    "IRS": ProductClass.IRS,
    "OIS": ProductClass.OIS,
    "BASIS": ProductClass.BASIS,
    "XCCY": ProductClass.XCCY,
    "ZERO_COUPON": ProductClass.ZERO_COUPON,
}
PRODUCT_CODE = {v: k for k, v in PRODUCT.items()}

SIDES = ("1", "2")
ROLE_EXECUTING_FIRM = "1"
ROLE_CLEARING_ORGANIZATION = "21"
SUB_ID_FULL_NAME = "5"
REGULATORY_ID_CURRENT = "0"
