"""Overnight fixings (AONIA, SOFR, ESTR, SONIA, ...) read from a CSV file: ``index,date,rate_percent``.

One row per published fixing, the rate in percent as the administrators publish it (``AONIA,2026-01-07,3.85``
is 3.85%). ``rate`` answers a fraction. A file that cannot be read, a bad date or number, or a fixing given
twice with two values is refused naming the file, the line and the field; a fixing asked for and not in the
file is MD_MISSING_OVERNIGHT_RATE naming the index and the date.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from gateway.domain.errors import GatewayError, InputRejected
from gateway.domain.reasons import ReasonCode

COLUMNS = ("index", "date", "rate_percent")
_HUNDRED = Decimal(100)


def missing_overnight_rate(index: str, day: date, where: str) -> GatewayError:
    return GatewayError.of(
        ReasonCode.MD_MISSING_OVERNIGHT_RATE,
        f"{index}/{day.isoformat()}",
        f"no {index} fixing for {day.isoformat()} in {where}",
    )


class CsvOvernightRates:
    """The fixings of one CSV file, held in memory (a few thousand rows a year per index)."""

    def __init__(self, fixings: Mapping[tuple[str, date], Decimal], where: str) -> None:
        self._fixings = dict(fixings)
        self.where = where

    @classmethod
    def load(cls, path: Path) -> CsvOvernightRates:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputRejected.of(
                ReasonCode.MD_BAD_FILE, str(path), f"cannot read: {exc.strerror}"
            ) from None
        return cls(parse(text, str(path)), str(path))

    def rate(self, index: str, day: date) -> Decimal:
        found = self._fixings.get((index, day))
        if found is None:
            raise missing_overnight_rate(index, day, self.where)
        return found


def parse(text: str, where: str) -> dict[tuple[str, date], Decimal]:
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    if header != COLUMNS:
        raise InputRejected.of(
            ReasonCode.MD_BAD_FILE,
            f"{where}:1",
            f"expected the columns {','.join(COLUMNS)}, got {','.join(header)}",
        )
    out: dict[tuple[str, date], Decimal] = {}
    for line, row in enumerate(reader, start=2):
        index = (row["index"] or "").strip()
        if not index:
            raise InputRejected.of(ReasonCode.MD_BAD_FILE, f"{where}:{line}:index", "the index is empty")
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            raise InputRejected.of(
                ReasonCode.MD_BAD_FILE, f"{where}:{line}:date", f"not an ISO date: {row['date']!r}"
            ) from None
        try:
            rate = Decimal((row["rate_percent"] or "").strip())
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite():
            raise InputRejected.of(
                ReasonCode.MD_NOT_A_NUMBER,
                f"{where}:{line}:rate_percent",
                f"not a number: {row['rate_percent']!r}",
            )
        value = rate / _HUNDRED
        known = out.get((index, day))
        if known is not None and known != value:
            raise InputRejected.of(
                ReasonCode.MD_BAD_FILE,
                f"{where}:{line}:rate_percent",
                f"{index} on {day.isoformat()} is given twice with different rates",
            )
        out[(index, day)] = value
    return out
