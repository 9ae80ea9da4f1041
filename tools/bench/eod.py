"""End-of-day benchmark: a book of synthetic AUD swaps cleared through the service, then two ends of day
(the first VM is the NPV, the second the day's change) with revaluation on the risk engine over synthetic
market data, NPV history, VM and PAI, then every member's reports (CSVs and PDF statement, in the temporary
folder); the time of each step and the process's peak memory, as JSON."""

from __future__ import annotations

import os
import random
import resource
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing import eod
from gateway.clearing.ports import Channel, Submission
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain import AccountType
from gateway.refdata.model import Account, Member
from gateway.refdata.overnight import CsvOvernightRates
from gateway.reports.writer import ReportWriter
from gateway.store import open_store
from gateway.store.calls_repo import SqlCalls
from gateway.store.clearing_store import SqlClearingStore
from tools.bench.clearing import AS_OF, NOW, _lei, synthetic_trade

DAYS = (date(2026, 1, 7), date(2026, 1, 8))


def _timed(name: str, times: dict[str, float], cpu: dict[str, float]) -> eod.Step:
    """The step, its wall time in ``times`` and the process's CPU time over it in ``cpu`` (on a loaded
    machine the two part: the CPU time is the step's own cost)."""
    step = eod.STEP_FUNCTIONS[name]

    async def timed(svc: Any, run: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return await step(svc, run)
        finally:
            times[name] = round(time.perf_counter() - t0, 3)
            cpu[name] = round(time.process_time() - c0, 3)

    return timed


async def _seed_book(service: ClearingService, engine: Any, trades: list[Any], members: int) -> int:
    """The cleared book written straight into the store, a few thousand trades per transaction: each
    trade stored as a submission, novated (A-CCP, CCP-B) and marked cleared, as a clearing pass leaves it
    but without the credit checks (their cost is the clearing benchmarks' subject, not end of day's)."""
    from sqlalchemy import update

    from gateway.clearing.novation import cleared_row, novate
    from gateway.domain.workflow import NewSubmission, Stage
    from gateway.store import tables as tb

    member_of = {_lei(i): f"BM{i:02d}" for i in range(members)}
    now = service.clock.now()
    day = DAYS[0]
    for lo in range(0, len(trades), 5_000):
        part = trades[lo : lo + 5_000]
        async with service.store.begin() as uow:
            new = [
                NewSubmission(
                    Submission(Channel.MQTT_FPML, "BENCH", f"SEED-{x.identifiers.source_trade_id}", now, x),
                    member_of[x.parties[0].party_id],
                    member_of[x.parties[1].party_id],
                    day,
                    now,
                )
                for x in part
            ]
            stored = await uow.submissions.insert(new)
            rows = []
            for x, row in zip(part, stored, strict=True):
                assert row is not None
                ids = (f"CCP-SEED-{row.id:08d}-1", f"CCP-SEED-{row.id:08d}-2")
                for cleared, ccp_id, party in zip(novate(x, service.ccp, ids), ids, x.parties, strict=True):
                    rows.append(
                        (
                            row.id,
                            cleared_row(cleared, ccp_id, member_of[party.party_id], "HOUSE", party.party_id),
                        )
                    )
            await uow.cleared.insert(rows, {r.id: day for r in stored if r is not None}, now)
        async with engine.begin() as conn:
            await conn.execute(
                update(tb.submissions)
                .where(tb.submissions.c.id.in_([r.id for r in stored if r is not None]))
                .values(stage=Stage.CLEARED.value)
            )
    return len(trades)


async def run_bench(
    *, trades: int, members: int, db_url: str | None, seed: int = 1, seed_book: bool = False
) -> dict[str, Any]:
    from gateway.blas import limit_blas_threads
    from gateway.risk.market.synth import write_market

    limit_blas_threads(1)  # as the service runs (config risk.blas_threads)
    with tempfile.TemporaryDirectory(prefix="eod-bench-") as tmp:
        market = Path(tmp) / "market"
        write_market(market, AS_OF)
        rates_file = Path(tmp) / "overnight.csv"
        rates_file.write_text("index,date,rate_percent\n" + "".join(f"AONIA,{d},4.35\n" for d in DAYS))
        url = db_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = await open_store(url)
        try:
            clock = FixedClock(NOW)
            service = ClearingService(
                engine,
                RiskCreditChecker.from_market_dir(market),
                clock=clock,
                store=SqlClearingStore(engine),
                overnight_rates=CsvOvernightRates.load(rates_file),
                calls=SqlCalls(engine),
            )
            service.reports = ReportWriter(engine, Path(tmp) / "reports", service.hours, clock)
            admin = ReferenceData(engine, clock=clock)
            for i in range(members):
                mid = f"BM{i:02d}"
                account = Account(mid, "HOUSE", AccountType.HOUSE, "AUD")
                await admin.add_participant(Member(mid, mid, (_lei(i),), (f"{mid}_FIX",), (account,)))
                await admin.lodge(mid, "HOUSE", cash("AUD", Decimal(10) ** 12))
            rng = random.Random(seed)
            stamp = f"{time.time_ns()}"
            t0 = time.perf_counter()
            if seed_book:
                book = [synthetic_trade(rng, members, f"{stamp}-{n}") for n in range(trades)]
                cleared = await _seed_book(service, engine, book, members)
                del book
            else:
                for n in range(trades):
                    trade = synthetic_trade(rng, members, f"{stamp}-{n}")
                    await service.submit(
                        Submission(Channel.MQTT_FPML, "BENCH", f"M-{stamp}-{n}", clock.now(), trade)
                    )
                cleared = await service.drain()
            book_s = time.perf_counter() - t0
            days: dict[str, Any] = {}
            for day in DAYS:
                times: dict[str, float] = {}
                cpu: dict[str, float] = {}
                steps = {name: _timed(name, times, cpu) for name in eod.STEPS}
                s0 = time.perf_counter()
                report = await eod.end_of_day(service, day, drain=False, steps=steps)
                days[day.isoformat()] = {
                    "total_s": round(time.perf_counter() - s0, 3),
                    "steps_s": times,
                    "cash_flows": report.cash_flows,
                    "steps_cpu_s": cpu,
                    "vm_trade_sides": report.vm_trades,
                    "pai_accounts": report.pai_accounts,
                    "members_reported": report.reported,
                    "unvalued": len(report.unvalued),
                    "failed": report.failed,
                }
        finally:
            await engine.dispose()
    return {
        "benchmark": "eod",
        "db": url.split(":", 1)[0],
        "members": members,
        "trades": trades,
        "cleared": cleared,
        "book": "seeded" if seed_book else "cleared through the service",
        "clear_book_s": round(book_s, 3),
        "days": days,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
