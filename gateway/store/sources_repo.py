"""Trade source rows <-> ``TradeSource`` values. Functions take a connection (callers compose transactions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.refdata.sources import SourceStatus, TradeSource
from gateway.store import tables as t


def _source(r: Any) -> TradeSource:
    return TradeSource(
        source_id=r.source_id,
        mqtt_user=r.mqtt_user,
        fix_comp_id=r.fix_comp_id,
        venue=bool(r.venue),
        party_id=r.party_id,
        status=SourceStatus(r.status),
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


async def insert_source(conn: AsyncConnection, s: TradeSource, at: datetime) -> None:
    await conn.execute(
        t.trade_sources.insert().values(
            source_id=s.source_id,
            mqtt_user=s.mqtt_user,
            fix_comp_id=s.fix_comp_id,
            venue=s.venue,
            party_id=s.party_id,
            status=s.status.value,
            created_at=at,
            updated_at=at,
        )
    )


async def get_source(conn: AsyncConnection, source_id: str) -> TradeSource | None:
    row = (
        await conn.execute(select(t.trade_sources).where(t.trade_sources.c.source_id == source_id))
    ).first()
    return None if row is None else _source(row)


async def list_sources(conn: AsyncConnection) -> list[TradeSource]:
    rows = await conn.execute(select(t.trade_sources).order_by(t.trade_sources.c.source_id))
    return [_source(r) for r in rows]


async def source_by_comp_id(conn: AsyncConnection, comp_id: str) -> TradeSource | None:
    row = (
        await conn.execute(select(t.trade_sources).where(t.trade_sources.c.fix_comp_id == comp_id))
    ).first()
    return None if row is None else _source(row)


async def set_source_status(
    conn: AsyncConnection, source_id: str, status: SourceStatus, at: datetime
) -> bool:
    result = await conn.execute(
        update(t.trade_sources)
        .where(t.trade_sources.c.source_id == source_id)
        .values(status=status.value, updated_at=at)
    )
    return bool(result.rowcount)


async def member_holds(
    conn: AsyncConnection, *, member_id: str, comp_id: str | None, mqtt_user: str | None = None
) -> list[str]:
    """What of a would-be source a member already holds: its id as a member id, its MQTT user as a member's
    broker user (a member's user name is its id), its CompID as a session."""
    taken: list[str] = []
    if (
        await conn.execute(select(t.members.c.member_id).where(t.members.c.member_id == member_id))
    ).first() is not None:
        taken.append(f"{member_id} is a clearing member's id (members are not sources)")
    if (
        mqtt_user is not None
        and mqtt_user != member_id
        and (
            await conn.execute(select(t.members.c.member_id).where(t.members.c.member_id == mqtt_user))
        ).first()
        is not None
    ):
        taken.append(f"MQTT user {mqtt_user} is a clearing member's broker user (members are not sources)")
    if comp_id is not None:
        row = (
            await conn.execute(
                select(t.member_comp_ids.c.member_id).where(t.member_comp_ids.c.comp_id == comp_id)
            )
        ).first()
        if row is not None:
            taken.append(f"CompID {comp_id} is a FIX session of member {row.member_id}")
    return taken
