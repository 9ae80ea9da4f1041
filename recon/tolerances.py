"""Numeric tolerances per field: a difference breaks when |member - ccp| > abs + rel * |ccp|."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recon.errors import unusable
from recon.layout import NUMERIC_COLUMNS


@dataclass(frozen=True, slots=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0

    def __post_init__(self) -> None:
        if self.abs < 0 or self.rel < 0:
            raise ValueError("tolerances cannot be negative")


DEFAULT_TOLERANCES: Mapping[str, Tolerance] = {
    "notional": Tolerance(abs=0.005),  # half a cent: a rounding difference, not a break
    "fixed_rate": Tolerance(abs=5e-9),  # rates are decimals (0.0325); this is 0.0000005%
    "spread": Tolerance(abs=5e-9),
    "npv": Tolerance(abs=1.0),  # one currency unit; members usually widen it
    # money figures (recon/figures.py) and the net notional of a bucket (recon/aggregate.py): a cent
    "vm": Tolerance(abs=0.01),
    "cash_flow": Tolerance(abs=0.01),
    "aggregate_notional": Tolerance(abs=0.01),
}
# Tolerances that are not position columns: the figures' amounts and the aggregate net notional.
FIGURE_FIELDS = frozenset({"vm", "cash_flow", "aggregate_notional"})


@dataclass(frozen=True, slots=True)
class Tolerances:
    per_field: Mapping[str, Tolerance] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))

    def of(self, column: str) -> Tolerance:
        return self.per_field.get(column, Tolerance())


def load_tolerances(path: Path) -> Tolerances:
    """``[notional] abs = 0.01`` style TOML; fields not named keep their defaults."""
    name = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise unusable(name, "file", "tolerances file does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise unusable(name, "file", f"not valid TOML: {exc}") from None
    return parse_tolerances(doc, name)


def parse_tolerances(doc: Mapping[str, Any], name: str = "tolerances") -> Tolerances:
    merged = dict(DEFAULT_TOLERANCES)
    for column, table in doc.items():
        if column not in NUMERIC_COLUMNS and column not in FIGURE_FIELDS:
            known = sorted(NUMERIC_COLUMNS | FIGURE_FIELDS)
            raise unusable(name, f"[{column}]", f"tolerances apply to {known} only")
        if not isinstance(table, dict) or set(table) - {"abs", "rel"}:
            raise unusable(name, f"[{column}]", "expected a table with 'abs' and/or 'rel'")
        values: dict[str, float] = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise unusable(name, f"{column}.{key}", "must be a non-negative number")
            values[key] = float(value)
        merged[column] = Tolerance(**values)
    return Tolerances(merged)
