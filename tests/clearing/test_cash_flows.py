"""Cash flows of cleared trades: the pure computation against coupons built here by hand (notional x rate x
accrual with the day count; a floating coupon at its stored fixing), netting across trades of opposite
direction, a missing fixing named; then end of day's ``cashflows`` step on the memory store, SQLite and
PostgreSQL: the flows settling the next business day written and netted, a rerun leaving the same rows,
and the next day's VM counting the coupons paid."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.admin.fixings import FixingsStore
from gateway.admin.reference import ReferenceData, cash
from gateway.clearing import eod
from gateway.clearing.cash_flows import (
    CashFlow,
    FlowKind,
    FlowSide,
    by_member,
    cash_flows,
    due_coupons,
    fee_flows,
    may_pay,
    net,
    principal_flows,
)
from gateway.clearing.margin_cycle import FeePaid
from gateway.clearing.ports import Channel, ClearingStore, Submission
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import DayCount, PeriodUnit, ProductClass
from gateway.domain.errors import MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PrincipalExchanges, Trade, TradeIdentifiers
from gateway.domain.values import Period
from gateway.refdata.overnight import CsvOvernightRates
from gateway.risk.market.fixings import Fixing, FixingTable
from gateway.risk.resolve import resolve
from gateway.store import create_engine
from gateway.store.clearing_store import SqlClearingStore
from gateway.store.memory import MemoryClearingStore
from gateway.store.tables import metadata
from tests.clearing.conftest import LEI_A, LEI_B, OPEN_NOW, TODAY, member
from tests.clearing.doubles import SeriesMargin
from tests.strategies import vanilla_irs

D = Decimal
WED, THU, FRI = TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2)
SERIES = {WED: D("1000.00"), THU: D("1250.50")}  # NPV per million, fixed receiver's side
OVERNIGHT = "index,date,rate_percent\nAONIA,2026-01-07,4.35\nAONIA,2026-01-08,4.10\n"
INDEX = "AUD-BBR-BBSW 6M"
FIXING_DAY = date(2025, 7, 4)  # two TARGET business days before the 8 July 2025 start
BBSW = D("0.0412")
FIXED = D("0.0525")
# (trade id, notional, fixed payer): BANKA pays fixed on T1, BANKB on T2 (twice the size)
TRADES = (("T1", D(10_000_000), LEI_A), ("T2", D(20_000_000), LEI_B))
MEMBER_OF = {LEI_A: "BANKA", LEI_B: "BANKB"}


def seasoned(trade_id: str, notional: D, fixed_payer: str) -> Trade:
    """AUD fixed 5.25% semi-annual 30/360 against BBSW 6M ACT/360, from 8 July 2025 for five years: both
    first coupons pay on Thursday 8 January 2026 (a TARGET business day)."""
    t = vanilla_irs(
        notional=notional,
        currency="AUD",
        index="AUD-BBR-BBSW",
        effective=date(2025, 7, 8),
        years=5,
        fixed_payer=fixed_payer,
        source_trade_id=trade_id,
    )
    fixed, floating = t.streams
    six = Period(6, PeriodUnit.MONTH)
    fixed = replace(fixed, calculation_frequency=six, payment_frequency=six)
    return replace(
        t,
        streams=(fixed, floating),
        trade_date=TODAY,
        identifiers=TradeIdentifiers(trade_id, 1, uti=f"UTI-{trade_id}-1"),
    )


def cents(x: D) -> D:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_EVEN)


def hand_coupons(member_lei: str) -> dict[tuple[str, str], D]:
    """(trade, kind) -> what the member receives (+) or pays (-) on 8 January 2026, built by hand:
    fixed = N x 5.25% x 180/360 (30/360, 8 Jul to 8 Jan), floating = N x 4.12% x 184/360 (ACT/360)."""
    out: dict[tuple[str, str], D] = {}
    for trade_id, notional, payer in TRADES:
        fixed = cents(notional * FIXED * D(180) / D(360))
        floating = cents(notional * BBSW * D(184) / D(360))
        pays_fixed = payer == member_lei
        out[(trade_id, "fixed")] = -fixed if pays_fixed else fixed
        out[(trade_id, "floating")] = floating if pays_fixed else -floating
    return out


def expected_net(member_lei: str) -> D:
    return sum(hand_coupons(member_lei).values(), D(0))


# ---------------------------------------------------------------- the pure computation


def _sides() -> list[FlowSide]:
    """Each trade as the two members hold it (before novation, the bilateral trade seen from each party)."""
    out: list[FlowSide] = []
    for trade_id, notional, payer in TRADES:
        resolved = resolve(seasoned(trade_id, notional, payer))
        for lei in (LEI_A, LEI_B):
            out.append(FlowSide(f"{trade_id}-{MEMBER_OF[lei]}", MEMBER_OF[lei], "HOUSE", lei, resolved))
    return out


def test_coupons_paying_in_the_window_match_the_hand_computation() -> None:
    fixings = FixingTable.of([Fixing(INDEX, FIXING_DAY, BBSW)])
    flows = cash_flows(_sides(), WED, THU, fixings)
    assert {f.payment_date for f in flows} == {THU}
    for lei in (LEI_A, LEI_B):
        got = {
            (f.ccp_trade_id.split("-")[0], f.kind.value): f.amount
            for f in flows
            if f.member_id == MEMBER_OF[lei]
        }
        assert got == hand_coupons(lei)
    floating = next(f for f in flows if f.kind is FlowKind.FLOATING)
    assert (floating.index, floating.fixing_date, floating.rate) == (INDEX, FIXING_DAY, BBSW)
    assert (floating.accrual_start, floating.accrual_end) == (date(2025, 7, 8), THU)
    # nothing else pays before the next coupon date
    assert cash_flows(_sides(), THU, date(2026, 7, 7), fixings) == []


def test_netting_across_trades_of_opposite_direction() -> None:
    fixings = FixingTable.of([Fixing(INDEX, FIXING_DAY, BBSW)])
    netted = net(cash_flows(_sides(), WED, THU, fixings))
    assert [(n.member_id, n.currency, n.payment_date, n.flows) for n in netted] == [
        ("BANKA", "AUD", THU, 4),
        ("BANKB", "AUD", THU, 4),
    ]
    # A pays 262,500.00 fixed and receives 525,000.00; receives 210,577.78 floating and pays 421,155.56
    assert {n.member_id: n.amount for n in netted} == {"BANKA": D("51922.22"), "BANKB": D("-51922.22")}
    assert by_member(netted) == {("BANKA", "AUD", THU): D("51922.22"), ("BANKB", "AUD", THU): D("-51922.22")}


def test_a_floating_coupon_without_its_fixing_is_an_error_naming_index_and_date() -> None:
    with pytest.raises(MarketDataError) as caught:
        cash_flows(_sides(), WED, THU, FixingTable())
    issue = caught.value.issues[0]
    assert issue.code is ReasonCode.MKT_MISSING_FIXING
    assert INDEX in issue.message
    assert "2025-07-04" in issue.message
    assert issue.path.endswith("floatingRateIndex")


def test_an_overnight_coupon_compounds_its_periods_fixings() -> None:
    """One week of AONIA compounded (ACT/365) against 4.00% fixed, both paid on Monday 12 January:
    coupon = N x (prod(1 + r_i x d_i / 365) - 1), d_i the calendar days each business day's fixing covers."""
    t = vanilla_irs(
        notional=D(10_000_000),
        currency="AUD",
        index="AUD-AONIA",
        effective=date(2026, 1, 5),
        fixed_payer=LEI_A,
    )
    term, end = Period(1, PeriodUnit.TERM), date(2026, 1, 12)
    fixed, floating = t.streams
    common = {"termination_date": end, "calculation_frequency": term, "payment_frequency": term}
    fixed = replace(fixed, fixed_rate=D("0.04"), day_count=DayCount.ACT_365_FIXED, **common)
    floating = replace(
        floating,
        day_count=DayCount.ACT_365_FIXED,
        index_tenor=Period(1, PeriodUnit.DAY),
        reset_frequency=None,
        fixing_offset_days=0,
        **common,
    )
    side = FlowSide("C1", "BANKA", "HOUSE", LEI_A, resolve(replace(t, streams=(fixed, floating))))
    index = "AUD-AONIA-OIS-COMPOUND"
    rates = {
        date(2026, 1, d): D(r)
        for d, r in ((5, "0.0435"), (6, "0.0436"), (7, "0.0434"), (8, "0.0410"), (9, "0.0420"))
    }
    covers = {date(2026, 1, 9): 3}  # Friday's fixing runs to Monday
    factor = D(1)
    for day, rate in rates.items():
        factor *= 1 + rate * covers.get(day, 1) / D(365)
    expected = {
        FlowKind.FIXED: -cents(D(10_000_000) * D("0.04") * 7 / D(365)),  # BANKA pays fixed
        FlowKind.FLOATING: cents(D(10_000_000) * (factor - 1)),
    }
    flows = cash_flows(
        [side], date(2026, 1, 9), end, FixingTable.of(Fixing(index, d, r) for d, r in rates.items())
    )
    assert {f.kind: f.amount for f in flows} == expected
    assert {f.payment_date for f in flows} == {end}
    short = FixingTable.of(Fixing(index, d, r) for d, r in rates.items() if d != date(2026, 1, 8))
    with pytest.raises(MarketDataError) as caught:
        cash_flows([side], date(2026, 1, 9), end, short)
    assert index in caught.value.issues[0].message
    assert "2026-01-08" in caught.value.issues[0].message


