"""Published fixings of floating rate indices: the CSV they arrive in and the lookup valuation uses.

A fixings file has the header ``index,date,rate``: the index as a curve is named (overnight indices
bare, term indices as ``INDEX TENOR``, e.g. ``AUD-BBR-BBSW 3M``), the fixing date as YYYY-MM-DD and the
rate as a decimal (0.0435 is 4.35%). Lines starting with ``#`` are comments. Every refusal names the
file, the line and the field.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

from gateway.domain.errors import Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.indices import curve_name, parse_curve_name

HEADER = ("index", "date", "rate")
MAX_ABS_RATE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Fixing:
    """One published rate of an index (canonical curve name) on its fixing date."""

    index: str
    fixing_date: date
    rate: Decimal
    line: int = field(default=0, compare=False)  # where it was read, for messages


def _fail(code: ReasonCode, where: str, message: str) -> MarketDataError:
    return MarketDataError([Issue(code, where, message)])


def canonical_index(text: str, where: str) -> str:
    """The canonical name of an index as the fixings store keys it; MKT_UNKNOWN_INDEX otherwise."""
    parsed = parse_curve_name(text)
    if parsed is None:
        raise _fail(
            ReasonCode.MKT_UNKNOWN_INDEX,
            where,
            f"index {text!r} names no known floating rate index (overnight indices bare, term indices "
            "as 'INDEX TENOR')",
        )
    info, tenor = parsed
    return curve_name(info, tenor)


def parse_fixings(text: str, file: str) -> list[Fixing]:
    """The rows of a fixings CSV; the first defect raises ``MarketDataError`` naming ``file:line`` and the field."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and lines[first].startswith("#"):
        first += 1
    reader = csv.reader(io.StringIO("\n".join(lines[first:])))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise _fail(
            ReasonCode.MKT_BAD_FIXING,
            f"{file}:{first + 1}",
            f"{file} line {first + 1}: the header must be {','.join(HEADER)}, found {','.join(header or [])}",
        )
    out: list[Fixing] = []
    seen: dict[tuple[str, date], int] = {}
    for offset, row in enumerate(reader):
        line = first + 2 + offset
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(HEADER):
            raise _fail(
                ReasonCode.MKT_BAD_FIXING,
                f"{file}:{line}",
                f"{file} line {line}: {len(row)} fields, expected {len(HEADER)} ({','.join(HEADER)})",
            )
        index_text, date_text, rate_text = (c.strip() for c in row)
        index = canonical_index(index_text, f"{file}:{line}:index")
        try:
            day = date.fromisoformat(date_text)
        except ValueError:
            raise _fail(
                ReasonCode.MKT_BAD_FIXING,
                f"{file}:{line}:date",
                f"{file} line {line}: date {date_text!r} is not YYYY-MM-DD",
            ) from None
        try:
            rate = Decimal(rate_text)
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or not math.isfinite(float(rate)):
            raise _fail(
                ReasonCode.MKT_BAD_FIXING,
                f"{file}:{line}:rate",
                f"{file} line {line}: rate {rate_text!r} of {index} on {day} is not a number",
            )
        if abs(rate) > MAX_ABS_RATE:
            raise _fail(
                ReasonCode.MKT_BAD_FIXING,
                f"{file}:{line}:rate",
                f"{file} line {line}: rate {rate_text} of {index} on {day} is not a decimal rate "
                "(0.0435 means 4.35%)",
            )
        before = seen.get((index, day))
        if before is not None:
            raise _fail(
                ReasonCode.MKT_BAD_FIXING,
                f"{file}:{line}:date",
                f"{file} line {line}: {index} on {day} appears twice (first on line {before})",
            )
        seen[(index, day)] = line
        out.append(Fixing(index, day, rate, line))
    return out


def read_fixings(path: Path) -> list[Fixing]:
    """``parse_fixings`` of a file; a missing or unreadable file is MKT_BAD_FIXING naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(ReasonCode.MKT_BAD_FIXING, path.name, f"{path} cannot be read: {exc}") from None
    return parse_fixings(text, path.name)


@dataclass(frozen=True, slots=True)
class FixingTable:
    """Fixings by (canonical index, date): what valuation looks a fixed coupon's rate up in."""

    rates: Mapping[tuple[str, date], float] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, fixings: Iterable[Fixing]) -> FixingTable:
        return cls(MappingProxyType({(f.index, f.fixing_date): float(f.rate) for f in fixings}))

    def __len__(self) -> int:
        return len(self.rates)

    def get(self, index: str, day: date) -> float | None:
        return self.rates.get((index, day))

    def rate(self, index: str, day: date, where: str = "fixing") -> float:
        """The fixing of ``index`` on ``day``; MKT_MISSING_FIXING naming both when there is none."""
        found = self.rates.get((index, day))
        if found is None:
            raise _fail(
                ReasonCode.MKT_MISSING_FIXING,
                where,
                f"no fixing of {index} on {day} is stored: load it (clearing-gateway fixings load FILE)",
            )
        return found
