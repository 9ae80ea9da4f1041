"""Pure domain values: canonical trade, coded values, reasons, errors. No I/O."""

from gateway.domain.enums import (
    AccountType,
    BusinessDayConvention,
    ClearingStatusCode,
    CompoundingMethod,
    DayCount,
    PeriodUnit,
    ProductClass,
)
from gateway.domain.errors import (
    GatewayError,
    InputRejected,
    Issue,
    MarketDataError,
    NotEligible,
    TradeInvalid,
)
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.domain.trade import (
    PackageRef,
    Party,
    PartyTradeId,
    PrincipalExchanges,
    Stream,
    Trade,
    TradeIdentifiers,
)
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period, Step

__all__ = [
    "NO_ADJUSTMENT",
    "REASONS",
    "AccountType",
    "BusinessDayConvention",
    "ClearingStatusCode",
    "CompoundingMethod",
    "DateAdjustment",
    "DayCount",
    "GatewayError",
    "InputRejected",
    "Issue",
    "MarketDataError",
    "NotEligible",
    "PackageRef",
    "Party",
    "PartyTradeId",
    "Period",
    "PeriodUnit",
    "PrincipalExchanges",
    "ProductClass",
    "ReasonCode",
    "Step",
    "Stream",
    "Trade",
    "TradeIdentifiers",
    "TradeInvalid",
]