def test_a_fra_settles_at_its_start_discounted_at_the_fixing() -> None:
    """A 3M FRA from 8 January 2026 at 4.00%, fixed 4.12%: N (F - K) tau / (1 + F tau), tau = 90/360, paid
    on the start date to the floating receiver (BANKA, the fixed payer)."""
    t = vanilla_irs(
        notional=D(10_000_000), currency="AUD", index="AUD-BBR-BBSW", effective=THU, fixed_payer=LEI_A
    )
    term, end, three = Period(1, PeriodUnit.TERM), date(2026, 4, 8), Period(3, PeriodUnit.MONTH)
    common = {
        "termination_date": end,
        "calculation_frequency": term,
        "payment_frequency": term,
        "day_count": DayCount.ACT_360,
    }
    fixed, floating = t.streams
    fixed = replace(fixed, fixed_rate=D("0.04"), **common)
    floating = replace(floating, index_tenor=three, reset_frequency=None, **common)
    fra = replace(t, product=ProductClass.FRA, streams=(fixed, floating))
    sides = [
        FlowSide("C1", "BANKA", "HOUSE", LEI_A, resolve(fra)),
        FlowSide("C2", "BANKB", "HOUSE", LEI_B, resolve(fra)),
    ]
    fixing = Fixing("AUD-BBR-BBSW 3M", date(2026, 1, 6), BBSW)
    flows = cash_flows(sides, WED, THU, FixingTable.of([fixing]))
    tau = D(90) / D(360)
    settlement = cents(D(10_000_000) * (BBSW - D("0.04")) * tau / (1 + BBSW * tau))
    assert settlement == D("2969.42")
    assert [(f.member_id, f.kind, f.payment_date, f.amount, f.fixing_date) for f in flows] == [
        ("BANKA", FlowKind.FRA, THU, settlement, date(2026, 1, 6)),
        ("BANKB", FlowKind.FRA, THU, -settlement, date(2026, 1, 6)),
    ]


