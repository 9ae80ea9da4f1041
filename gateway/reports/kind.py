"""What a report kind is: its stable columns and the query that gives its rows for one member and day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

Cell = str | int | Decimal | date | datetime | None
Row = Sequence[Cell]


@dataclass(frozen=True, slots=True)
class Scope:
    """One member's business date: what happened after the previous business day's close (``start``,
    excluded) up to this day's close (``end``, included)."""

    member_id: str
    business_date: date
    start: datetime
    end: datetime


Query = Callable[[AsyncConnection, Scope], Awaitable[list[Row]]]


@dataclass(frozen=True, slots=True)
class ReportKind:
    name: str  # the file is ``<name>.csv``
    columns: tuple[str, ...]  # documented in docs/REPORTS.md; new columns only ever go at the end
    rows: Query


def cell(value: Cell) -> str:
    """A value as the CSV writes it: exact decimals, ISO dates and UTC times, empty for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
