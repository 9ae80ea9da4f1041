"""Fixings rows <-> ``Fixing`` values. Functions take a connection (callers compose transactions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.risk.market.fixings import Fixing
from gateway.store import tables as t


@dataclass(frozen=True, slots=True)
class StoredFixing:
    fixing: Fixing
    source: str
    loaded_at: datetime


def _row(r: object) -> StoredFixing:
    return StoredFixing(
        Fixing(r.index, r.fixing_date, Decimal(r.rate)),  # type: ignore[attr-defined]
        r.source,  # type: ignore[attr-defined]
        r.loaded_at,  # type: ignore[attr-defined]
    )


async def stored(
    conn: AsyncConnection, keys: Iterable[tuple[str, date]]
) -> dict[tuple[str, date], StoredFixing]:
    """The stored fixings among ``keys`` (index, fixing date)."""
    wanted = set(keys)
    out: dict[tuple[str, date], StoredFixing] = {}
    col = t.fixings.c
    by_index: dict[str, list[date]] = {}
    for index, day in wanted:
        by_index.setdefault(index, []).append(day)
    for index, days in by_index.items():  # one range read per index, the dates picked here
        query = select(t.fixings).where(
            and_(col["index"] == index, col.fixing_date >= min(days), col.fixing_date <= max(days))
        )
        for r in await conn.execute(query):
            found = _row(r)
            key = (found.fixing.index, found.fixing.fixing_date)
            if key in wanted:
                out[key] = found
    return out


async def insert(conn: AsyncConnection, fixings: Sequence[Fixing], source: str, at: datetime) -> None:
    if fixings:
        await conn.execute(
            t.fixings.insert(),
            [
                {
                    "index": f.index,
                    "fixing_date": f.fixing_date,
                    "rate": f.rate,
                    "source": source,
                    "loaded_at": at,
                }
                for f in fixings
            ],
        )


async def replace(conn: AsyncConnection, fixing: Fixing, source: str, at: datetime) -> None:
    col = t.fixings.c
    await conn.execute(
        update(t.fixings)
        .where(and_(col["index"] == fixing.index, col.fixing_date == fixing.fixing_date))
        .values(rate=fixing.rate, source=source, loaded_at=at)
    )


async def between(
    conn: AsyncConnection, index: str | None = None, start: date | None = None, end: date | None = None
) -> list[StoredFixing]:
    """Stored fixings, by index then date; of one index and between two dates (inclusive) when given."""
    col = t.fixings.c
    query = select(t.fixings).order_by(col["index"], col.fixing_date)
    if index is not None:
        query = query.where(col["index"] == index)
    if start is not None:
        query = query.where(col.fixing_date >= start)
    if end is not None:
        query = query.where(col.fixing_date <= end)
    return [_row(r) for r in await conn.execute(query)]
