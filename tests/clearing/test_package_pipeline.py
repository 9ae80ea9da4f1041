"""Packages through the clearing service against a real database (SQLite file and PostgreSQL): legs submitted
one by one, the pass deciding them whole whichever was due, a retraction or a correction of one leg, end of
day, and legs that fall into different batches."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import PackageRef, Trade
from tests.clearing.conftest import TODAY, World, aud_irs


def leg(trade_id: str, sequence: int, size: int = 2, *, version: int = 1, years: int = 5) -> Trade:
    trade = aud_irs(trade_id, version=version, years=years)
    return dataclasses.replace(trade, package=PackageRef("PKG", size, sequence, "MARKITWIRE"))


async def submit(w: World, trade: Trade, *, correction: bool = False) -> str:
    sub = dataclasses.replace(w.submission(trade, correction=correction), package_id="PKG")
    return (await w.service.submit(sub)).submission_id


async def history(w: World, submission_id: str) -> list[tuple[S, list[R]]]:
    return [(u.status, [i.code for i in u.reasons]) for u in await w.service.history(submission_id)]


async def test_legs_arriving_one_by_one_are_cleared_together_when_the_last_arrives(world: World) -> None:
    first = await submit(world, leg("L1", 1))
    assert await world.service.drain() == 1
    assert await history(world, first) == [(S.RECEIVED, [])]  # held: nobody is told more
    second = await submit(world, leg("L2", 2))
    await world.service.drain()
    for sid in (first, second):
        assert [s for s, _ in await history(world, sid)] == [S.RECEIVED, S.CLEARED]
    assert len(await world.service.positions("BANKA", None, TODAY)) == 2


async def test_legs_in_different_batches_are_still_decided_together(world: World) -> None:
    ids = [await submit(world, leg(f"B{n}", n, 3)) for n in (1, 2, 3)]
    await world.service.drain(batch=1)  # one submission per batch: the first batch decides all three
    for sid in ids:
        assert [s for s, _ in await history(world, sid)] == [S.RECEIVED, S.CLEARED]


async def test_withdrawing_one_leg_withdraws_the_package(world: World) -> None:
    first = await submit(world, leg("W1", 1))
    second = await submit(world, leg("W2", 2, years=7))
    update = await world.service.withdraw("MARKITWIRE", "W1", world.clock.now(), "changed our mind")
    assert update.status is S.WITHDRAWN
    assert await history(world, first) == [(S.RECEIVED, []), (S.WITHDRAWN, [R.LIFE_RETRACTED])]
    assert await history(world, second) == [(S.RECEIVED, []), (S.WITHDRAWN, [R.PACKAGE_LEG_REFUSED])]
    await world.service.drain()
    assert not await world.service.positions("BANKA", None, TODAY)


async def test_a_corrected_leg_takes_its_place_in_the_package(world: World) -> None:
    old = await submit(world, leg("C1", 1))
    await world.service.drain()
    new = await submit(world, leg("C1", 1, version=2, years=7), correction=True)
    assert [s for s, _ in await history(world, old)] == [S.RECEIVED, S.WITHDRAWN]
    other = await submit(world, leg("C2", 2))
    await world.service.drain()
    assert [s for s, _ in await history(world, new)] == [S.RECEIVED, S.CLEARED]
    assert [s for s, _ in await history(world, other)] == [S.RECEIVED, S.CLEARED]


async def test_end_of_day_refuses_a_held_package_whole(world: World) -> None:
    first = await submit(world, leg("E1", 1, 3))
    second = await submit(world, leg("E2", 2, 3))
    await world.service.drain()
    report = await world.service.end_of_day(TODAY)
    assert len(report.refused) == 2
    for sid in (first, second):
        status, codes = (await history(world, sid))[-1]
        assert status is S.REJECTED
        assert codes[0] is R.LIFE_NOT_REGISTERED_BY_EOD


async def test_a_held_package_is_refused_whole_once_its_time_has_passed(world: World) -> None:
    first = await submit(world, leg("T1", 1, 3))
    world.clock.advance(timedelta(seconds=60))
    second = await submit(world, leg("T2", 2, 3))
    await world.service.drain()
    world.clock.advance(timedelta(seconds=239))  # 299 s after the first leg
    await world.service.drain()
    assert (await history(world, first))[-1][0] is S.RECEIVED
    world.clock.advance(timedelta(seconds=1))
    await world.service.drain()
    for sid in (first, second):
        assert (await history(world, sid))[-1] == (S.REJECTED, [R.PACKAGE_INCOMPLETE])
