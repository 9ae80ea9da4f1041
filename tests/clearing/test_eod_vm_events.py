"""VM across two ends of day with a lifecycle event between them, on the memory store, SQLite and
PostgreSQL: a terminated trade is called down to zero and its termination fee counts in its VM."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.ports import Channel, ClearingStore, EventRequest, Submission
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.events import EventKind, EventTerms, Fee, Money, NotionalChange, TradeRef
from gateway.refdata.overnight import CsvOvernightRates
from gateway.store import create_engine
from gateway.store.clearing_store import SqlClearingStore
from gateway.store.memory import MemoryClearingStore
from gateway.store.tables import metadata
from tests.clearing.conftest import LEI_A, LEI_B, OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import SeriesMargin

D = Decimal
WED, THU = TODAY, TODAY + timedelta(days=1)
SERIES = {WED: D("1000.00"), THU: D("1250.50")}
FIXINGS = "index,date,rate_percent\nAONIA,2026-01-07,4.35\nAONIA,2026-01-08,4.10\n"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """'memory', or the URL of a migrated, empty database (a copy of the SQLite template, or PostgreSQL)."""
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_session_url")
    return url


@pytest.fixture
async def service(backend: str, tmp_path: Path) -> AsyncIterator[ClearingService]:
    rates_file = tmp_path / "overnight.csv"
    rates_file.write_text(FIXINGS)
    rates = CsvOvernightRates.load(rates_file)
    clock = FixedClock(OPEN_NOW)
    a, b = member("BANKA", LEI_A), member("BANKB", LEI_B)
    if backend == "memory":
        memory = MemoryClearingStore()
        for m in (a, b):
            memory.add_member(m)
            memory.lodge(m.member_id, "HOUSE", cash("AUD", D(100_000_000)))
        yield ClearingService(None, SeriesMargin(SERIES), clock=clock, store=memory, overnight_rates=rates)
        return
    engine = create_engine(backend)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    refdata = ReferenceData(engine, clock=clock)
    for m in (a, b):
        await refdata.add_participant(m)
        await refdata.lodge(m.member_id, "HOUSE", cash("AUD", D(100_000_000)))
    store: ClearingStore = SqlClearingStore(engine)
    try:
        yield ClearingService(engine, SeriesMargin(SERIES), clock=clock, store=store, overnight_rates=rates)
    finally:
        await engine.dispose()


def _termination(ccp_id: str, fee: Fee) -> EventTerms:
    return EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id=ccp_id),
        parties=(LEI_A, LEI_B),
        agreement_date=THU,
        effective_date=date(2026, 1, 12),
        notional=NotionalChange(Money(D(10_000_000), "AUD"), Money(D(0), "AUD")),
        fee=fee,
    )


async def _vm(svc: ClearingService, day: date) -> dict[str, tuple[D, D, D, D]]:
    async with svc.store.read() as uow:
        return {r.member_id: (r.npv, r.previous, r.payments, r.vm) for r in await uow.eod.vm(day)}


async def test_a_terminated_trade_is_called_to_zero_with_its_fee(service: ClearingService) -> None:
    svc = service
    clock = svc.clock
    assert isinstance(clock, FixedClock)
    receipt = await svc.submit(
        Submission(
            channel=Channel.MQTT_FPML,
            source="MARKITWIRE",
            message_id="MSG-1",
            received_at=clock.now(),
            trade=aud_irs("T1", notional=D(10_000_000), fixed_payer=LEI_A),
            correlation_id="CORR-1",
            raw=b"<requestClearing/>",
        )
    )
    await svc.drain()
    (cleared,) = [u for u in await svc.history(receipt.submission_id) if u.status is S.CLEARED]
    a_side = cleared.ccp_trade_ids[0]

    clock.advance(timedelta(hours=10, minutes=30))  # Wednesday 21:30 in Sydney
    first = await svc.end_of_day(WED, drain=False)
    assert first.failed is None
    # BANKA pays fixed: it loses the series' 1,000 per million; BANKB, receiving fixed, gains it
    assert await _vm(svc, WED) == {
        "BANKA": (D("-10000.00"), D(0), D(0), D("-10000.00")),
        "BANKB": (D("10000.00"), D(0), D(0), D("10000.00")),
    }

    clock.advance(timedelta(hours=13, minutes=30))  # Thursday 11:00: the trade is terminated, A pays B 3,000
    request = EventRequest(
        Channel.MQTT_FPML,
        "MARKITWIRE",
        "EVT-1",
        clock.now(),
        _termination(a_side, Fee(LEI_A, LEI_B, Money(D(3000), "AUD"))),
        correlation_id="EC-1",
        raw=b"<requestConfirmation/>",
    )
    assert (await svc.submit_event(request))[-1].status is S.CLEARED

    clock.advance(timedelta(hours=10, minutes=30))  # Thursday 21:30
    second = await svc.end_of_day(THU, drain=False)
    assert second.failed is None
    assert second.unvalued == ()
    # worth nothing now: each side's VM gives back yesterday's value, and the fee it paid or received counts
    assert await _vm(svc, THU) == {
        "BANKA": (D(0), D("-10000.00"), D(-3000), D("7000.00")),
        "BANKB": (D(0), D("10000.00"), D(3000), D("-7000.00")),
    }
    async with svc.store.read() as uow:
        balances = await uow.eod.vm_balances(THU)
        pai = {f.member_id: (f.balance, f.amount) for f in await uow.eod.pai(THU)}
    assert balances == {("BANKA", "HOUSE", "AUD"): D("-3000.00"), ("BANKB", "HOUSE", "AUD"): D("3000.00")}
    # B holds 3,000 of VM (the fee): it pays 3,000 x 4.10% / 365 = 0.337 -> 0.34; A receives it
    assert pai == {"BANKA": (D("-3000.00"), D("0.34")), "BANKB": (D("3000.00"), D("-0.34"))}

    clock.advance(timedelta(days=1))  # Friday: the trade is gone and settled, no further VM on it
    async with svc.store.read() as uow:
        assert await uow.eod.vm_inputs(THU + timedelta(days=1)) == []
