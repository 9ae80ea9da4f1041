"""End of day kept by the service: run at the close by the service's own clock, once across processes on
one database, resumed after a run died part-way to the same tables; NPV history, VM and PAI written.

Expected figures are computed here apart from the code: the valuer's hand-built NPV series per million of
notional (``SERIES``), each member side's sign, and the published-style overnight fixings (``FIXINGS``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing import eod
from gateway.clearing.eod import EodReport
from gateway.clearing.ports import Channel, Submission
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import ClearingStatusCode as S
from gateway.refdata.overnight import CsvOvernightRates
from gateway.store import create_engine
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from gateway.store.tables import metadata
from tests.clearing.conftest import LEI_A, LEI_B, OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import SeriesMargin

D = Decimal
WED, THU = TODAY, TODAY + timedelta(days=1)
SERIES = {WED: D("1000.00"), THU: D("1250.50")}  # NPV per million of notional, fixed receiver's side
FIXINGS = "index,date,rate_percent\nAONIA,2026-01-07,4.35\nAONIA,2026-01-08,4.10\n"
AONIA = {WED: D("0.0435"), THU: D("0.0410")}
AFTER_CLOSE = timedelta(hours=10, minutes=30)  # 21:30 in Sydney (UTC+11), half an hour after the close
# (trade id, notional, fixed payer): BANKA pays fixed on T1, BANKB on T2
TRADES = (("T1", D(10_000_000), LEI_A), ("T2", D(20_000_000), LEI_B))


def expected_npv(member_id: str, day: date) -> D:
    """A member's summed NPV of the day: the fixed receiver gains ``SERIES`` per million, the payer loses it."""
    total = D(0)
    for _, notional, payer in TRADES:
        sign = -1 if payer == {"BANKA": LEI_A, "BANKB": LEI_B}[member_id] else 1
        total += sign * SERIES[day] * notional / D(1_000_000)
    return total


def expected_pai(balance: D, day: date) -> D:
    return (-balance * AONIA[day] / D(365)).quantize(D("0.01"), rounding=ROUND_HALF_EVEN) + D(0)


class Node:
    """One service process on the shared database: its own engine and service, the common clock."""

    def __init__(self, url: str, clock: FixedClock, rates: CsvOvernightRates, owner: str) -> None:
        self.engine = create_engine(url)
        self.valuer = SeriesMargin(SERIES)
        self.service = ClearingService(
            self.engine,
            self.valuer,
            clock=clock,
            store=SqlClearingStore(self.engine),
            overnight_rates=rates,
            eod_owner=owner,
        )


@pytest.fixture
def rates(tmp_path: Path) -> CsvOvernightRates:
    path = tmp_path / "overnight.csv"
    path.write_text(FIXINGS)
    return CsvOvernightRates.load(path)


@pytest.fixture
async def pg_url(postgres_session_url: str) -> AsyncIterator[str]:
    """The session's PostgreSQL database, emptied for this test."""
    eng = create_engine(postgres_session_url)
    async with eng.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())
    await eng.dispose()
    return postgres_session_url


@pytest.fixture
async def nodes(pg_url: str, rates: CsvOvernightRates) -> AsyncIterator[Callable[[str], Node]]:
    clock = FixedClock(OPEN_NOW)
    made: list[Node] = []

    def make(owner: str) -> Node:
        node = Node(pg_url, clock, rates, owner)
        made.append(node)
        return node

    yield make
    for node in made:
        await node.engine.dispose()


async def trade_day_one(node: Node) -> str:
    """Two members with collateral; T1 and T2 cleared; a third trade left pending (too large to margin).
    Returns the pending trade's submission id."""
    refdata = ReferenceData(node.engine, clock=node.service.clock)
    await refdata.add_participant(member("BANKA", LEI_A))
    await refdata.add_participant(member("BANKB", LEI_B))
    for m in ("BANKA", "BANKB"):
        await refdata.lodge(m, "HOUSE", cash("AUD", D(100_000_000)))
    pending = ""
    for n, (trade_id, notional, payer) in enumerate((*TRADES, ("BIG", D(10_000_000_000), LEI_A)), start=1):
        receipt = await node.service.submit(
            Submission(
                channel=Channel.MQTT_FPML,
                source="MARKITWIRE",
                message_id=f"MSG-{n}",
                received_at=node.service.clock.now(),
                trade=aud_irs(trade_id, notional=notional, fixed_payer=payer),
                correlation_id=f"CORR-{n}",
                raw=b"<requestClearing/>",
            )
        )
        pending = receipt.submission_id
    await node.service.drain()
    return pending


