"""Coded values the gateway supports, from the data tables in ``data/`` (configuration, not code)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from gateway.domain.enums import BusinessDayConvention, CompoundingMethod, DayCount


class IndexKind(StrEnum):
    TERM = "term"  # an IBOR-style rate for a designated maturity
    OVERNIGHT = "overnight"  # an overnight rate compounded over the period
    CMS = "cms"  # a constant-maturity swap rate (recognised, not cleared)


@dataclass(frozen=True, slots=True)
class FloatingIndex:
    name: str
    currency: str
    kind: IndexKind


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("gateway.formats.fpml.read").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def business_centers() -> frozenset[str]:
    """FpML businessCenterScheme codes of the centres whose calendars the gateway knows."""
    return frozenset(row["code"] for row in _rows("business_centers.csv"))


@lru_cache(maxsize=1)
def floating_indices() -> dict[str, FloatingIndex]:
    """FpML floatingRateIndexScheme names the gateway recognises, with their currency and kind."""
    return {
        row["index"]: FloatingIndex(row["index"], row["currency"], IndexKind(row["kind"]))
        for row in _rows("floating_rate_indices.csv")
    }


DAY_COUNTS: dict[str, DayCount] = {d.value: d for d in DayCount}
CONVENTIONS: dict[str, BusinessDayConvention] = {c.value: c for c in BusinessDayConvention}
COMPOUNDING: dict[str, CompoundingMethod] = {c.value: c for c in CompoundingMethod}