def test_a_fee_is_an_additional_payment_of_each_side() -> None:
    fees = [
        FeePaid("C1", "BANKA", "HOUSE", LEI_A, "AUD", LEI_A, LEI_B, D(3000)),
        FeePaid("C2", "BANKB", "HOUSE", LEI_B, "AUD", LEI_A, LEI_B, D(3000), date(2026, 1, 12)),
    ]
    flows = fee_flows(fees, THU)
    assert [(f.ccp_trade_id, f.kind, f.payment_date, f.amount) for f in flows] == [
        ("C1", FlowKind.FEE, THU, D(-3000)),
        ("C2", FlowKind.FEE, date(2026, 1, 12), D(3000)),
    ]


@pytest.mark.parametrize(
    ("effective", "months", "lag"),
    [
        (date(2025, 7, 8), 6, 0),
        (date(2026, 1, 30), 3, 2),
        (date(2026, 2, 28), 3, 0),
        (date(2025, 12, 31), 1, 0),
    ],
)
def test_the_cheap_test_never_skips_a_side_that_pays(effective: date, months: int, lag: int) -> None:
    """Over every window of two and a half years, a trade ``may_pay`` rules out has no payment in it, and
    most windows are ruled out (so the step resolves only what may pay)."""
    t = seasoned("T1", D(10_000_000), LEI_A)
    period = Period(months, PeriodUnit.MONTH)
    streams = tuple(
        replace(
            s,
            effective_date=effective,
            termination_date=effective.replace(year=effective.year + 3),
            calculation_frequency=period,
            payment_frequency=period,
            payment_offset_days=lag,
            index_tenor=period if s.floating_index else None,
            reset_frequency=period if s.floating_index else None,
        )
        for s in t.streams
    )
    if months == 3:  # with exchanges of notional at both ends
        streams = tuple(
            replace(s, principal_exchanges=PrincipalExchanges(True, False, True)) for s in streams
        )
    trade = replace(t, streams=streams)
    side = FlowSide("C1", "BANKA", "HOUSE", LEI_A, resolve(trade))
    skipped = 0
    day = date(2025, 6, 1)
    while day < date(2027, 12, 31):
        end = day + timedelta(days=3)
        pays = bool(due_coupons([side], day, end) or principal_flows([side], day, end))
        if not may_pay(trade, day, end):
            skipped += 1
            assert not pays, (day, end)
        day += timedelta(days=1)
    assert skipped > 150