async def rows(engine: AsyncEngine, table: Any, *order: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(select(table).order_by(*order))]


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """What end of day leaves behind, without when or by whom it ran."""
    c, h = t.cleared_trades.c, t.status_history.c
    async with engine.connect() as conn:
        cleared = [
            tuple(r)
            for r in await conn.execute(select(c.ccp_trade_id, c.status, c.npv).order_by(c.ccp_trade_id))
        ]
        history = [
            tuple(r)
            for r in await conn.execute(
                select(h.submission_id, h.sequence, h.status, h.reasons).order_by(h.submission_id, h.sequence)
            )
        ]
        steps = [
            tuple(r)
            for r in await conn.execute(
                select(t.eod_runs.c.business_date, t.eod_runs.c.step, t.eod_runs.c.state).order_by(
                    t.eod_runs.c.business_date, t.eod_runs.c.step
                )
            )
        ]
        reservations = [tuple(r) for r in await conn.execute(select(t.credit_reservations))]
        risk = [
            tuple(r)
            for r in await conn.execute(
                select(t.account_risk.c.member_id, t.account_risk.c.account_id, t.account_risk.c.margin)
            )
        ]
    return {
        "cleared": cleared,
        "history": history,
        "steps": steps,
        "reservations": reservations,
        "risk": sorted(risk),
        "npv_history": await rows(
            engine, t.npv_history, t.npv_history.c.ccp_trade_id, t.npv_history.c.business_date
        ),
        "variation_margin": await rows(
            engine, t.variation_margin, t.variation_margin.c.business_date, t.variation_margin.c.ccp_trade_id
        ),
        "pai": await rows(
            engine,
            t.price_alignment_interest,
            t.price_alignment_interest.c.business_date,
            t.price_alignment_interest.c.member_id,
        ),
    }


async def wait_for(
    engine: AsyncEngine, day: date, steps: int = len(eod.STEPS), within: float = 20.0
) -> list[Any]:
    """The day's eod_runs once ``steps`` of them are finished."""
    r = t.eod_runs.c
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with engine.connect() as conn:
            found = list(await conn.execute(select(t.eod_runs).where(r.business_date == day)))
        if sum(1 for x in found if x.state in ("done", "skipped")) >= steps:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"end of day of {day} did not finish: {found}")
        await asyncio.sleep(0.02)


async def vm_by_member(engine: AsyncEngine, day: date) -> dict[str, D]:
    v = t.variation_margin.c
    out: dict[str, D] = {}
    for r in await rows(engine, t.variation_margin, v.ccp_trade_id):
        if r[0] == day:
            out[r[2]] = out.get(r[2], D(0)) + r[8]
    return out


async def pai_by_member(engine: AsyncEngine, day: date) -> dict[str, tuple[D, D]]:
    p = t.price_alignment_interest.c
    return {
        r[1]: (r[4], r[9]) for r in await rows(engine, t.price_alignment_interest, p.member_id) if r[0] == day
    }


@pytest.mark.postgres
async def test_the_service_clock_runs_end_of_day_at_the_close_with_vm_and_pai(
    nodes: Callable[[str], Node],
) -> None:
    node = nodes("node-1")
    pending = await trade_day_one(node)
    stop = asyncio.Event()
    runner = asyncio.create_task(node.service.run(stop, poll_seconds=0.01, end_of_day_at_close=True))
    try:
        await asyncio.sleep(0.1)
        assert await rows(node.engine, t.eod_runs) == []  # open: nothing yet
        node.service.clock.advance(AFTER_CLOSE)
        await wait_for(node.engine, WED)
        node.service.clock.advance(timedelta(days=1))  # Thursday 21:30
        await wait_for(node.engine, THU)
    finally:
        stop.set()
        await runner

    history = await node.service.history(pending)
    assert history[-1].status is S.REJECTED  # refused by the service's own end of day
    assert node.valuer.valued.count(WED) == 1  # the book (two accounts) valued in one batch a day
    assert node.valuer.valued.count(THU) == 1

    h = t.npv_history.c
    npvs = await rows(node.engine, t.npv_history, h.business_date, h.ccp_trade_id)
    assert len(npvs) == 8  # two trades, two member sides, two days
    assert {r[1] for r in npvs} == {WED, THU}

    assert await vm_by_member(node.engine, WED) == {
        "BANKA": expected_npv("BANKA", WED),
        "BANKB": expected_npv("BANKB", WED),
    }
    assert await vm_by_member(node.engine, THU) == {
        m: expected_npv(m, THU) - expected_npv(m, WED) for m in ("BANKA", "BANKB")
    }
    assert expected_npv("BANKA", WED) == D("10000.00")  # the series read by hand: +20,000 - 10,000

    for day in (WED, THU):
        assert await pai_by_member(node.engine, day) == {
            m: (expected_npv(m, day), expected_pai(expected_npv(m, day), day)) for m in ("BANKA", "BANKB")
        }
    assert (await pai_by_member(node.engine, WED))["BANKA"][1] == D("-1.19")  # 10,000 x 4.35% / 365


