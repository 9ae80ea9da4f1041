"""The reference-data watch: one pass reads sources and members once and tells every listener."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.member_directory import MemberDirectory
from gateway.admin.reference import ReferenceData
from gateway.admin.source_admin import TradeSources
from gateway.admin.source_directory import SourceDirectory
from gateway.admin.watch import ReferenceWatch, watch_period
from gateway.refdata.model import Member
from gateway.refdata.sources import TradeSource
from tests.clearing.conftest import member
from tests.strategies import LEI_A, LEI_B


async def test_one_pass_gives_every_listener_the_sources_and_members_as_now_read(engine: AsyncEngine) -> None:
    refdata = ReferenceData(engine)
    await refdata.add_participant(member("BANKA", LEI_A, ("BANKA_FIX",)))
    await TradeSources(engine).add(TradeSource("MW", "markitwire", venue=True))
    seen: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def listener(sources: Sequence[TradeSource], members: Sequence[Member]) -> None:
        seen.append((tuple(s.source_id for s in sources), tuple(m.member_id for m in members)))

    directory = MemberDirectory()
    watch = ReferenceWatch(engine, SourceDirectory(), directory, [listener, listener])
    await watch.refresh()
    assert seen == [(("MW",), ("BANKA",))] * 2
    assert directory.member_for_comp_id("BANKA_FIX") == "BANKA"
    assert watch.sources.is_venue("MW")

    await refdata.add_participant(member("BANKB", LEI_B, ("BANKB_FIX",)))
    await TradeSources(engine).suspend("MW")
    await watch.refresh()
    assert seen[-1] == (("MW",), ("BANKA", "BANKB"))
    assert directory.party_ids("BANKB") == (LEI_B,)
    assert not watch.sources.is_venue("MW")  # suspended: no longer a venue whose sub-blocks skip the check


async def test_a_failed_read_keeps_the_last_tables_and_the_next_pass_reads_again(engine: AsyncEngine) -> None:
    await ReferenceData(engine).add_participant(member("BANKA", LEI_A, ("BANKA_FIX",)))
    directory = MemberDirectory()
    passes: list[int] = []
    failing = [True]

    def listener(sources: Sequence[TradeSource], members: Sequence[Member]) -> None:
        passes.append(len(members))
        if failing[0]:
            failing[0] = False
            raise RuntimeError("the broker refused the rules")

    watch = ReferenceWatch(engine, SourceDirectory(), directory, [listener])
    task = asyncio.create_task(watch.run(0.001))
    try:
        for _ in range(10_000):  # bounded wait for a second pass, not a timing assertion
            if len(passes) >= 2:
                break
            await asyncio.sleep(0.001)
    finally:
        task.cancel()
    assert passes[:2] == [1, 1]  # the watch went on after the failed pass
    assert directory.member_for_comp_id("BANKA_FIX") == "BANKA"


def test_one_timer_runs_at_the_shorter_of_the_two_periods_it_replaces() -> None:
    assert watch_period(5, 5) == 5
    assert watch_period(30, 5) == 5  # FIX Logons follow the reference data every 5 s, as before
    assert watch_period(5, 60) == 5  # the sources are never read less often than [sources] refresh_s
    assert watch_period(30, 0) == 30  # member_refresh_s = 0: the sessions do not follow
    assert watch_period(30, None) == 30  # no FIX sessions
