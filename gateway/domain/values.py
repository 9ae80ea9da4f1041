"""Small immutable values used inside a canonical trade."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from gateway.domain.enums import BusinessDayConvention, PeriodUnit
from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode

_PERIOD_RE = re.compile(r"^(-?\d{1,4})([DWMYT])$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A tenor or frequency: ``6M``, ``1Y``, ``1T`` (term), ``-2D`` (an offset)."""

    multiplier: int
    unit: PeriodUnit

    def __post_init__(self) -> None:
        if self.unit is PeriodUnit.TERM and self.multiplier != 1:
            raise TradeInvalid.of(ReasonCode.FPML_INVALID_VALUE, "period", "a term period must be 1T")

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD_RE.match(text.strip().upper())
        if m is None:
            raise TradeInvalid.of(ReasonCode.FPML_INVALID_VALUE, "period", f"not a period: {text!r}")
        return cls(int(m.group(1)), PeriodUnit(m.group(2)))

    def __str__(self) -> str:
        return f"{self.multiplier}{self.unit.value}"

    @property
    def months(self) -> int | None:
        """Length in months for M and Y periods (None for D, W and T)."""
        if self.unit is PeriodUnit.MONTH:
            return self.multiplier
        if self.unit is PeriodUnit.YEAR:
            return 12 * self.multiplier
        return None


@dataclass(frozen=True, slots=True)
class Step:
    """A change of a scheduled value (notional, fixed rate, spread) taking effect on ``date``."""

    date: date
    value: Decimal


@dataclass(frozen=True, slots=True)
class DateAdjustment:
    """How an unadjusted date is moved onto a business day."""

    convention: BusinessDayConvention
    business_centers: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        needs_centres = self.convention not in (
            BusinessDayConvention.NONE,
            BusinessDayConvention.NOT_APPLICABLE,
        )
        if needs_centres and not self.business_centers:
            raise TradeInvalid.of(
                ReasonCode.FPML_MISSING_FIELD,
                "businessCenters",
                f"business day convention {self.convention} needs business centres",
            )


NO_ADJUSTMENT = DateAdjustment(BusinessDayConvention.NONE)
