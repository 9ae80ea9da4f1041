"""Clearing service settings: CCP identity, service hours, backloading, credit policy, eligible collateral.

Loaded from TOML.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.rules.collateral import EligibleCollateral
from gateway.rules.files import read_rules_text


class ShortfallAction(StrEnum):
    PEND = "pend"
    REFUSE = "refuse"


def _bad(path: str, message: str) -> InputRejected:
    return InputRejected([Issue(ReasonCode.REF_INVALID_INPUT, path, message)])


@dataclass(frozen=True, slots=True)
class CcpSettings:
    party_id: str = "CCP"
    name: str = "Central Counterparty"
    trade_id_prefix: str = "CCP"


@dataclass(frozen=True, slots=True)
class ServiceHoursSettings:
    timezone: str = "Australia/Sydney"
    calendar: str = "AUSY"
    open: time = time(6, 0)
    close: time = time(21, 0)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad("service_hours.timezone", f"unknown time zone {self.timezone!r}") from None
        if self.open >= self.close:
            raise _bad("service_hours.close", "close must be after open")


@dataclass(frozen=True, slots=True)
class BackloadSettings:
    stale_after_business_days: int = 2
    schedule_after_business_days: int = 1

    def __post_init__(self) -> None:
        if self.stale_after_business_days < 0 or self.schedule_after_business_days < 0:
            raise _bad("backload", "business day counts cannot be negative")


@dataclass(frozen=True, slots=True)
class CreditSettings:
    on_shortfall: ShortfallAction = ShortfallAction.PEND
    tolerance_pool_cap: Decimal = Decimal("0.5")
    # Tolerance limit by internal credit score 1 (best) .. 10, in the member's base currency: used when a
    # member is onboarded without an explicit limit.
    tolerance_by_score: tuple[Decimal, ...] = tuple(
        Decimal(x) for x in (100e6, 75e6, 50e6, 35e6, 25e6, 15e6, 10e6, 5e6, 0, 0)
    )
    # Initial margin add-ons (gateway/risk/margin.py ``with_addons``), in the credit check and at end of day:
    # a credit add-on, a fraction of the base IM by the member's credit score 1 .. 10, and a concentration
    # add-on, ``concentration_rate`` times the base IM above ``concentration_threshold`` (an amount in
    # ``concentration_currency``, converted to each account's base currency; None: no concentration add-on).
    addon_by_score: tuple[Decimal, ...] = (Decimal(0),) * 10
    concentration_threshold: Decimal | None = None
    concentration_currency: str = "AUD"
    concentration_rate: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.tolerance_pool_cap <= Decimal(1):
            raise _bad("credit.tolerance_pool_cap", "must be within [0, 1]")
        if len(self.tolerance_by_score) != 10 or any(x < 0 for x in self.tolerance_by_score):
            raise _bad("credit.tolerance_by_score", "ten non-negative limits, for scores 1 to 10")
        if len(self.addon_by_score) != 10 or any(x < 0 for x in self.addon_by_score):
            raise _bad(
                "credit.addon_by_score", "ten non-negative fractions of the base IM, for scores 1 to 10"
            )
        if self.concentration_threshold is not None and self.concentration_threshold < 0:
            raise _bad("credit.concentration_threshold", "must not be negative")
        if self.concentration_rate < 0:
            raise _bad("credit.concentration_rate", "must not be negative")

    def addon_for(self, credit_score: int) -> Decimal:
        if not 1 <= credit_score <= 10:
            raise _bad("credit_score", f"credit score {credit_score} is not within 1..10")
        return self.addon_by_score[credit_score - 1]

    def tolerance_for(self, credit_score: int) -> Decimal:
        if not 1 <= credit_score <= 10:
            raise _bad("credit_score", f"credit score {credit_score} is not within 1..10")
        return self.tolerance_by_score[credit_score - 1]


@dataclass(frozen=True, slots=True)
class PackageSettings:
    # A package's legs are held until all have arrived (FIX reports them one by one); a package still
    # incomplete this many seconds after its first leg arrived is refused whole (PACKAGE_INCOMPLETE).
    complete_within_s: int = 300

    def __post_init__(self) -> None:
        if self.complete_within_s < 1:
            raise _bad("packages.complete_within_s", "must be 1 second or more")


@dataclass(frozen=True, slots=True)
class CompressionSettings:
    """How a compression groups a member's trades and how far the residuals may move its risk."""

    # Maturity buckets: a trade's years to maturity on the business date, cut at these edges (ascending).
    maturity_edges_years: tuple[Decimal, ...] = (Decimal(1), Decimal(2), Decimal(5), Decimal(10), Decimal(30))
    # Per bucket: the residual's PV01 (value of 1bp) may differ from the bucket's by at most this much, in
    # the bucket's currency, or this fraction of the bucket's PV01, whichever is larger; a bucket whose PV01
    # is within it is flat (no residual).
    pv01_tolerance: Decimal = Decimal(25)
    pv01_tolerance_fraction: Decimal = Decimal("0.001")
    # Per bucket: the residual's NPV may differ from the bucket's by at most this much (bucket currency).
    npv_tolerance: Decimal = Decimal(5_000)
    # Where the compression reports (CSV and PDF) are written.
    report_dir: str = "var/compression"

    def __post_init__(self) -> None:
        edges = self.maturity_edges_years
        if not edges or any(e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
            raise _bad("compression.maturity_edges_years", "expected ascending positive years, at least one")
        for name in ("pv01_tolerance", "pv01_tolerance_fraction", "npv_tolerance"):
            if getattr(self, name) < 0:
                raise _bad(f"compression.{name}", "must not be negative")


@dataclass(frozen=True, slots=True)
class BlockThresholds:
    """Block trade thresholds per currency and product class (``ProductClass`` values): a venue's sub-block
    trade skips the credit check only below its threshold; a currency or product class without one never
    does."""

    by_currency: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from gateway.domain.enums import ProductClass

        classes = {p.value for p in ProductClass}
        for currency, table in self.by_currency.items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise _bad(f"block_thresholds.{currency}", "not an ISO 4217 currency code")
            for product, amount in table.items():
                if product not in classes:
                    raise _bad(
                        f"block_thresholds.{currency}.{product}",
                        f"not a product class ({', '.join(sorted(classes))})",
                    )
                if amount <= 0:
                    raise _bad(f"block_thresholds.{currency}.{product}", "must be positive")

    def threshold(self, currency: str, product: str) -> Decimal | None:
        return self.by_currency.get(currency, {}).get(product)


def _thresholds(data: dict[str, Any]) -> BlockThresholds:
    raw = data.get("block_thresholds", {})
    if not isinstance(raw, dict):
        raise _bad("block_thresholds", "expected a table")
    out: dict[str, dict[str, Decimal]] = {}
    for currency, table in raw.items():
        if not isinstance(table, dict):
            raise _bad(f"block_thresholds.{currency}", "expected a table of product class = amount")
        row: dict[str, Decimal] = {}
        for product, amount in table.items():
            if isinstance(amount, bool) or not isinstance(amount, int | float | str):
                raise _bad(f"block_thresholds.{currency}.{product}", f"invalid value {amount!r}")
            try:
                row[product] = Decimal(str(amount))
            except ArithmeticError:
                raise _bad(f"block_thresholds.{currency}.{product}", f"invalid value {amount!r}") from None
        out[currency] = row
    return BlockThresholds(out)


@dataclass(frozen=True, slots=True)
class ClearingSettings:
    ccp: CcpSettings = field(default_factory=CcpSettings)
    service_hours: ServiceHoursSettings = field(default_factory=ServiceHoursSettings)
    backload: BackloadSettings = field(default_factory=BackloadSettings)
    credit: CreditSettings = field(default_factory=CreditSettings)
    block_thresholds: BlockThresholds = field(default_factory=BlockThresholds)
    collateral: EligibleCollateral = field(default_factory=EligibleCollateral)
    packages: PackageSettings = field(default_factory=PackageSettings)
    compression: CompressionSettings = field(default_factory=CompressionSettings)

    @classmethod
    def from_toml(cls, text: str, where: str = "settings") -> ClearingSettings:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _bad(where, str(exc)) from None
        unknown = set(data) - {
            "ccp",
            "service_hours",
            "backload",
            "credit",
            "block_thresholds",
            "collateral",
            "packages",
            "compression",
        }
        if unknown:
            raise _bad(where, f"unknown sections: {', '.join(sorted(unknown))}")
        return cls(
            ccp=CcpSettings(**_section(data, "ccp", {"party_id": str, "name": str, "trade_id_prefix": str})),
            service_hours=ServiceHoursSettings(
                **_section(
                    data, "service_hours", {"timezone": str, "calendar": str, "open": _time, "close": _time}
                )
            ),
            backload=BackloadSettings(
                **_section(
                    data,
                    "backload",
                    {"stale_after_business_days": int, "schedule_after_business_days": int},
                )
            ),
            credit=CreditSettings(
                **_section(
                    data,
                    "credit",
                    {
                        "on_shortfall": ShortfallAction,
                        "tolerance_pool_cap": lambda v: Decimal(str(v)),
                        "tolerance_by_score": lambda v: tuple(Decimal(str(x)) for x in v),
                        "addon_by_score": lambda v: tuple(Decimal(str(x)) for x in v),
                        "concentration_threshold": lambda v: Decimal(str(v)),
                        "concentration_currency": str,
                        "concentration_rate": lambda v: Decimal(str(v)),
                    },
                )
            ),
            block_thresholds=_thresholds(data),
            collateral=EligibleCollateral.from_table(data.get("collateral", {})),
            packages=PackageSettings(**_section(data, "packages", {"complete_within_s": int})),
            compression=CompressionSettings(
                **_section(
                    data,
                    "compression",
                    {
                        "maturity_edges_years": lambda v: tuple(Decimal(str(x)) for x in v),
                        "pv01_tolerance": lambda v: Decimal(str(v)),
                        "pv01_tolerance_fraction": lambda v: Decimal(str(v)),
                        "npv_tolerance": lambda v: Decimal(str(v)),
                        "report_dir": str,
                    },
                )
            ),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> ClearingSettings:
        """Settings from ``path``, or the ones shipped with the package."""
        text, where = read_rules_text(path, "settings.toml")
        return cls.from_toml(text, where)


def _time(v: Any) -> time:
    if isinstance(v, time):
        return v
    return time.fromisoformat(str(v))


def _section(data: dict[str, Any], name: str, fields: dict[str, Any]) -> dict[str, Any]:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise _bad(name, "expected a table")
    unknown = set(raw) - set(fields)
    if unknown:
        raise _bad(f"{name}.{sorted(unknown)[0]}", "unknown setting")
    out = {}
    for key, value in raw.items():
        try:
            out[key] = fields[key](value)
        except (ValueError, TypeError, ArithmeticError):
            raise _bad(f"{name}.{key}", f"invalid value {value!r}") from None
    return out
