"""The trade sources as the running gateway sees them: read once, refreshed on a timer, never per message.

``check`` says whether a topic id may submit (None) or why not (AUTH_UNKNOWN_SOURCE,
AUTH_SOURCE_SUSPENDED); ``is_venue`` whether a submission's source (its topic id, or its FIX CompID) is an
active venue. Both are dictionary look-ups; ``refresh`` swaps the whole table at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.refdata.sources import TradeSource
from gateway.store import sources_repo
from gateway.store.engine import reading


class SourceDirectory:
    def __init__(self, sources: Iterable[TradeSource] = ()) -> None:
        self._by_id: dict[str, TradeSource] = {}
        self._by_comp_id: dict[str, TradeSource] = {}
        self.replace(sources)

    def replace(self, sources: Iterable[TradeSource]) -> None:
        listed = list(sources)
        by_id = {s.source_id: s for s in listed}
        by_comp = {s.fix_comp_id: s for s in listed if s.fix_comp_id is not None}
        self._by_id, self._by_comp_id = by_id, by_comp  # readers see the old table or the new one

    async def refresh(self, engine: AsyncEngine) -> None:
        async with reading(engine) as conn:
            self.replace(await sources_repo.list_sources(conn))

    def get(self, source_id: str) -> TradeSource | None:
        return self._by_id.get(source_id)

    def by_comp_id(self, comp_id: str) -> TradeSource | None:
        return self._by_comp_id.get(comp_id)

    @property
    def sources(self) -> tuple[TradeSource, ...]:
        return tuple(self._by_id.values())

    def check(self, source_id: str, path: str = "topic") -> Issue | None:
        """None when ``source_id`` is a registered, active trade source; else the issue refusing it."""
        found = self._by_id.get(source_id)
        if found is None:
            return Issue(
                ReasonCode.AUTH_UNKNOWN_SOURCE,
                path,
                f"{source_id!r} is not a registered trade source; only an approved source may submit",
            )
        if not found.is_active:
            return Issue(ReasonCode.AUTH_SOURCE_SUSPENDED, path, f"trade source {source_id!r} is suspended")
        return None

    def is_approved(self, source_id: str) -> bool:
        """Whether ``source_id`` is a registered, active trade source (it may send events on any trade)."""
        return self.check(source_id) is None

    def is_venue(self, submitted_by: str) -> bool:
        """Whether a submission's source (a topic id on MQTT, a CompID on FIX) is an active venue."""
        found = self._by_id.get(submitted_by) or self._by_comp_id.get(submitted_by)
        return found is not None and found.is_active and found.venue
