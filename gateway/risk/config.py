"""Configuration of scenarios and margin models (a TOML file can override every field)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gateway.domain.enums import AccountType
from gateway.domain.errors import InputRejected


class ShiftKind(StrEnum):
    ABSOLUTE = "absolute"  # z + (z_t - z_{t-h})
    RELATIVE = "relative"  # z * (1 + (z_t - z_{t-h}) / |z_{t-h}|), the denominator floored


class MarginModel(StrEnum):
    VAR = "var"  # -quantile(P&L, 1 - confidence)
    ES = "es"  # -mean of the worst ceil(n * (1 - confidence)) P&Ls


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    window: int = 1250  # overlapping changes used
    horizon_days: int = 5  # house holding period (business days)
    client_horizon_days: int = 7  # client accounts' holding period
    shift: ShiftKind = ShiftKind.ABSOLUTE
    relative_floor: float = 0.0025  # denominator floor for relative shifts
    ewma_decay: float | None = None  # e.g. 0.97 scales each change to today's volatility

    def horizon(self, account: AccountType) -> int:
        return self.client_horizon_days if account is AccountType.CLIENT else self.horizon_days


@dataclass(frozen=True, slots=True)
class MarginConfig:
    confidence: float = 0.997
    model: MarginModel = MarginModel.VAR
    credit_addon: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({})
    )  # member -> IM fraction
    concentration_threshold: float = float("inf")  # base IM above which the concentration add-on applies
    concentration_rate: float = 0.0  # fraction of the base IM above the threshold
    worst_reported: int = 5


@dataclass(frozen=True, slots=True)
class RiskConfig:
    scenarios: ScenarioConfig = ScenarioConfig()
    margin: MarginConfig = MarginConfig()
    max_extrapolation_days: int = 366  # flat extrapolation allowed beyond a curve's last pillar

    @classmethod
    def load(cls, path: str | Path) -> RiskConfig:
        """Read ``[scenarios]``, ``[margin]`` and top-level keys of a TOML file over the defaults."""
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputRejected.of(_bad(), str(path), f"risk configuration cannot be read: {exc}") from None
        return cls.from_dict(doc, str(path))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], where: str = "config") -> RiskConfig:
        scen = _apply(ScenarioConfig(), doc.get("scenarios", {}), f"{where}:scenarios")
        margin = _apply(MarginConfig(), doc.get("margin", {}), f"{where}:margin")
        top = {k: v for k, v in doc.items() if k not in ("scenarios", "margin")}
        base = cls(scenarios=scen, margin=margin)
        out: RiskConfig = _apply(base, top, where)
        return out


def _bad() -> Any:
    from gateway.domain.reasons import ReasonCode

    return ReasonCode.FPML_INVALID_VALUE


def _apply(obj: Any, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise InputRejected.of(_bad(), f"{where}.{key}", f"unknown setting {key!r}")
        current = getattr(obj, key)
        if isinstance(current, StrEnum):
            try:
                value = type(current)(value)
            except ValueError:
                raise InputRejected.of(
                    _bad(), f"{where}.{key}", f"{value!r} is not one of {[m.value for m in type(current)]}"
                ) from None
        elif isinstance(current, Mapping):
            value = MappingProxyType({str(k): float(v) for k, v in dict(value).items()})
        changes[key] = value
    out = replace(obj, **changes)
    _check(out, where)
    return out


def _check(obj: Any, where: str) -> None:
    if isinstance(obj, ScenarioConfig):
        if obj.window < 10 or obj.horizon_days < 1 or obj.client_horizon_days < 1:
            raise InputRejected.of(_bad(), f"{where}.window", "window >= 10 and horizons >= 1 are required")
        if obj.ewma_decay is not None and not 0.0 < obj.ewma_decay < 1.0:
            raise InputRejected.of(_bad(), f"{where}.ewma_decay", "EWMA decay must lie in (0, 1)")
    if isinstance(obj, MarginConfig) and not 0.5 < obj.confidence < 1.0:
        raise InputRejected.of(_bad(), f"{where}.confidence", "confidence must lie in (0.5, 1)")
