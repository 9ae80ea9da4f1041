"""Trade source administration: register, list, suspend, reinstate (``clearing-gateway source``).

Refused (exit 2 on the command line): an id already a member's or a source's (REF_ALREADY_EXISTS), a
CompID already a member session's or another source's (REF_ALREADY_EXISTS), an id that is not a single
topic level (REF_INVALID_SOURCE), an unknown source (REF_UNKNOWN_SOURCE).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clock import Clock, SystemClock
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.refdata.sources import GATEWAY_USER, SourceStatus, TradeSource
from gateway.store import sources_repo
from gateway.store.engine import reading


class TradeSources:
    def __init__(self, engine: AsyncEngine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    async def add(self, source: TradeSource) -> TradeSource:
        async with self.engine.begin() as conn:
            if await sources_repo.get_source(conn, source.source_id) is not None:
                raise InputRejected.of(
                    ReasonCode.REF_ALREADY_EXISTS, "source", f"source {source.source_id} already exists"
                )
            taken = await sources_repo.member_holds(
                conn, member_id=source.source_id, comp_id=source.fix_comp_id, mqtt_user=source.mqtt_user
            )
            if source.mqtt_user == GATEWAY_USER:
                taken.append(f"MQTT user {GATEWAY_USER} is the gateway's own")
            if source.fix_comp_id is not None:
                other = await sources_repo.source_by_comp_id(conn, source.fix_comp_id)
                if other is not None:
                    taken.append(f"CompID {source.fix_comp_id} is source {other.source_id}'s FIX session")
            if taken:
                raise InputRejected.of(ReasonCode.REF_ALREADY_EXISTS, "source", "; ".join(taken))
            await sources_repo.insert_source(conn, source, self.clock.now())
            stored = await sources_repo.get_source(conn, source.source_id)
        assert stored is not None
        return stored

    async def list(self) -> list[TradeSource]:
        async with reading(self.engine) as conn:
            return await sources_repo.list_sources(conn)

    async def suspend(self, source_id: str) -> TradeSource:
        return await self._set_status(source_id, SourceStatus.SUSPENDED)

    async def reinstate(self, source_id: str) -> TradeSource:
        return await self._set_status(source_id, SourceStatus.ACTIVE)

    async def _set_status(self, source_id: str, status: SourceStatus) -> TradeSource:
        async with self.engine.begin() as conn:
            if not await sources_repo.set_source_status(conn, source_id, status, self.clock.now()):
                raise InputRejected.of(ReasonCode.REF_UNKNOWN_SOURCE, "source", f"no source {source_id!r}")
            found = await sources_repo.get_source(conn, source_id)
        assert found is not None
        return found
