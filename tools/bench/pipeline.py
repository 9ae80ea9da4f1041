"""``clearing-gateway bench pipeline``: the gateway as a trade source sees it, over a real broker and database.

The gateway runs as its own process (``clearing-gateway serve``), exactly as deployed; this process is
the trade source. Three measurements in one run:

* ``mqtt_round_trip``: a bare QoS 1 publish -> receive through the same broker, one message at a time
  (the floor under any status latency);
* ``sustained``: a burst of trades published as fast as the source can, timed from the first publish to
  the last ``clearingConfirmed`` received: trades per second through the whole pipeline;
* ``latency``: trades offered at a fixed rate, each timed from its publish to its ``clearingConfirmed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiomqtt

from gateway.clock import Clock
from gateway.loopback import free_port
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from tools.demo.observer import read_status
from tools.demo.process import GatewayProcess
from tools.demo.requests import request_clearing
from tools.demo.runner import demo_start, onboard, prepare
from tools.demo.scenario import MEMBERS, ab_trades


@dataclass(frozen=True, slots=True)
class BenchSettings:
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    db_admin_url: str | None = "postgresql://postgres@127.0.0.1:5432/test"  # None: SQLite in the work dir
    trades: int = 1000
    latency_trades: int = 1000
    rate: float = 500.0
    round_trips: int = 500
    workdir: Path | None = None


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {
        "n": float(len(ordered)),
        "p50_ms": round(pct(50), 2),
        "p90_ms": round(pct(90), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


async def mqtt_round_trip(host: str, port: int, n: int) -> dict[str, float]:
    topic = f"bench/rt/{uuid.uuid4().hex[:8]}"
    samples: list[float] = []
    async with aiomqtt.Client(host, port) as sub, aiomqtt.Client(host, port) as pub:
        await sub.subscribe(topic, qos=1)
        messages = sub.messages
        for i in range(n):
            t0 = time.perf_counter()
            await pub.publish(topic, str(i).encode(), qos=1)
            async with asyncio.timeout(10):
                await anext(messages)
            samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


@contextlib.asynccontextmanager
async def bench_database(admin_url: str | None, workdir: Path) -> AsyncIterator[str]:
    """A fresh database for the run: a new PostgreSQL database (dropped afterwards), or a SQLite file."""
    if admin_url is None:
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"clearing_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def write_config(
    path: Path,
    *,
    mqtt: tuple[str, int],
    client_id: str,
    store_url: str,
    ops_port: int,
    market: Path,
    start: datetime,
    topic_root: str = "ccp",
) -> None:
    """A gateway configuration on an external broker, FIX off, business time from ``start``."""
    path.write_text(
        "\n".join(
            [
                f'data_dir = "{path.parent}"',
                f"simulated_start = {start.isoformat()}",
                "[mqtt]",
                'mode = "external"',
                f'host = "{mqtt[0]}"',
                f"port = {mqtt[1]}",
                f'client_id = "{client_id}"',
                f'topic_root = "{topic_root}"',
                "[store]",
                f'url = "{store_url}"',
                "[fix]",
                "enabled = false",
                "[ops]",
                f"port = {ops_port}",
                "[publish]",
                "poll_interval_ms = 5",
                "[risk]",
                f'market_data_dir = "{market}"',
                "",
            ]
        )
    )


class Source:
    """The trade source: publishes requests, times each trade to its clearingConfirmed."""

    def __init__(self, client: aiomqtt.Client, source: str, root: str) -> None:
        self.client = client
        self.source = source
        self.root = root
        self.sent: dict[str, float] = {}
        self.done: dict[str, float] = {}
        self.refused: dict[str, tuple[str, ...]] = {}
        self.all_done = asyncio.Event()
        self.expected = 0

    async def listen(self, listener: aiomqtt.Client) -> None:
        await listener.subscribe(f"{self.root}/out/{self.source}/fpml", qos=1)
        async for m in listener.messages:
            if not isinstance(m.payload, bytes):
                continue
            correlation, seen = read_status(m.topic.value, m.payload)
            if seen.kind == "clearingConfirmed":
                self.done.setdefault(correlation, seen.at)
            elif seen.kind == "clearingRefused":
                self.refused[correlation] = seen.codes
                self.done.setdefault(correlation, seen.at)
            if self.expected and len(self.done) >= self.expected:
                self.all_done.set()

    def latencies(self, ids: list[str]) -> list[float]:
        return [(self.done[i] - self.sent[i]) * 1000 for i in ids if i in self.done and i in self.sent]


def payloads(
    source: str, business_date: date, trades: int, prefix: str, clock: Clock, seed: int
) -> list[tuple[str, bytes]]:
    """(trade id, requestClearing) for ``trades`` eligible Bank A / Bank B swaps."""
    return [
        (
            t.identifiers.source_trade_id,
            request_clearing(
                t, source=source, message_id=f"{source}-{t.identifiers.source_trade_id}", at=clock.now()
            ),
        )
        for t in ab_trades(business_date, trades, seed=seed, prefix=prefix)
    ]


# Members with collateral far beyond what the load needs: the benchmark measures the pipeline, not credit.
RICH_MEMBERS = tuple(replace(m, collateral_aud=Decimal(10) ** 12) for m in MEMBERS[:2])


async def run_bench(settings: BenchSettings) -> dict[str, Any]:
    workdir = settings.workdir or Path(tempfile.mkdtemp(prefix="clearing-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cs = ClearingSettings.load()
    start = demo_start(cs, datetime.now(UTC).date())
    clock = ShiftedClock(start)
    business_date = ServiceHours(cs.service_hours, cs.backload).business_date(start)
    market = prepare(workdir, business_date, cs)
    mqtt = (settings.mqtt_host, settings.mqtt_port)
    result: dict[str, Any] = {
        "broker": f"{settings.mqtt_host}:{settings.mqtt_port}",
        "database": "postgresql" if settings.db_admin_url else "sqlite",
        "cpu_count": os.cpu_count(),
    }
    result["mqtt_round_trip"] = await mqtt_round_trip(*mqtt, settings.round_trips)
    async with bench_database(settings.db_admin_url, workdir) as store_url:
        tag = uuid.uuid4().hex[:8]
        source_id = f"BENCH{tag}"
        await onboard(store_url, clock, RICH_MEMBERS, sources=(source_id,))
        ops_port = free_port()
        root = f"bench-{tag}/ccp"  # its own topics: a shared broker may carry other gateways' traffic
        config = workdir / "gateway.toml"
        write_config(
            config,
            mqtt=mqtt,
            client_id=f"bench-gw-{tag}",
            store_url=store_url,
            ops_port=ops_port,
            market=market,
            start=clock.now(),
            topic_root=root,
        )
        burst = payloads(source_id, business_date, settings.trades, "S", clock, seed=1)
        paced = payloads(source_id, business_date, settings.latency_trades, "L", clock, seed=2)
        gateway = GatewayProcess(config, ops_port, workdir / "gateway.log")
        gateway.start()
        try:
            await asyncio.to_thread(gateway.wait_healthy)
            async with (
                aiomqtt.Client(*mqtt, identifier=f"{source_id}-pub") as pub,
                aiomqtt.Client(*mqtt, identifier=f"{source_id}-sub") as sub,
            ):
                pub.pending_calls_threshold = 100_000
                source = Source(pub, source_id, root)
                listener = asyncio.create_task(source.listen(sub))
                await asyncio.sleep(0.3)
                # Sustained: everything at once.
                source.expected = len(burst)
                t0 = time.perf_counter()
                for tid, payload in burst:
                    source.sent[tid] = time.perf_counter()
                    await pub.publish(f"{root}/in/{source_id}/fpml", payload, qos=1)
                published = time.perf_counter()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(source.all_done.wait(), 600)
                t1 = max(source.done.values(), default=t0)
                ids = [tid for tid, _ in burst]
                decided = sum(1 for i in ids if i in source.done)
                result["sustained"] = {
                    "trades": len(burst),
                    "decided": decided,
                    "refused": sum(1 for i in ids if i in source.refused),
                    "publish_rate_per_s": round(len(burst) / max(published - t0, 1e-9), 1),
                    "trades_per_s": round(decided / max(t1 - t0, 1e-9), 1),
                    "latency": percentiles(source.latencies(ids)),
                }
                # Latency at a fixed offered rate.
                source.all_done.clear()
                source.expected = len(burst) + len(paced)
                interval = 1.0 / settings.rate
                t0 = time.perf_counter()
                for n, (tid, payload) in enumerate(paced):
                    due = t0 + n * interval
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    source.sent[tid] = time.perf_counter()
                    await pub.publish(f"{root}/in/{source_id}/fpml", payload, qos=1)
                offered_s = time.perf_counter() - t0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(source.all_done.wait(), 600)
                ids = [tid for tid, _ in paced]
                result["latency"] = {
                    "offered_per_s": settings.rate,
                    "achieved_offer_per_s": round(len(paced) / max(offered_s, 1e-9), 1),
                    "trades": len(paced),
                    "decided": sum(1 for i in ids if i in source.done),
                    **percentiles(source.latencies(ids)),
                }
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
        finally:
            await asyncio.to_thread(gateway.stop)
    result["business_date"] = business_date.isoformat()
    return result


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, sort_keys=True)
