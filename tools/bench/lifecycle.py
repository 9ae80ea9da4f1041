"""``clearing-gateway bench lifecycle``: partial terminations per second through the clearing service.

The service runs as the gateway runs it (the risk engine on synthetic market data, SQLite or PostgreSQL,
the clock in service hours). ``trades`` swaps between Bank A and Bank B are cleared first (submitted and
drained, not timed). Then one partial termination per trade (half its notional, named by the source's
own trade id) is handed to ``EventPort.submit_event``, the port the MQTT intake hands a read
``requestConfirmation`` to, with ``concurrency`` requests in flight as the intake's window allows.
``submit_event`` decides the event and commits its statuses to the outbox before it returns, so a
termination's latency is from the call to its return, and the run's time is from the first call to the
last return. The outbox is read afterwards: every termination must have its Cleared status owed to the
source there.

With ``compression`` trades (``--compression N``): N more swaps between Bank A and Bank B are cleared (not
timed), then one compression run takes every live side of Bank A's account holding them
(``ClearingService.compress``, the CCP's run of ``clearing-gateway compress --all``): the time of the whole
unit of work (read, value, decide, write) and its peak of traced memory (tracemalloc, started just before
the run), with the run's own figures (sides terminated, residuals created, notional before and after).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gateway.clearing.compression import EngineValuer
from gateway.clearing.ports import EventRequest, Submission
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clearing.service import ClearingService
from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole
from gateway.domain.compression import CompressionRequest
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.events import EventKind, EventTerms, Money, NotionalChange, TradeRef
from gateway.domain.trade import Trade
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from gateway.store import open_store
from gateway.store.clearing_store import SqlClearingStore
from tools.bench.pipeline import RICH_MEMBERS, bench_database, percentiles
from tools.demo.runner import demo_start, onboard, prepare
from tools.demo.scenario import ab_trades

CONCURRENCY = 20  # requests in flight: the MQTT intake's default window
OUTBOX_PAGE = 5000


def partial_termination(trade: Trade, business_date: date) -> EventTerms:
    """Half of ``trade``'s notional terminated today, both counterparties asking."""
    notional = trade.streams[0].notional
    kept = notional / 2
    return EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(source_trade_id=trade.identifiers.source_trade_id),
        parties=tuple(p.party_id for p in trade.parties),
        agreement_date=business_date,
        effective_date=business_date,  # the trades start at T+2: nothing is paid today
        notional=NotionalChange(Money(notional - kept, "AUD"), Money(kept, "AUD")),
    )


async def _flush_outbox(service: ClearingService) -> None:
    """Mark everything owed so far as delivered (what the publishers do), so the run's reads see its own."""
    for channel in DeliveryChannel:
        while items := await service.pending(channel, OUTBOX_PAGE):
            await service.mark_delivered([i.id for i in items])


async def _owed_to_source(
    service: ClearingService, source: str
) -> list[tuple[str, ClearingStatusCode, bool]]:
    """(message replied to, status, about an event) of every MQTT item owed to ``source``, oldest first."""
    out = []
    while items := await service.pending(DeliveryChannel.MQTT, OUTBOX_PAGE):
        out += [
            (i.update.in_reply_to or "", i.update.status, i.update.event is not None)
            for i in items
            if i.role is RecipientRole.SOURCE and i.recipient == source
        ]
        await service.mark_delivered([i.id for i in items])
    return out


async def _clear(service: ClearingService, trades: Sequence[Trade], source: str, clock: ShiftedClock) -> int:
    """Submit and drain ``trades``; how many were cleared (their Cleared status owed to the source)."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def submit(trade: Trade) -> None:
        tid = trade.identifiers.source_trade_id
        async with gate:
            await service.submit(Submission(Channel.MQTT_FPML, source, f"M-{tid}", clock.now(), trade))

    await asyncio.gather(*(submit(t) for t in trades))
    while await service.drain():
        pass
    owed = await _owed_to_source(service, source)
    return sum(1 for _, status, event in owed if status is ClearingStatusCode.CLEARED and not event)


async def _terminate(
    service: ClearingService,
    requests: Sequence[EventRequest],
    concurrency: int,
) -> tuple[float, list[float], dict[str, ClearingStatusCode]]:
    """(seconds from the first call to the last return, each call's ms, each request's last status)."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    final: dict[str, ClearingStatusCode] = {}

    async def one(request: EventRequest) -> None:
        async with gate:
            t0 = time.perf_counter()
            told = await service.submit_event(request)
            latencies.append((time.perf_counter() - t0) * 1000)
        final[request.message_id] = told[-1].status

    t0 = time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    return time.perf_counter() - t0, latencies, final


