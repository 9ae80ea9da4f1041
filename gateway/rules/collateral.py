"""Eligible collateral: the haircut a security gets when it is lodged without one.

Configured in the clearing settings' ``[collateral.eligible]`` table, keyed either by a whole ISIN or by an
ISIN's two-letter country prefix (the issuer's country, ``XS`` for international issues), with the haircut
as a fraction in [0, 1). A whole ISIN wins over its prefix. A security matched by neither is not eligible
by configuration: it can be lodged only with an explicit haircut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.identifiers import ISIN_LENGTH, isin_problem
from gateway.domain.reasons import ReasonCode

_PREFIX_LENGTH = 2


def _bad(path: str, message: str) -> InputRejected:
    return InputRejected([Issue(ReasonCode.REF_INVALID_INPUT, path, message)])


def check_haircut(value: Decimal, path: str) -> Decimal:
    """``value`` if it is a haircut: a fraction in [0, 1)."""
    if not value.is_finite() or not Decimal(0) <= value < Decimal(1):
        raise _bad(path, f"haircut {value} is not within [0, 1): give a fraction, e.g. 0.02 for 2%")
    return value


@dataclass(frozen=True, slots=True)
class EligibleCollateral:
    """Haircuts by ISIN and by ISIN country prefix."""

    haircuts: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for key, haircut in self.haircuts.items():
            where = f"collateral.eligible.{key}"
            if len(key) == ISIN_LENGTH:
                problem = isin_problem(key)
                if problem is not None:
                    raise InputRejected([Issue(ReasonCode.REF_INVALID_ISIN, where, problem)])
            elif len(key) != _PREFIX_LENGTH or not key.isalpha() or not key.isupper():
                raise _bad(where, "a key is a whole ISIN or a two-letter ISIN country prefix, e.g. AU")
            check_haircut(haircut, where)

    def haircut_for(self, isin: str) -> Decimal | None:
        """The configured haircut of ``isin``: its own entry, else its country prefix's, else None."""
        found = self.haircuts.get(isin)
        if found is None:
            found = self.haircuts.get(isin[:_PREFIX_LENGTH])
        return found

    @classmethod
    def from_table(cls, raw: Any, where: str = "collateral") -> EligibleCollateral:
        """From the ``[collateral]`` table of the settings: ``eligible = {KEY = haircut, ...}``."""
        if not isinstance(raw, dict):
            raise _bad(where, "expected a table")
        unknown = set(raw) - {"eligible"}
        if unknown:
            raise _bad(f"{where}.{sorted(unknown)[0]}", "unknown setting")
        table = raw.get("eligible", {})
        if not isinstance(table, dict):
            raise _bad(f"{where}.eligible", "expected a table of ISIN or country prefix = haircut")
        out: dict[str, Decimal] = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise _bad(f"{where}.eligible.{key}", f"invalid haircut {value!r}")
            try:
                out[key] = Decimal(str(value))
            except ArithmeticError:
                raise _bad(f"{where}.eligible.{key}", f"invalid haircut {value!r}") from None
        return cls(MappingProxyType(out))


__all__ = ["EligibleCollateral", "check_haircut"]