# ---------------------------------------------------------------- end of day, on each store


@dataclass
class Backend:
    service: ClearingService
    load_fixing: Any  # async (Fixing) -> None


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_session_url")
    return url


@pytest.fixture
async def backend(backend_url: str, tmp_path: Path) -> AsyncIterator[Backend]:
    rates_file = tmp_path / "overnight.csv"
    rates_file.write_text(OVERNIGHT)
    rates = CsvOvernightRates.load(rates_file)
    clock = FixedClock(OPEN_NOW)
    a, b = member("BANKA", LEI_A), member("BANKB", LEI_B)
    if backend_url == "memory":
        memory = MemoryClearingStore()
        for m in (a, b):
            memory.add_member(m)
            memory.lodge(m.member_id, "HOUSE", cash("AUD", D(100_000_000)))

        async def to_memory(f: Fixing) -> None:
            memory.add_fixings([f])

        svc = ClearingService(None, SeriesMargin(SERIES), clock=clock, store=memory, overnight_rates=rates)
        yield Backend(svc, to_memory)
        return
    engine = create_engine(backend_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    refdata = ReferenceData(engine, clock=clock)
    for m in (a, b):
        await refdata.add_participant(m)
        await refdata.lodge(m.member_id, "HOUSE", cash("AUD", D(100_000_000)))
    store: ClearingStore = SqlClearingStore(engine)
    fixings = FixingsStore(engine, clock)

    async def to_db(f: Fixing) -> None:
        await fixings.load([f], "test")

    try:
        svc = ClearingService(engine, SeriesMargin(SERIES), clock=clock, store=store, overnight_rates=rates)
        yield Backend(svc, to_db)
    finally:
        await engine.dispose()


async def clear_trades(svc: ClearingService) -> None:
    for n, (trade_id, notional, payer) in enumerate(TRADES, start=1):
        receipt = await svc.submit(
            Submission(
                channel=Channel.MQTT_FPML,
                source="MARKITWIRE",
                message_id=f"MSG-{n}",
                received_at=svc.clock.now(),
                trade=seasoned(trade_id, notional, payer),
                correlation_id=f"CORR-{n}",
                raw=b"<requestClearing/>",
            )
        )
        await svc.drain()
        assert (await svc.history(receipt.submission_id))[-1].status is S.CLEARED


def _key(f: CashFlow) -> tuple[Any, ...]:
    return (f.payment_date, f.member_id, f.kind.value, f.amount, f.rate, f.index, f.fixing_date)


async def stored(svc: ClearingService, day: date) -> tuple[list[CashFlow], list[Any]]:
    async with svc.store.read() as uow:
        return await uow.cashflows.flows(day - timedelta(days=1), day), await uow.cashflows.netted(day)


def expected_npv(lei: str, day: date) -> D:
    total = D(0)
    for _, notional, payer in TRADES:
        sign = -1 if payer == lei else 1
        total += sign * SERIES[day] * notional / D(1_000_000)
    return total


async def test_end_of_day_writes_the_next_days_flows_netted_and_vm_counts_them(backend: Backend) -> None:
    svc = backend.service
    clock = svc.clock
    assert isinstance(clock, FixedClock)
    await clear_trades(svc)
    clock.advance(timedelta(hours=10, minutes=30))  # Wednesday 21:30 in Sydney

    # the fixing of the floating coupons paying tomorrow is not stored: the run stops at cashflows
    refused = await svc.end_of_day(WED, drain=False)
    assert refused.failed is not None
    step, why = refused.failed
    assert step == "cashflows"
    assert "MKT_MISSING_FIXING" in why
    assert INDEX in why
    assert "2025-07-04" in why
    assert [s for s, _ in refused.steps] == ["refuse", "mature", "revalue", "cashflows"]
    assert await stored(svc, THU) == ([], [])

    await backend.load_fixing(Fixing(INDEX, FIXING_DAY, BBSW))
    first = await svc.end_of_day(WED, drain=False)
    assert first.failed is None
    assert first.cash_flows == 8
    flows, netted = await stored(svc, THU)
    for lei in (LEI_A, LEI_B):
        mine = [f for f in flows if f.member_id == MEMBER_OF[lei]]
        by_trade: dict[str, str] = {}
        async with svc.store.read() as uow:
            for ccp_id, _, trade in await uow.cleared.in_account(MEMBER_OF[lei], "HOUSE", WED):
                by_trade[ccp_id] = {n: t for t, n, _ in TRADES}[trade.streams[0].notional]
        got = {(by_trade[f.ccp_trade_id], f.kind.value): f.amount for f in mine}
        assert got == hand_coupons(lei)
        assert all(f.business_date == WED and f.currency == "AUD" for f in mine)
    assert [(n.member_id, n.account_id, n.currency, n.amount, n.flows) for n in netted] == [
        ("BANKA", "HOUSE", "AUD", expected_net(LEI_A), 4),
        ("BANKB", "HOUSE", "AUD", expected_net(LEI_B), 4),
    ]
    assert expected_net(LEI_A) == D("51922.22")

    # run again whole: the same rows, no more
    again = await svc.end_of_day(WED, drain=False)
    assert again.failed is None
    flows_again, netted_again = await stored(svc, THU)
    assert sorted(map(_key, flows_again)) == sorted(map(_key, flows))
    assert netted_again == netted

    # Thursday: the coupons are paid; today's NPV no longer holds them, the VM counts them
    clock.advance(timedelta(days=1))
    second = await svc.end_of_day(THU, drain=False)
    assert second.failed is None
    assert second.cash_flows == 0
    async with svc.store.read() as uow:
        vm = await uow.eod.vm(THU)
    for lei in (LEI_A, LEI_B):
        m = MEMBER_OF[lei]
        mine = [r for r in vm if r.member_id == m]
        assert sum((r.payments for r in mine), D(0)) == expected_net(lei)
        change = expected_npv(lei, THU) - expected_npv(lei, WED)
        assert sum((r.vm for r in mine), D(0)) == change + expected_net(lei)
    # A: NPV change -(250.50 x 10) + 250.50 x 20 = 2,505.00, plus 51,922.22 of coupons received
    assert sum((r.vm for r in vm if r.member_id == "BANKA"), D(0)) == D("54427.22")
    assert await stored(svc, FRI) == ([], [])
    assert [s for s, _ in second.steps] == list(eod.STEPS)


# ---------------------------------------------------------------- the command


def test_cashflows_list_shows_the_days_flows_and_their_netting(tmp_path: Path, sqlite_template: Path) -> None:
    import asyncio
    import csv
    import importlib
    import io
    import json

    from typer.testing import CliRunner

    from gateway.cli.app import app

    importlib.import_module("gateway.cli.cmd_cashflows")
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    db = f"sqlite+aiosqlite:///{path}"

    async def day_one() -> None:
        engine = create_engine(db)
        clock = FixedClock(OPEN_NOW)
        try:
            refdata = ReferenceData(engine, clock=clock)
            for m in (member("BANKA", LEI_A), member("BANKB", LEI_B)):
                await refdata.add_participant(m)
                await refdata.lodge(m.member_id, "HOUSE", cash("AUD", D(100_000_000)))
            await FixingsStore(engine, clock).load([Fixing(INDEX, FIXING_DAY, BBSW)], "test")
            svc = ClearingService(engine, SeriesMargin(SERIES), clock=clock, store=SqlClearingStore(engine))
            await clear_trades(svc)
            clock.advance(timedelta(hours=10, minutes=30))
            assert (await svc.end_of_day(WED, drain=False)).failed is None
        finally:
            await engine.dispose()

    asyncio.run(day_one())
    runner = CliRunner()

    result = runner.invoke(
        app, ["cashflows", "list", "--date", "2026-01-08", "--netted", "--csv", "--db", db]
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["payment_date", "member", "account", "currency", "amount", "flows"]
    assert [(r["member"], r["currency"], D(r["amount"]), r["flows"]) for r in rows] == [
        ("BANKA", "AUD", D("51922.22"), "4"),
        ("BANKB", "AUD", D("-51922.22"), "4"),
    ]

    result = runner.invoke(
        app, ["cashflows", "list", "--date", "2026-01-08", "--member", "BANKB", "--json", "--db", db]
    )
    assert result.exit_code == 0, result.stderr
    flows = json.loads(result.stdout)
    assert {f["member"] for f in flows} == {"BANKB"}
    assert sorted((f["kind"], D(f["amount"])) for f in flows) == sorted(
        (kind, amount) for (_, kind), amount in hand_coupons(LEI_B).items()
    )
    floating = [f for f in flows if f["kind"] == "floating"]
    assert {(f["index"], f["fixing_date"], f["rate"]) for f in floating} == {(INDEX, "2025-07-04", "0.0412")}

    result = runner.invoke(app, ["cashflows", "list", "--date", "2026-01-09", "--db", db, "--json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    result = runner.invoke(app, ["cashflows", "list", "--date", "2026-01-08", "--member", "NOPE", "--db", db])
    assert result.exit_code != 0
    assert "REF_UNKNOWN_MEMBER" in result.stderr + result.stdout
