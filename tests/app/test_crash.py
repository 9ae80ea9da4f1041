"""Crash safety: the gateway process is SIGKILLed in the middle of a burst, then restarted.

Real Mosquitto, the gateway as a subprocess (``clearing-gateway serve``), SQLite and PostgreSQL. The
source keeps publishing while the gateway is down. Afterwards every trade is decided exactly once (one
submission, one Cleared in its history, two novated trades) and every status reached the source and both
members at least once. ``CLEARING_CRASH_TRADES`` sets the burst (1,000 for the full-size run recorded in
docs/BENCHMARKS.md; the default keeps the suite quick on two cores).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import defaultdict
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import bindparam, text

from gateway.loopback import free_port
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from gateway.store import open_store
from tools.bench.pipeline import RICH_MEMBERS, payloads, write_config
from tools.demo.observer import read_status
from tools.demo.process import GatewayProcess
from tools.demo.runner import demo_start, onboard, prepare

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]
TRADES = int(os.environ.get("CLEARING_CRASH_TRADES", "40"))
PACE_S = max(0.02, 6.0 / TRADES)  # >= 6 s of burst, faster than the gateway decides: the kill lands mid-burst
KILL_AFTER = min(max(1, TRADES // 10), 20)  # trades decided before the SIGKILL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class Watcher:
    """Every status seen per (topic, trade), from a subscriber that stays up through the crash."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.changed = asyncio.Event()

    async def run(self, client: aiomqtt.Client, topics: list[str]) -> None:
        for t in topics:
            await client.subscribe(t, qos=1)
        async for m in client.messages:
            assert isinstance(m.payload, bytes)
            correlation, s = read_status(m.topic.value, m.payload)
            self.seen[(m.topic.value, correlation)].append(s.kind)
            self.changed.set()

    def confirmed(self, topic: str, ids: list[str]) -> int:
        return sum("clearingConfirmed" in self.seen.get((topic, i), ()) for i in ids)

    async def until(self, topic: str, ids: list[str], count: int, within_s: float) -> None:
        async with asyncio.timeout(within_s):
            while self.confirmed(topic, ids) < count:
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.5)


async def test_sigkill_mid_burst_then_restart_decides_every_trade_once(
    mosquitto: tuple[str, int], store_url: str, tmp_path: Path
) -> None:
    settings = ClearingSettings.load()
    from datetime import UTC, datetime

    start = demo_start(settings, datetime.now(UTC).date())
    clock = ShiftedClock(start)
    business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
    market = prepare(tmp_path / "work", business_date, settings)
    tag = uuid.uuid4().hex[:8]
    source = f"CRASH{tag}"
    await onboard(store_url, clock, RICH_MEMBERS, sources=(source,))
    ops_port = free_port()
    config = tmp_path / "gateway.toml"
    write_config(
        config,
        mqtt=mosquitto,
        client_id=f"crash-gw-{tag}",
        store_url=store_url,
        ops_port=ops_port,
        market=market,
        start=start,
        topic_root=f"test-{tag}/ccp",
    )
    burst = payloads(source, business_date, TRADES, "K", clock, seed=11)
    ids = [tid for tid, _ in burst]
    root = f"test-{tag}/ccp"  # a broker shared with other runs: every gateway reads all intake topics
    out_topic = f"{root}/out/{source}/fpml"
    member_topics = [f"{root}/member/{m.member_id}/fpml" for m in RICH_MEMBERS]
    gateway = GatewayProcess(config, ops_port, tmp_path / "gateway.log")
    watcher = Watcher()
    async with (
        aiomqtt.Client(*mosquitto, identifier=f"{source}-watch") as watch,
        aiomqtt.Client(*mosquitto, identifier=f"{source}-pub") as pub,
    ):
        watching = asyncio.create_task(watcher.run(watch, [out_topic, *member_topics]))
        try:
            gateway.start()
            await asyncio.to_thread(gateway.wait_healthy)

            async def publish_burst() -> None:
                for _tid, payload in burst:
                    await pub.publish(f"{root}/in/{source}/fpml", payload, qos=1)
                    await asyncio.sleep(PACE_S)

            publishing = asyncio.create_task(publish_burst())
            # Kill once the gateway is visibly busy: some trades decided, the burst still being published.
            await watcher.until(out_topic, ids, KILL_AFTER, within_s=120)
            assert not publishing.done(), "the burst ended before the kill; raise CLEARING_CRASH_TRADES"
            await asyncio.to_thread(gateway.kill)
            decided_before = watcher.confirmed(out_topic, ids)
            await publishing  # the rest of the burst waits at the broker in the gateway's persistent session
            gateway.start()
            await asyncio.to_thread(gateway.wait_healthy)
            await watcher.until(out_topic, ids, TRADES, within_s=60 + TRADES)
            for topic in member_topics:
                await watcher.until(topic, ids, TRADES, within_s=60)
        finally:
            await asyncio.to_thread(gateway.stop)
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
    assert 0 < decided_before < TRADES, "the kill did not land in the middle of the burst"
    for tid in ids:
        kinds = set(watcher.seen[(out_topic, tid)]) & {"clearingConfirmed", "clearingRefused"}
        assert kinds == {"clearingConfirmed"}, (tid, watcher.seen[(out_topic, tid)])

    engine = await open_store(store_url)
    try:
        async with engine.connect() as conn:
            submissions = (
                await conn.execute(
                    text(
                        "SELECT source_trade_id, count(*) FROM submissions WHERE source = :s GROUP BY source_trade_id"
                    ),
                    {"s": source},
                )
            ).all()
            cleared = (
                await conn.execute(
                    text(
                        "SELECT s.source_trade_id, count(*) FROM status_history h JOIN submissions s "
                        "ON s.id = h.submission_id WHERE s.source = :s AND h.status = 'Cleared' "
                        "GROUP BY s.source_trade_id"
                    ),
                    {"s": source},
                )
            ).all()
            novated = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM cleared_trades c JOIN submissions s ON s.id = c.submission_id "
                        "WHERE s.source = :s"
                    ),
                    {"s": source},
                )
            ).scalar_one()
            stored = {tid for tid, _ in submissions}
            missing = [i for i in ids if i not in stored]
            elsewhere = (
                (
                    await conn.execute(
                        text(
                            "SELECT source, source_trade_id, message_id, stage FROM submissions WHERE source_trade_id IN :ids"
                        ).bindparams(bindparam("ids", expanding=True)),
                        {"ids": missing},
                    )
                ).all()
                if missing
                else []
            )
    finally:
        await engine.dispose()
    assert not missing, f"trades confirmed but not stored under {source}: {missing}; found: {elsewhere}"
    assert sorted(tid for tid, _ in submissions) == sorted(ids)
    assert all(n == 1 for _, n in submissions), "a trade was stored twice"
    assert dict(cleared) == dict.fromkeys(ids, 1), "a trade was decided more than once (or never)"
    assert novated == 2 * TRADES