@pytest.mark.postgres
async def test_two_services_on_one_database_run_end_of_day_once(nodes: Callable[[str], Node]) -> None:
    first, second = nodes("node-1"), nodes("node-2")
    pending = await trade_day_one(first)
    stops = [asyncio.Event(), asyncio.Event()]
    runners = [
        asyncio.create_task(n.service.run(s, poll_seconds=0.01, end_of_day_at_close=True))
        for n, s in zip((first, second), stops, strict=True)
    ]
    try:
        await asyncio.sleep(0.05)
        first.service.clock.advance(AFTER_CLOSE)  # the clock both share
        found = await wait_for(first.engine, WED)
        await asyncio.sleep(0.3)  # both have ticked many times since
    finally:
        for s in stops:
            s.set()
        await asyncio.gather(*runners)

    assert len({r.owner for r in found}) == 1
    assert sorted(r.step for r in found) == sorted(eod.STEPS)
    assert len(first.valuer.valued) + len(second.valuer.valued) == 1  # the book valued once, not twice
    history = await first.service.history(pending)
    assert [u.status for u in history].count(S.REJECTED) == 1
    assert len(await rows(first.engine, t.variation_margin)) == 4


@pytest.mark.postgres
async def test_the_lock_is_held_across_engines(nodes: Callable[[str], Node]) -> None:
    first, second = nodes("node-1"), nodes("node-2")
    async with first.service.store.eod_lock(WED) as got:
        assert got
        async with second.service.store.eod_lock(WED) as other:
            assert not other
            report = await second.service.end_of_day(WED)
            assert report.busy
            assert report.steps == ()
        async with second.service.store.eod_lock(THU) as other_day:
            assert other_day  # one lock per business date
    async with second.service.store.eod_lock(WED) as after:
        assert after  # released on exit


async def _dies(svc: Any, run: Any) -> Any:
    raise RuntimeError("the process died here")


@pytest.mark.postgres
async def test_a_run_dying_between_steps_is_resumed_to_the_same_tables(nodes: Callable[[str], Node]) -> None:
    first = nodes("node-1")
    await trade_day_one(first)
    first.service.clock.advance(AFTER_CLOSE)
    with pytest.raises(RuntimeError):
        await eod.end_of_day(first.service, WED, steps={**eod.STEP_FUNCTIONS, "vm": _dies})
    states = {r[1]: (r[2], r[5]) for r in await rows(first.engine, t.eod_runs, t.eod_runs.c.step)}
    assert states == {
        "refuse": ("done", "node-1"),
        "mature": ("done", "node-1"),
        "revalue": ("done", "node-1"),
        "cashflows": ("done", "node-1"),
        "vm": ("running", "node-1"),
    }
    assert await rows(first.engine, t.variation_margin) == []

    second = nodes("node-2")  # a restarted process: its service clock is past the close
    stop = asyncio.Event()
    runner = asyncio.create_task(second.service.run(stop, poll_seconds=0.01, end_of_day_at_close=True))
    try:
        found = await wait_for(second.engine, WED)
    finally:
        stop.set()
        await runner
    owners = {r.step: r.owner for r in found}
    assert owners == {
        "refuse": "node-1",
        "mature": "node-1",
        "revalue": "node-1",
        "cashflows": "node-1",
        "vm": "node-2",
        "pai": "node-2",
        "calls": "node-2",
        "reports": "node-2",
    }
    assert second.valuer.valued == []  # the finished revaluation was not run again
    resumed = await snapshot(second.engine)

    # the same day run again whole, by a third process: every table as the resumed run left it
    third = nodes("node-3")
    report = await third.service.end_of_day(WED)
    assert [s for s, _ in report.steps] == list(eod.STEPS)
    assert await snapshot(third.engine) == resumed
    assert await vm_by_member(third.engine, WED) == {m: expected_npv(m, WED) for m in ("BANKA", "BANKB")}


