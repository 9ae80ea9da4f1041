"""One live UTI, one trade: across sources, concurrent submits and two service instances (SQLite and
PostgreSQL); a correction keeps its UTI; a refused or withdrawn trade frees it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import func, select

from gateway.clearing.ports import StatusUpdate, Submission
from gateway.clearing.service import ClearingService
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.errors import NotEligible
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade, TradeIdentifiers
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import World, aud_irs

UTI = "UTI-U1-1"  # aud_irs("U1")'s


def same_uti(trade_id: str, **kw: object) -> Trade:
    trade = aud_irs(trade_id, **kw)  # type: ignore[arg-type]
    return dataclasses.replace(trade, identifiers=TradeIdentifiers(trade_id, 1, uti=UTI))


def from_source(world: World, trade: Trade, source: str, message_id: str) -> Submission:
    return dataclasses.replace(world.submission(trade, message_id=message_id), source=source)


async def count(world: World, table: t.Table) -> int:
    async with world.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_one_uti_from_many_sources_on_two_instances_at_once_is_one_trade(world: World) -> None:
    other = ClearingService(
        world.engine, world.margin, clock=world.clock, store=SqlClearingStore(world.engine)
    )  # an active/active pair
    subs = [from_source(world, same_uti(f"U-{n}"), f"SOURCE{n}", f"M{n}") for n in range(8)]
    results = await asyncio.gather(
        *(
            (world.service if n % 2 else other).submit(sub)  # each instance group-commits its half
            for n, sub in enumerate(subs)
        ),
        return_exceptions=True,
    )
    stored = [r for r in results if isinstance(r, StatusUpdate)]
    refused = [r for r in results if isinstance(r, NotEligible)]
    assert len(stored) == 1, results
    assert len(refused) == len(subs) - 1, results
    for error in refused:
        assert error.code is ReasonCode.ELIG_DUPLICATE_UTI
        assert (
            error.issues[0].message == f"UTI {UTI} is live as submission {stored[0].submission_id} (Received)"
        )
    assert await count(world, t.submissions) == 1
    await asyncio.gather(world.service.drain(), other.drain())
    assert await count(world, t.cleared_trades) == 2


async def test_a_refused_or_withdrawn_trade_frees_its_uti(world: World) -> None:
    long = await world.service.submit(from_source(world, same_uti("U-LONG", years=40), "SRC1", "M1"))
    await world.service.drain()  # A$ IRS clear up to 30 years: refused
    assert [u.status for u in await world.service.history(long.submission_id)] == [S.RECEIVED, S.REJECTED]
    withdrawn = await world.service.submit(from_source(world, same_uti("U-WD"), "SRC2", "M2"))
    with pytest.raises(NotEligible):  # live: the UTI is taken
        await world.service.submit(from_source(world, same_uti("U-TAKEN"), "SRC3", "M3"))
    await world.service.withdraw("SRC2", "U-WD", world.clock.now(), "retracted")
    assert (await world.service.history(withdrawn.submission_id))[-1].status is S.WITHDRAWN
    third = await world.service.submit(from_source(world, same_uti("U-OK"), "SRC3", "M4"))
    assert third.status is S.RECEIVED
    await world.service.drain()
    assert [u.status for u in await world.service.history(third.submission_id)] == [S.RECEIVED, S.CLEARED]


async def test_a_correction_keeps_its_trades_uti_and_may_not_take_another_live_one(world: World) -> None:
    first = await world.service.submit(world.submission(same_uti("U1"), message_id="V1"))
    corrected = dataclasses.replace(
        same_uti("U1", notional=20_000_000),
        identifiers=TradeIdentifiers("U1", 2, uti=UTI),
    )
    second = await world.service.submit(world.submission(corrected, message_id="V2", correction=True))
    assert second.status is S.RECEIVED
    assert [u.status for u in await world.service.history(first.submission_id)] == [S.RECEIVED, S.WITHDRAWN]
    # another trade of the source may not correct itself onto the live UTI
    await world.service.submit(world.submission(aud_irs("U2"), message_id="W1"))
    onto = dataclasses.replace(aud_irs("U2"), identifiers=TradeIdentifiers("U2", 2, uti=UTI))
    with pytest.raises(NotEligible) as refused:
        await world.service.submit(world.submission(onto, message_id="W2", correction=True))
    assert refused.value.code is ReasonCode.ELIG_DUPLICATE_UTI
    assert second.submission_id in refused.value.issues[0].message
    await world.service.drain()
    assert [u.status for u in await world.service.history(second.submission_id)] == [S.RECEIVED, S.CLEARED]
    async with world.engine.connect() as conn:
        live = (
            await conn.execute(select(t.submissions.c.uti).where(t.submissions.c.stage == "CLEARED"))
        ).scalars()
        assert sorted(u or "" for u in live) == sorted([UTI, "UTI-U2-1"])
