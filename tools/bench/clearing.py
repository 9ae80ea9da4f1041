"""Clearing throughput and latency benchmark: store, check, novate and persist synthetic AUD swaps.

Members are onboarded with ample collateral, the risk engine runs on synthetic market data, and the clock
is fixed inside service hours, so every trade goes the whole way to Cleared. Two figures are measured:
the rate of a batch (submit all one after the other, then drain; then submit another batch with
``CONCURRENCY`` submits in flight, as the MQTT intake does, and drain it), and the latency of single trades
(submit, then drain that one trade), which is what a trade source sees against the 10-second novation rule.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.ports import Channel, DeliveryChannel, Submission
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain import (
    AccountType,
    BusinessDayConvention,
    DateAdjustment,
    DayCount,
    Party,
    Period,
    PeriodUnit,
    ProductClass,
    Stream,
    Trade,
    TradeIdentifiers,
)
from gateway.refdata.model import Account, Member
from gateway.store import open_store
from gateway.store.clearing_store import SqlClearingStore

AS_OF = date(2026, 1, 6)
NOW = datetime(2026, 1, 7, 0, 0, tzinfo=UTC)  # 11:00 in Sydney on a business day
CONCURRENCY = 20  # submits in flight in the concurrent run (the MQTT intake's default window)
SYD = DateAdjustment(BusinessDayConvention.MODFOLLOWING, ("AUSY",))


def _lei(i: int) -> str:
    return f"BENCH{i:015d}"


def synthetic_trade(rng: random.Random, members: int, key: str) -> Trade:
    a, b = rng.sample(range(members), 2)
    pa, pb = _lei(a), _lei(b)
    years = rng.choice((2, 3, 5, 7, 10, 15, 20, 30))
    tenor = rng.choice((3, 6))
    notional = Decimal(rng.randrange(1, 200)) * 1_000_000
    start = date(2026, 1, 9)
    end = start.replace(year=start.year + years)
    fixed = Stream(
        payer=pa, receiver=pb, notional=notional, currency="AUD", day_count=DayCount.ACT_365_FIXED,
        effective_date=start, termination_date=end, calculation_frequency=Period(tenor, PeriodUnit.MONTH),
        payment_frequency=Period(tenor, PeriodUnit.MONTH), fixed_rate=Decimal(rng.randrange(300, 500)) / 10_000,
        calculation_adjustment=SYD, payment_adjustment=SYD, termination_date_adjustment=SYD,
    )  # fmt: skip
    floating = replace(
        fixed,
        payer=pb,
        receiver=pa,
        fixed_rate=None,
        floating_index="AUD-BBR-BBSW",
        index_tenor=Period(tenor, PeriodUnit.MONTH),
        reset_frequency=Period(tenor, PeriodUnit.MONTH),
        fixing_offset_days=0,
    )
    return Trade(
        identifiers=TradeIdentifiers(f"BENCH-{key}", uti=f"UTI-BENCH-{key}"),
        trade_date=date(2026, 1, 7),
        product=ProductClass.IRS,
        parties=(Party(pa, account="HOUSE"), Party(pb, account="HOUSE")),
        streams=(fixed, floating),
    )


async def run_bench(
    *,
    trades: int,
    latency_trades: int,
    members: int,
    db_url: str | None,
    market_dir: Path | None,
    seed: int = 1,
) -> dict[str, Any]:
    from gateway.blas import limit_blas_threads
    from gateway.risk.market.synth import write_market

    limit_blas_threads(1)  # as the service runs (config risk.blas_threads)

    with tempfile.TemporaryDirectory(prefix="clearing-bench-") as tmp:
        market = market_dir
        if market is None:
            market = Path(tmp) / "market"
            write_market(market, AS_OF)
        url = db_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = await open_store(url)
        try:
            clock = FixedClock(NOW)
            checker = RiskCreditChecker.from_market_dir(market)
            service = ClearingService(engine, checker, clock=clock, store=SqlClearingStore(engine))
            admin = ReferenceData(engine, clock=clock)
            for i in range(members):
                mid = f"BM{i:02d}"
                await admin.add_participant(
                    Member(
                        mid,
                        mid,
                        (_lei(i),),
                        (f"{mid}_FIX",),
                        (Account(mid, "HOUSE", AccountType.HOUSE, "AUD"),),
                    )
                )
                await admin.lodge(mid, "HOUSE", cash("AUD", Decimal(10) ** 12))
            rng = random.Random(seed)
            stamp = f"{time.time_ns()}"  # a shared database (PostgreSQL) may hold an earlier run's trades

            def submission(key: str) -> Submission:
                clock.advance(timedelta(microseconds=1))
                trade = synthetic_trade(rng, members, f"{stamp}-{key}")
                return Submission(Channel.MQTT_FPML, "BENCH", f"M-{stamp}-{key}", clock.now(), trade)

            # warm-up: the first scenario build is not the steady state
            await service.submit(submission("warm-up"))
            await service.drain()

            batch = [submission(f"B{n}") for n in range(trades)]
            t0 = time.perf_counter()
            for sub in batch:
                await service.submit(sub)
            t1 = time.perf_counter()
            cleared = await service.drain()
            t2 = time.perf_counter()

            # the same again with CONCURRENCY submits in flight, as the MQTT intake stores them
            batch = [submission(f"C{n}") for n in range(trades)]
            gate = asyncio.Semaphore(CONCURRENCY)

            async def submit_one(sub: Submission) -> None:
                async with gate:
                    await service.submit(sub)

            t3 = time.perf_counter()
            await asyncio.gather(*(submit_one(sub) for sub in batch))
            t4 = time.perf_counter()
            cleared_again = await service.drain()

            statements = [0]

            def count(*_args: Any) -> None:
                statements[0] += 1

            event.listen(engine.sync_engine, "before_cursor_execute", count)
            stages = {k: [0, 0.0] for k in ("submit", "drain", "outbox_read", "outbox_mark")}

            async def stage(name: str, call: Awaitable[Any]) -> Any:
                n0, c0 = statements[0], time.process_time()
                out = await call
                stages[name][0] += statements[0] - n0
                stages[name][1] += time.process_time() - c0
                return out

            latencies = []
            for n in range(latency_trades):
                sub = submission(f"L{n}")
                s0 = time.perf_counter()
                await stage("submit", service.submit(sub))
                await stage("drain", service.drain())
                latencies.append((time.perf_counter() - s0) * 1000)
                # what the MQTT publisher does for this trade's statuses (rendering and the broker aside)
                items = await stage("outbox_read", service.pending(DeliveryChannel.MQTT, 500))
                await stage("outbox_mark", service.mark_delivered([i.id for i in items]))
            event.remove(engine.sync_engine, "before_cursor_execute", count)
            latencies.sort()
            scenarios = len(checker.engine.scenarios().dates)
        finally:
            await engine.dispose()
    return {
        "benchmark": "clearing",
        "db": url.split(":", 1)[0],
        "members": members,
        "trades": trades,
        "cleared": cleared,
        "submit_per_s": round(trades / (t1 - t0), 1),
        "clear_per_s": round(cleared / (t2 - t1), 1),
        "submit_concurrent_per_s": round(trades / (t4 - t3), 1),
        "concurrency": CONCURRENCY,
        "cleared_concurrent": cleared_again,
        "batch_seconds": round(t2 - t0, 3),
        "single_trade_latency_ms": {
            "trades": latency_trades,
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p99": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2) if latencies else None,
            "max": round(latencies[-1], 2) if latencies else None,
        },
        "risk_scenarios": scenarios,
        "blas_threads": 1,
        # per single trade: database statements sent (BEGIN and COMMIT are not counted) and CPU ms here
        "single_trade_stages": {
            k: {
                "statements": round(v[0] / max(latency_trades, 1), 2),
                "cpu_ms": round(v[1] * 1000 / max(latency_trades, 1), 3),
            }
            for k, v in stages.items()
        },
    }
