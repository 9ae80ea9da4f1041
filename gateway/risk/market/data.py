"""Market data for one as-of date: today's curves, their daily history, the discounting table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

import numpy as np

from gateway.domain.errors import Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.indices import DEFAULT_DISCOUNTING
from gateway.risk.market.curves import Curve, FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class History:
    """Daily zero rates of every pillar: ``rates[d, p]`` on ``dates[d]`` for the market's pillar ``p``."""

    dates: tuple[date, ...]
    rates: FloatArray

    @property
    def days(self) -> int:
        return len(self.dates)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MarketData:
    """Curves keyed by name, in a fixed order that defines the pillar vector (``rates``)."""

    as_of: date
    curves: Mapping[str, Curve] = field(repr=False)
    history: History | None = field(default=None, repr=False)
    discounting: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_DISCOUNTING))
    )
    label: str | None = None  # e.g. a note that the data are synthetic
    source: str = ""

    def __repr__(self) -> str:
        return f"MarketData(as_of={self.as_of}, curves={list(self.curves)}, source={self.source!r})"

    @property
    def rates(self) -> FloatArray:
        """Today's zero rates of every pillar, curve after curve."""
        if not self.curves:
            return np.zeros(0)
        return np.concatenate([c.zero_rates for c in self.curves.values()])

    @property
    def pillar_count(self) -> int:
        return sum(c.size for c in self.curves.values())

    @property
    def synthetic(self) -> bool:
        return self.label is not None and "SYNTHETIC" in self.label.upper()

    def pillar_labels(self) -> list[tuple[str, str]]:
        """(curve, tenor) of every pillar, in pillar-vector order."""
        return [(c.name, str(t)) for c in self.curves.values() for t in c.tenors]

    def curve(self, name: str, path: str = "curve") -> Curve:
        found = self.curves.get(name)
        if found is None:
            raise MarketDataError(
                [
                    Issue(
                        ReasonCode.MD_MISSING_CURVE,
                        path,
                        f"no curve {name!r} in the market data {self.source}",
                    )
                ]
            )
        return found

    def discount_curve(self, currency: str, path: str = "currency") -> Curve:
        name = self.discounting.get(currency)
        if name is None:
            raise MarketDataError(
                [
                    Issue(
                        ReasonCode.MD_MISSING_CURVE,
                        path,
                        f"no discounting index is configured for {currency}",
                    )
                ]
            )
        return self.curve(name, path)
