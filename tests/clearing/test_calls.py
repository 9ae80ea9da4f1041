"""Margin calls: issued by end of day, settled in part and in full through the holdings, overdue past their
due time (marked by the service's own timer, the member flagged), and intraday calls run by the service clock.

The figures are worked out here from the inputs, apart from the code: the linear stand-in's IM of a 10m
5-year swap is 10,000,000 x 5 x 1bp x 50bp shock = 250,000.00 a side; the hand-built NPV series gives the
fixed payer BANKA -1,000 per million on Wednesday, so a VM of -10,000.00 (owed), and a PAI on that balance
of +10,000 x 4.35% / 365 = 1.19 received.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs
from typer.testing import CliRunner

from gateway.admin.calls import CallDesk
from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.calls import CallKind, CallSettings, CallState
from gateway.clearing.ports import Channel, Submission
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.errors import GatewayError
from gateway.refdata.overnight import CsvOvernightRates
from gateway.store.calls_repo import SqlCalls
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import LEI_A, LEI_B, OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import SeriesMargin

D = Decimal
WED, THU = TODAY, TODAY + timedelta(days=1)
IM = D("250000.00")
COLLATERAL_A = D("255000.00")
VM_A = -D("1000.00") * 10  # BANKA pays fixed: -1,000 per million on 10 million
PAI_A = (-VM_A * D("0.0435") / D(365)).quantize(D("0.01"), rounding=ROUND_HALF_EVEN)  # balance -10,000
EXPECTED_CALL = IM + (-VM_A) + (-PAI_A) - COLLATERAL_A  # 4,998.81
DUE = datetime(2026, 1, 7, 23, 0, tzinfo=UTC)  # Thursday 10:00 in Sydney (UTC+11)
CALL_ID = "EOD-20260107-BANKA-HOUSE-AUD"


class Desk:
    """One service process with margin calls kept on the database."""

    def __init__(self, engine: AsyncEngine, tmp: Path, settings: CallSettings | None = None) -> None:
        rates = tmp / "overnight.csv"
        rates.write_text("index,date,rate_percent\nAONIA,2026-01-07,4.35\n")
        self.engine = engine
        self.clock = FixedClock(OPEN_NOW)
        self.service = ClearingService(
            engine,
            SeriesMargin({WED: D("1000.00")}),
            clock=self.clock,
            store=SqlClearingStore(engine),
            overnight_rates=CsvOvernightRates.load(rates),
            calls=SqlCalls(engine),
            call_settings=settings,
        )
        self.refdata = ReferenceData(engine, clock=self.clock, on_lodged=self.service.wake)
        self.calls = SqlCalls(engine)

    async def trade_day(self) -> None:
        await self.refdata.add_participant(member("BANKA", LEI_A))
        await self.refdata.add_participant(member("BANKB", LEI_B))
        await self.refdata.lodge("BANKA", "HOUSE", cash("AUD", COLLATERAL_A))
        await self.refdata.lodge("BANKB", "HOUSE", cash("AUD", D(100_000_000)))
        receipt = await self.service.submit(
            Submission(
                channel=Channel.MQTT_FPML,
                source="MARKITWIRE",
                message_id="MSG-1",
                received_at=self.clock.now(),
                trade=aud_irs("T1", fixed_payer=LEI_A),
                correlation_id="CORR-1",
                raw=b"<requestClearing/>",
            )
        )
        await self.service.drain()
        assert (await self.service.history(receipt.submission_id))[-1].status is S.CLEARED

    async def end_of_day(self) -> None:
        self.clock.advance(timedelta(hours=10, minutes=30))  # 21:30 in Sydney
        report = await self.service.end_of_day(WED)
        assert report.failed is None
        assert dict(report.steps)["calls"] == "done"


async def run_service(desk: Desk, ticks: float = 0.2) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(desk.service.run(stop, poll_seconds=0.01))
    await asyncio.sleep(ticks)
    stop.set()
    await task


async def test_end_of_day_issues_the_call_of_each_account_and_currency(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    desk = Desk(engine, tmp_path)
    await desk.trade_day()
    await desk.end_of_day()
    [call] = await desk.calls.calls()
    assert D("4998.81") == EXPECTED_CALL
    assert (call.call_id, call.member_id, call.account_id, call.currency) == (
        CALL_ID,
        "BANKA",
        "HOUSE",
        "AUD",
    )
    assert (call.kind, call.state, call.amount, call.due_at) == (
        CallKind.EOD,
        CallState.ISSUED,
        EXPECTED_CALL,
        DUE,
    )
    parts = call.components
    assert (parts.im, parts.vm_owed, parts.pai_owed, parts.collateral) == (IM, -VM_A, -PAI_A, COLLATERAL_A)
    # BANKB: IM 250,000 + VM owed -10,000 + PAI owed 1.19 against 100m of collateral: an excess, no call

    again = await desk.service.end_of_day(WED)  # a rerun issues nothing new
    assert again.calls_issued == 0
    assert [c.call_id for c in await desk.calls.calls()] == [CALL_ID]


async def test_a_call_is_settled_in_part_then_in_full_through_the_holdings(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    desk = Desk(engine, tmp_path)
    await desk.trade_day()
    await desk.end_of_day()
    calls = CallDesk(desk.refdata)
    import gateway.cli.cmd_calls  # noqa: F401  (registers the commands)
    from gateway.cli.app import app

    url = engine.url.render_as_string(hide_password=False)
    args = ["calls", "settle", CALL_ID, "--amount", "2000.00", "--cash", "--operator", "ops-1", "--db", url]
    result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["state"], row["outstanding"], row["settled_by"]) == (
        "ISSUED",
        str(EXPECTED_CALL - 2000),
        "ops-1",
    )
    [part] = await desk.calls.calls()
    assert part.outstanding == EXPECTED_CALL - D("2000.00")
    [summary] = await desk.refdata.show("BANKA", "HOUSE")
    assert summary.to_dict()["collateral_value"] == str(COLLATERAL_A + D("2000.00"))

    bond = desk.refdata.security("AU0000XCLWM5", "AUD", D(10), D(100), D("0.02"))  # 980 after haircut
    with pytest.raises(GatewayError) as short:
        await calls.settle(CALL_ID, D("1000.00"), "ops-2", security=bond)
    assert (short.value.issues[0].code.value, short.value.issues[0].path) == ("CALL_BAD_AMOUNT", "amount")
    by_bond = await calls.settle(CALL_ID, D("980.00"), "ops-2", security=bond)
    assert by_bond.call.outstanding == EXPECTED_CALL - D("2980.00")
    full = await calls.settle(CALL_ID, EXPECTED_CALL - D("2980.00"), "ops-2")
    assert (full.call.state, full.call.outstanding, full.call.settled_by) == (
        CallState.SETTLED,
        D(0),
        "ops-2",
    )
    [stored] = await desk.calls.calls(state=CallState.SETTLED)
    assert stored.settled_amount == EXPECTED_CALL

    with pytest.raises(GatewayError) as settled:
        await calls.settle(CALL_ID, D(1), "ops-3")
    assert settled.value.issues[0].code.value == "CALL_SETTLED"
    with pytest.raises(GatewayError) as unknown:
        await calls.settle("EOD-20260107-NOBODY-HOUSE-AUD", D(1), "ops-3")
    assert (unknown.value.issues[0].code.value, unknown.value.issues[0].path) == ("CALL_UNKNOWN", "call_id")
    with pytest.raises(GatewayError) as negative:
        await calls.settle(CALL_ID, D(-5), "ops-3")
    assert negative.value.issues[0].path == "amount"
    [summary] = await desk.refdata.show("BANKA", "HOUSE")  # cash and the bond, the refusals lodged nothing
    assert summary.to_dict()["collateral_value"] == str(COLLATERAL_A + EXPECTED_CALL)


async def test_an_unsettled_call_past_its_due_time_becomes_overdue_and_flags_the_member(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    desk = Desk(engine, tmp_path)
    await desk.trade_day()
    await desk.end_of_day()
    await CallDesk(desk.refdata).settle(CALL_ID, D("1000.00"), "ops")  # partly paid: the rest is late
    flags: list[dict[str, int]] = []
    desk.service.on_flags = flags.append  # serve: the /healthz detail of the margin calls
    desk.clock.current = DUE - timedelta(minutes=1)
    await run_service(desk)
    assert [c.state for c in await desk.calls.calls()] == [CallState.ISSUED]  # not yet due

    desk.clock.current = DUE + timedelta(minutes=1)
    with capture_logs() as logged:
        await run_service(desk)
    [late] = await desk.calls.calls(state=CallState.OVERDUE)
    assert (late.call_id, late.outstanding) == (CALL_ID, EXPECTED_CALL - D("1000.00"))
    assert flags[0] == {}
    assert flags[-1] == {"BANKA": 1}
    [line] = [e for e in logged if e["event"] == "clearing.margin_call_overdue"]  # logged once
    assert (line["log_level"], line["reason"], line["member"]) == ("warning", "MARGIN_CALL_OVERDUE", "BANKA")
    from gateway.app import flags_detail

    assert flags_detail(flags[-1]) == "overdue: BANKA (1)"

    import gateway.cli.cmd_admin
    import gateway.cli.cmd_calls  # noqa: F401  (registers the commands)
    from gateway.cli.app import app

    url = engine.url.render_as_string(hide_password=False)
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["calls", "list", "--state", "OVERDUE", "--db", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["call_id"], row["state"], row["outstanding"]) == (CALL_ID, "OVERDUE", str(late.outstanding))
    members = await asyncio.to_thread(CliRunner().invoke, app, ["participant", "list", "--db", url, "--json"])
    assert members.exit_code == 0, members.output
    flags = {m["member"]: m["overdue_calls"] for m in json.loads(members.stdout)}
    assert flags == {"BANKA": [CALL_ID], "BANKB": []}


async def test_intraday_calls_run_by_the_service_clock_once_per_time(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = CallSettings(intraday_at=(time(8, 30), time(11, 0)), intraday_threshold={"AUD": D("10000")})
    desk = Desk(engine, tmp_path, settings)
    await desk.trade_day()  # BANKA: 255,000 held against an IM of 250,000, an excess of 5,000
    thursday = datetime(2026, 1, 7, 21, 30, tzinfo=UTC)  # 08:30 on Thursday in Sydney
    desk.clock.current = thursday - timedelta(minutes=1)
    await run_service(desk)
    assert await desk.calls.calls() == []  # before the first time

    desk.clock.current = thursday + timedelta(minutes=1)
    await run_service(desk)
    second = ClearingService(  # another process on the database ticks too: still one call
        engine, SeriesMargin({}), clock=desk.clock, store=SqlClearingStore(engine), calls=SqlCalls(engine),
        call_settings=settings,
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(second.run(stop, poll_seconds=0.01))
    await asyncio.sleep(0.1)
    stop.set()
    await task
    [call] = await desk.calls.calls()
    assert call.call_id == "INTRADAY-20260108-0830-BANKA-HOUSE-AUD"
    assert (call.kind, call.amount, call.currency) == (
        CallKind.INTRADAY,
        D("5000.00"),
        "AUD",
    )  # back to 10,000
    assert call.due_at == thursday + timedelta(minutes=1) + timedelta(minutes=60)

    isin = desk.refdata.security("AU0000XCLWM5", "AUD", D(100), D(100), D("0.02"))
    with pytest.raises(GatewayError) as cash_only:
        await CallDesk(desk.refdata).settle(call.call_id, D("5000"), "ops", security=isin)
    assert (cash_only.value.issues[0].code.value, cash_only.value.issues[0].path) == (
        "CALL_CASH_ONLY",
        "collateral",
    )
    await CallDesk(desk.refdata).settle(call.call_id, D("5000.00"), "ops")

    desk.clock.current = thursday + timedelta(hours=2, minutes=31)  # 11:01: excess back at 10,000
    await run_service(desk)
    assert [c.call_id for c in await desk.calls.calls()] == [call.call_id]
