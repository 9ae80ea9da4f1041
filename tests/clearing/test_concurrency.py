"""Concurrent intake while the pipeline runs: nothing lost, nothing novated twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from gateway.clearing.service import ClearingService
from gateway.domain.enums import ClearingStatusCode as S
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import World, aud_irs


async def test_concurrent_submits_and_drains_clear_each_trade_once(world: World) -> None:
    subs = [world.submission(aud_irs(f"C{i}"), message_id=f"CM{i}") for i in range(12)]
    # a second service instance on the same database, as in an active/active pair
    other = ClearingService(
        world.engine, world.margin, clock=world.clock, store=SqlClearingStore(world.engine)
    )

    async def intake() -> list[str]:
        receipts = await asyncio.gather(*(world.service.submit(s) for s in subs))
        again = await asyncio.gather(*(other.submit(s) for s in subs))  # redelivered by the transport
        assert [r.submission_id for r in receipts] == [a.submission_id for a in again]
        return [r.submission_id for r in receipts]

    ids, *_ = await asyncio.gather(intake(), world.service.drain(), other.drain())
    await asyncio.gather(world.service.drain(), other.drain())

    for submission_id in ids:
        history = [u.status for u in await world.service.history(submission_id)]
        assert history == [S.RECEIVED, S.CLEARED]
    async with world.engine.connect() as conn:
        cleared = (await conn.execute(select(func.count()).select_from(t.cleared_trades))).scalar_one()
        submissions = (await conn.execute(select(func.count()).select_from(t.submissions))).scalar_one()
    assert (submissions, cleared) == (12, 24)


async def test_the_same_message_submitted_twice_at_once_is_stored_once(world: World) -> None:
    sub = world.submission(aud_irs("RACE"), message_id="RACE-1")
    a, b = await asyncio.gather(world.service.submit(sub), world.service.submit(sub))
    assert a.submission_id == b.submission_id
    async with world.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.submissions))).scalar_one() == 1


async def _until(w: World, submission_id: str, status: S) -> list[S]:
    """Wait (bounded, not timed) until the running service has moved the trade to ``status``."""
    for _ in range(1000):
        history = [u.status for u in await w.service.history(submission_id)]
        if history[-1] is status:
            return history
        await asyncio.sleep(0.01)
    raise AssertionError(f"{submission_id} never reached {status}: {history}")


async def test_running_service_clears_what_arrives_and_rechecks_after_a_lodgement(make_world) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from gateway.admin.reference import cash
    from gateway.admin.source_directory import SourceDirectory
    from gateway.refdata.sources import TradeSource

    w: World = make_world()
    w.service.is_venue = SourceDirectory([TradeSource("MARKITWIRE", "mw", venue=True)]).is_venue
    await w.onboard(collateral=Decimal(0))
    stop = asyncio.Event()
    runner = asyncio.create_task(w.service.run(stop, poll_seconds=30.0), name="pipeline")
    try:
        small = await w.service.submit(w.submission(aud_irs("SMALL", sub_block=True)))
        assert await _until(w, small.submission_id, S.CLEARED) == [S.RECEIVED, S.CLEARED]
        big = await w.service.submit(w.submission(aud_irs("BIG")))
        await _until(w, big.submission_id, S.PENDING)
        for m in ("BANKA", "BANKB"):
            await w.refdata.lodge(m, "HOUSE", cash("AUD", Decimal(10_000_000)))  # wakes the loop
        assert await _until(w, big.submission_id, S.CLEARED) == [S.RECEIVED, S.PENDING, S.CLEARED]
    finally:
        stop.set()
        await runner


async def test_running_service_runs_end_of_day_at_the_close(make_world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta
    from decimal import Decimal

    from gateway.domain.reasons import ReasonCode

    w: World = make_world()
    await w.onboard(collateral=Decimal(0))
    pending = await w.service.submit(w.submission(aud_irs("BIG")))
    await w.service.drain()
    stop = asyncio.Event()
    runner = asyncio.create_task(w.service.run(stop, poll_seconds=0.01, end_of_day_at_close=True))
    try:
        await asyncio.sleep(0.05)  # 11:00 Sydney: the loop runs, nothing is refused before the close
        assert [u.status for u in await w.service.history(pending.submission_id)][-1] is S.PENDING
        w.clock.advance(timedelta(hours=10))  # 21:00 Sydney
        history = await _until(w, pending.submission_id, S.REJECTED)
        assert history == [S.RECEIVED, S.PENDING, S.REJECTED]
        last = (await w.service.history(pending.submission_id))[-1]
        assert last.reasons[0].code is ReasonCode.LIFE_NOT_REGISTERED_BY_EOD
    finally:
        stop.set()
        await runner
