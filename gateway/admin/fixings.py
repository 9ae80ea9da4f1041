"""The fixings store: loading published fixings (idempotent, conflicts refused unless replaced) and reading them.

A re-load of the same rate for an index and date changes nothing; a different rate is refused with
MKT_FIXING_CONFLICT naming the index, the date, both rates and the line, and nothing of the file is
written, unless ``replace`` is asked for (a published correction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clearing.margin_cycle import OVERNIGHT_INDICES
from gateway.clock import Clock, SystemClock
from gateway.domain.errors import Issue, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.indices import DEFAULT_DISCOUNTING
from gateway.refdata.overnight import missing_overnight_rate
from gateway.risk.market.fixings import Fixing, FixingTable
from gateway.store import fixings_repo
from gateway.store.engine import reading
from gateway.store.fixings_repo import StoredFixing

_STORED_PLACES = Decimal("1e-12")  # what PostgreSQL's NUMERIC(38, 12) keeps


def _same(a: Decimal, b: Decimal) -> bool:
    return a.quantize(_STORED_PLACES) == b.quantize(_STORED_PLACES)


@dataclass(frozen=True, slots=True)
class LoadResult:
    source: str
    added: int
    unchanged: int
    replaced: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "added": self.added,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
        }


class FixingsStore:
    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()

    async def load(self, fixings: Sequence[Fixing], source: str, *, replace: bool = False) -> LoadResult:
        """Store ``fixings`` read from ``source`` in one transaction (all or nothing)."""
        now = self.clock.now()
        async with self.engine.begin() as conn:
            known = await fixings_repo.stored(conn, ((f.index, f.fixing_date) for f in fixings))
            new: list[Fixing] = []
            changed: list[Fixing] = []
            conflicts: list[Issue] = []
            for f in fixings:
                old = known.get((f.index, f.fixing_date))
                if old is None:
                    new.append(f)
                elif not _same(old.fixing.rate, f.rate):
                    changed.append(f)
                    conflicts.append(
                        Issue(
                            ReasonCode.MKT_FIXING_CONFLICT,
                            f"{source}:{f.line}:rate" if f.line else f"{source}:rate",
                            f"{f.index} on {f.fixing_date}: {f.rate} differs from the stored {old.fixing.rate} "
                            f"(loaded from {old.source}); load with --replace to correct it",
                        )
                    )
            if conflicts and not replace:
                raise MarketDataError(conflicts)
            await fixings_repo.insert(conn, new, source, now)
            for f in changed:
                await fixings_repo.replace(conn, f, source, now)
        return LoadResult(source, len(new), len(fixings) - len(new) - len(changed), len(changed))

    async def between(
        self, index: str | None = None, start: date | None = None, end: date | None = None
    ) -> list[StoredFixing]:
        async with reading(self.engine) as conn:
            return await fixings_repo.between(conn, index, start, end)

    async def table(self, start: date | None = None, end: date | None = None) -> FixingTable:
        """The stored fixings (between two dates when given) as valuation looks them up."""
        return FixingTable.of(s.fixing for s in await self.between(None, start, end))


@dataclass(frozen=True, slots=True)
class DayOvernightRates:
    """The overnight fixings of one business date, read from the fixings store (fractions, as stored)."""

    day: date
    rates: Mapping[str, Decimal]
    stored_as: Mapping[str, str]  # PAI's index name -> the store's

    def rate(self, index: str, day: date) -> Decimal:
        found = self.rates.get(index) if day == self.day else None
        if found is None:
            stored = self.stored_as.get(index, index)
            raise missing_overnight_rate(index, day, f"the fixings store (load {stored} with fixings load)")
        return found


class StoredOvernightRates:
    """PAI's overnight rates from the fixings store, when ``[eod] overnight_rates`` names no CSV.

    PAI names a currency's overnight index briefly (``AONIA``, ``SOFR``, ``ESTR``, ``SONIA``); the store keys
    it by its canonical curve name (``AUD-AONIA-OIS-COMPOUND``, as ``fixings load`` reads it), the
    currency's discounting index. Both keep rates as fractions (0.0435 is 4.35%): nothing is scaled.
    """

    def __init__(self, store: FixingsStore) -> None:
        self.store = store
        self.stored_as = {
            index.name: DEFAULT_DISCOUNTING[currency] for currency, index in OVERNIGHT_INDICES.items()
        }

    async def of_day(self, day: date) -> DayOvernightRates:
        names = {stored: short for short, stored in self.stored_as.items()}
        found = await self.store.between(None, day, day)
        return DayOvernightRates(
            day,
            {names[s.fixing.index]: s.fixing.rate for s in found if s.fixing.index in names},
            self.stored_as,
        )
