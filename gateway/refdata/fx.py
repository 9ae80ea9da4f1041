"""Configured FX rates used to value collateral and margin in an account's base currency."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.refdata.model import Holding, check_currency


@dataclass(frozen=True, slots=True)
class FxRates:
    """Rates as units of a pivot currency per unit of each currency (the pivot itself is 1)."""

    pivot: str
    per_unit: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_currency(self.pivot, "fx.pivot")
        for ccy, rate in self.per_unit.items():
            check_currency(ccy, f"fx.rates.{ccy}")
            if rate <= 0:
                raise InputRejected([Issue(ReasonCode.MD_BAD_FILE, f"fx.rates.{ccy}", f"rate {rate} <= 0")])

    def _rate(self, ccy: str) -> Decimal:
        if ccy == self.pivot:
            return Decimal(1)
        try:
            return self.per_unit[ccy]
        except KeyError:
            raise InputRejected(
                [Issue(ReasonCode.MD_MISSING_CURVE, f"fx.rates.{ccy}", f"no FX rate configured for {ccy}")]
            ) from None

    def convert(self, amount: Decimal, from_ccy: str, to_ccy: str) -> Decimal:
        if from_ccy == to_ccy:
            return amount
        return amount * self._rate(from_ccy) / self._rate(to_ccy)

    def value(self, holdings: tuple[Holding, ...] | list[Holding], base_currency: str) -> Decimal:
        """Collateral value after haircuts of ``holdings`` in ``base_currency``."""
        return sum(
            (self.convert(h.collateral_value, h.currency, base_currency) for h in holdings), Decimal(0)
        )

    @classmethod
    def from_toml(cls, text: str, where: str = "fx") -> FxRates:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputRejected([Issue(ReasonCode.MD_BAD_FILE, where, str(exc))]) from None
        pivot = data.get("pivot")
        rates = data.get("rates", {})
        if not isinstance(pivot, str) or not isinstance(rates, dict):
            raise InputRejected(
                [Issue(ReasonCode.MD_BAD_FILE, where, "needs pivot = 'CCY' and a [rates] table")]
            )
        try:
            parsed = {str(k): Decimal(str(v)) for k, v in rates.items()}
        except ArithmeticError:
            raise InputRejected(
                [Issue(ReasonCode.MD_BAD_FILE, f"{where}.rates", "rates must be numbers")]
            ) from None
        return cls(pivot, parsed)

    @classmethod
    def load(cls, path: Path | None = None) -> FxRates:
        """The rates in ``path``, or the ones shipped with the package."""
        if path is None:
            text = resources.files("gateway.refdata").joinpath("fx.toml").read_text(encoding="utf-8")
            return cls.from_toml(text, "gateway/refdata/fx.toml")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputRejected([Issue(ReasonCode.MD_BAD_FILE, str(path), f"cannot read: {exc}")]) from None
        return cls.from_toml(text, str(path))