async def _compress(
    service: ClearingService,
    checker: RiskCreditChecker,
    source: str,
    clock: ShiftedClock,
    business_date: date,
    n: int,
    seed: int,
) -> dict[str, Any]:
    """Clear ``n`` more trades, then compress every live side of Bank A's account holding them (timed)."""
    book = ab_trades(business_date, n, seed=seed + 1, prefix=f"{source}C")
    cleared = await _clear(service, book, source, clock)
    mine = {t.identifiers.source_trade_id for t in book}
    positions = await service.positions("BANKA", None, business_date)
    accounts = [p.account for p in positions if p.uti and any(p.uti.endswith(m) for m in mine)]
    account = max(set(accounts), key=accounts.count) if accounts else "HOUSE"
    request = CompressionRequest(f"BENCH-{source}", "BANKA", account, "CCP")
    valuer = EngineValuer(checker.engine)
    tracemalloc.start()
    t0 = time.perf_counter()
    result = await service.compress(request, valuer)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    totals = result.totals()
    return {
        "trades_cleared": cleared,
        "account": f"BANKA/{account}",
        "sides_terminated": len(result.terminated),
        "residuals_created": len(result.created),
        "buckets": len(result.buckets),
        "buckets_left_as_they_were": len(result.left),  # no residual within the tolerance: untouched
        "notional_before": str(sum(t["notional_before"] for t in totals.values())),
        "notional_after": str(sum(t["notional_after"] for t in totals.values())),
        "seconds": round(seconds, 3),
        "sides_per_s": round(len(result.terminated) / max(seconds, 1e-9), 1),
        "peak_traced_mib": round(peak / 2**20, 1),
    }


async def run_bench(
    *,
    trades: int = 1000,
    pg_admin_url: str | None = None,
    concurrency: int = CONCURRENCY,
    seed: int = 1,
    compression: int = 0,
) -> dict[str, Any]:
    """Clear ``trades`` trades, then terminate half of each; the figures as a JSON-ready dict."""
    from gateway.blas import limit_blas_threads

    limit_blas_threads(1)  # as the service runs (config risk.blas_threads)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="clearing-bench-lifecycle-") as tmp:
        workdir = Path(tmp)
        settings = ClearingSettings.load()
        start = demo_start(settings, datetime.now(UTC).date())
        clock = ShiftedClock(start)
        business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
        market = prepare(workdir, business_date, settings)
        async with bench_database(pg_admin_url, workdir) as store_url:
            source = f"BENCH{uuid.uuid4().hex[:8].upper()}"
            await onboard(store_url, clock, RICH_MEMBERS, sources=(source,))
            engine = await open_store(store_url)
            try:
                checker = RiskCreditChecker.from_market_dir(market)
                service = ClearingService(engine, checker, clock=clock, store=SqlClearingStore(engine))
                book = ab_trades(business_date, trades, seed=seed, prefix=source)
                t0 = time.perf_counter()
                cleared = await _clear(service, book, source, clock)
                clearing_s = time.perf_counter() - t0
                await _flush_outbox(service)
                requests = [
                    EventRequest(
                        channel=Channel.MQTT_FPML,
                        source=source,
                        message_id=f"T-{t.identifiers.source_trade_id}",
                        received_at=clock.now(),
                        terms=partial_termination(t, business_date),
                    )
                    for t in book
                ]
                seconds, latencies, final = await _terminate(service, requests, concurrency)
                owed = await _owed_to_source(service, source)
                compressed = None
                if compression:
                    compressed = await _compress(
                        service, checker, source, clock, business_date, compression, seed
                    )
            finally:
                await engine.dispose()
    asked = {r.message_id for r in requests}
    in_outbox = {
        m for m, status, event in owed if event and m in asked and status is ClearingStatusCode.CLEARED
    }
    confirmed = sum(1 for s in final.values() if s is ClearingStatusCode.CLEARED)
    lat = percentiles(latencies)
    return {
        "benchmark": "lifecycle",
        "database": "postgresql" if pg_admin_url else "sqlite",
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "business_date": business_date.isoformat(),
        "trades": trades,
        "cleared": cleared,
        "clearing_seconds": round(clearing_s, 3),
        "terminations": {
            "kind": "partial (half the notional)",
            "submitted": len(requests),
            "confirmed": confirmed,
            "cleared_status_in_outbox": len(in_outbox),
            "refused": sum(1 for s in final.values() if s is not ClearingStatusCode.CLEARED),
            "concurrency": concurrency,
            "seconds": round(seconds, 3),
            "per_s": round(len(in_outbox) / max(seconds, 1e-9), 1),
            "latency_ms": {
                k: lat[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms") if k in lat
            },
        },
        "compression": compressed,
    }
