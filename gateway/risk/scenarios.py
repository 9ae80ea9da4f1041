"""Historical scenarios: overlapping h-day changes of every pillar, applied to today's curves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from gateway.domain.errors import Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.risk.config import ScenarioConfig, ShiftKind
from gateway.risk.market.curves import FloatArray
from gateway.risk.market.data import MarketData


@dataclass(frozen=True, slots=True, eq=False)
class ScenarioSet:
    """``shifts[s, p]``: change of pillar ``p`` in scenario ``s`` (the change ending on ``dates[s]``)."""

    dates: tuple[date, ...]
    starts: tuple[date, ...]
    shifts: FloatArray
    shifts_t: FloatArray  # the same, transposed and contiguous: rows are pillars
    horizon_days: int
    kind: ShiftKind
    ewma_decay: float | None

    @property
    def count(self) -> int:
        return len(self.dates)


def _ewma_vol(daily: FloatArray, decay: float) -> FloatArray:
    """EWMA volatility of daily changes per pillar, seeded with the first 20 days' mean square."""
    var = np.empty_like(daily)
    seed = np.mean(daily[:20] ** 2, axis=0)
    v = seed
    for i in range(daily.shape[0]):
        v = decay * v + (1.0 - decay) * daily[i] ** 2
        var[i] = v
    return np.sqrt(var)


def build_scenarios(market: MarketData, config: ScenarioConfig, horizon_days: int) -> ScenarioSet:
    """The last ``config.window`` overlapping ``horizon_days`` changes; refuses too short a history."""
    history = market.history
    if history is None:
        raise MarketDataError(
            [
                Issue(
                    ReasonCode.MD_BAD_FILE,
                    "history.csv",
                    f"no history.csv in {market.source}: scenarios need one",
                )
            ]
        )
    need = config.window + horizon_days
    if history.days < need:
        raise MarketDataError(
            [
                Issue(
                    ReasonCode.MD_GAP,
                    "history.csv",
                    f"history has {history.days} days; {config.window} scenarios of {horizon_days} days need {need}",
                )
            ]
        )
    rates = history.rates
    end = np.arange(history.days - config.window, history.days)
    before = rates[end - horizon_days]
    change = rates[end] - before
    if config.ewma_decay is not None:
        daily = np.diff(rates, axis=0)
        vol = np.maximum(_ewma_vol(daily, config.ewma_decay), 1e-7)
        change = change * (vol[-1] / vol[end - 1])
    if config.shift is ShiftKind.RELATIVE:
        denom = np.sign(before) * np.maximum(np.abs(before), config.relative_floor)
        denom[denom == 0] = config.relative_floor
        change = market.rates[None, :] * change / denom
    shifts = np.ascontiguousarray(change)
    return ScenarioSet(
        dates=tuple(history.dates[i] for i in end),
        starts=tuple(history.dates[i - horizon_days] for i in end),
        shifts=shifts,
        shifts_t=np.ascontiguousarray(shifts.T),
        horizon_days=horizon_days,
        kind=config.shift,
        ewma_decay=config.ewma_decay,
    )