@pytest.mark.postgres
async def test_a_missing_fixing_stops_the_run_at_pai_naming_index_and_date(
    nodes: Callable[[str], Node], tmp_path: Path
) -> None:
    node = nodes("node-1")
    await trade_day_one(node)
    path = tmp_path / "short.csv"
    path.write_text("index,date,rate_percent\nAONIA,2026-01-06,4.35\n")
    node.service.overnight_rates = CsvOvernightRates.load(path)
    node.service.clock.advance(AFTER_CLOSE)
    report: EodReport = await node.service.end_of_day(WED)
    assert report.failed is not None
    assert report.failed[0] == "pai"
    assert "MD_MISSING_OVERNIGHT_RATE" in report.failed[1]
    assert "AONIA" in report.failed[1]
    assert "2026-01-07" in report.failed[1]
    states = {r[1]: (r[2], r[6]) for r in await rows(node.engine, t.eod_runs, t.eod_runs.c.step)}
    assert states["pai"][0] == "failed"
    assert "AONIA" in states["pai"][1]
    assert states["vm"] == ("done", None)
    assert await rows(node.engine, t.price_alignment_interest) == []
    assert len(await rows(node.engine, t.variation_margin)) == 4  # VM stands; PAI waits for the fixing


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
async def test_a_run_killed_inside_a_step_is_resumed_to_the_tables_of_a_whole_run(
    nodes: Callable[[str], Node], pg_url: str, tmp_path: Path
) -> None:
    import os
    import signal
    import sys

    first = nodes("node-1")
    await trade_day_one(first)
    rates_file = tmp_path / "overnight.csv"
    rates_file.write_text(FIXINGS)
    victim = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.clearing.eod_victim",
        pg_url,
        str(rates_file),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert victim.stdout is not None
        line = await asyncio.wait_for(victim.stdout.readline(), 60)
        assert line.strip() == b"vm-open"
        victim.send_signal(signal.SIGKILL)  # inside the VM step, its transaction open
        assert await asyncio.wait_for(victim.wait(), 30) == -signal.SIGKILL
    finally:
        if victim.returncode is None:
            victim.kill()
            await victim.wait()
    states = {r[1]: (r[2], r[5]) for r in await rows(first.engine, t.eod_runs, t.eod_runs.c.step)}
    assert states["vm"] == ("running", "victim")
    assert states["revalue"] == ("done", "victim")

    first.service.clock.advance(AFTER_CLOSE)
    second = nodes("node-2")  # the process started again: the server released the dead one's lock
    stop = asyncio.Event()
    runner = asyncio.create_task(second.service.run(stop, poll_seconds=0.01, end_of_day_at_close=True))
    try:
        found = await wait_for(second.engine, WED)
    finally:
        stop.set()
        await runner
    assert {r.step: r.owner for r in found} == {
        "refuse": "victim",
        "mature": "victim",
        "revalue": "victim",
        "cashflows": "victim",
        "vm": "node-2",
        "pai": "node-2",
        "calls": "node-2",
        "reports": "node-2",
    }
    resumed = await snapshot(second.engine)
    assert await vm_by_member(second.engine, WED) == {m: expected_npv(m, WED) for m in ("BANKA", "BANKB")}

    await nodes("node-3").service.end_of_day(WED)  # the whole day again: the same tables
    assert await snapshot(second.engine) == resumed


@pytest.mark.postgres
async def test_a_run_left_unfinished_in_the_evening_is_resumed_at_the_next_start(
    nodes: Callable[[str], Node],
) -> None:
    first = nodes("node-1")
    await trade_day_one(first)
    first.service.clock.advance(AFTER_CLOSE)
    with pytest.raises(RuntimeError):
        await eod.end_of_day(first.service, WED, steps={**eod.STEP_FUNCTIONS, "revalue": _dies})
    first.service.clock.advance(timedelta(hours=11, minutes=30))  # Thursday 09:00: open, before the close
    second = nodes("node-2")
    stop = asyncio.Event()
    runner = asyncio.create_task(second.service.run(stop, poll_seconds=0.01, end_of_day_at_close=True))
    try:
        found = await wait_for(second.engine, WED)
        await asyncio.sleep(0.1)
    finally:
        stop.set()
        await runner
    assert {r.step: r.owner for r in found} == {
        "refuse": "node-1",
        "mature": "node-1",
        "revalue": "node-2",
        "cashflows": "node-2",
        "vm": "node-2",
        "pai": "node-2",
        "calls": "node-2",
        "reports": "node-2",
    }
    assert await vm_by_member(second.engine, WED) == {m: expected_npv(m, WED) for m in ("BANKA", "BANKB")}
    async with second.engine.connect() as conn:  # Thursday's own end of day waits for Thursday's close
        thursday = list(await conn.execute(select(t.eod_runs).where(t.eod_runs.c.business_date == THU)))
    assert thursday == []
