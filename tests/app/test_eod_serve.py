"""The gateway as ``serve`` runs it keeps the CCP's day: end of day at the close of its own clock, with the
VM and PAI of the day, as ``[eod]`` configures it (on by default; ``at_close = false`` leaves it to the
``eod`` command)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from gateway.admin.reference import ReferenceData, cash
from gateway.app import open_gateway
from gateway.clearing import eod
from gateway.clearing.ports import Channel, Submission
from gateway.clock import FixedClock
from gateway.config import load_config
from gateway.domain.enums import ClearingStatusCode as S
from gateway.loopback import free_port
from gateway.store import tables as t
from tests.clearing.conftest import OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import SeriesMargin
from tests.strategies import LEI_A, LEI_B

SERIES = {TODAY: Decimal("1000.00")}


async def _day_at_close(tmp_path: Path, eod_section: str) -> list[tuple[str, str]]:
    """Clear one trade, move the gateway's clock past the close, and answer the day's eod_runs after a while."""
    (tmp_path / "overnight.csv").write_text("index,date,rate_percent\nAONIA,2026-01-07,4.35\n")
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(
        f'data_dir = "var"\n[mqtt]\nport = {free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n'
        f"{eod_section}"
    )
    config = load_config(config_file)
    clock = FixedClock(OPEN_NOW)
    async with open_gateway(config, clock=clock, credit=SeriesMargin(SERIES)) as gw:
        refdata = ReferenceData(gw.engine, clock=clock, on_lodged=gw.clearing.wake)
        for m, lei in (("BANKA", LEI_A), ("BANKB", LEI_B)):
            await refdata.add_participant(member(m, lei))
            await refdata.lodge(m, "HOUSE", cash("AUD", Decimal(100_000_000)))
        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(gw.run(stop, started))
        try:
            await asyncio.wait_for(started.wait(), 20)
            receipt = await gw.clearing.submit(
                Submission(
                    channel=Channel.MQTT_FPML,
                    source="MARKITWIRE",
                    message_id="M-1",
                    received_at=clock.now(),
                    trade=aud_irs("T1"),
                    correlation_id="C-1",
                    raw=b"<requestClearing/>",
                )
            )
            for _ in range(500):
                if (await gw.clearing.history(receipt.submission_id))[-1].status is S.CLEARED:
                    break
                await asyncio.sleep(0.01)
            clock.advance(timedelta(hours=10, minutes=30))  # 21:30 in Sydney: the close has passed
            found: list[tuple[str, str]] = []
            for _ in range(300):  # the pipeline ticks at least every second
                async with gw.engine.connect() as conn:
                    r = t.eod_runs.c
                    found = [
                        (x.step, x.state)
                        for x in await conn.execute(select(r.step, r.state).order_by(r.step))
                    ]
                if len(found) == len(eod.STEPS) and all(state == "done" for _, state in found):
                    break
                await asyncio.sleep(0.02)
            async with gw.engine.connect() as conn:
                pai = list(await conn.execute(select(t.price_alignment_interest)))
            if found:
                assert len(pai) == 2  # both members, AUD, at AONIA
                # the service's calls timer reports the members flagged by overdue calls: none
                assert gw.health.components["margin_calls"].detail == "no margin call overdue"
                for _ in range(500):  # the notifications, published through the embedded broker
                    async with gw.engine.connect() as conn:
                        notices = list(await conn.execute(select(t.report_notices)))
                    if len(notices) == 2 and all(n.delivered_at is not None for n in notices):
                        break
                    await asyncio.sleep(0.02)
                assert sorted(n.member_id for n in notices) == ["BANKA", "BANKB"]
                assert all(n.delivered_at is not None for n in notices)
            return found
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)


async def test_serve_runs_end_of_day_at_the_close_by_default(tmp_path: Path) -> None:
    found = await _day_at_close(
        tmp_path, '[eod]\novernight_rates = "overnight.csv"\n[reports]\ndir = "reports"\n'
    )
    assert found == [(step, "done") for step in sorted(eod.STEPS)]
    for m in ("BANKA", "BANKB"):  # each member's reports, under [reports] dir
        folder = tmp_path / "reports" / m / "2026-01-07"
        assert {p.name for p in folder.iterdir()} >= {"margin.csv", "statement.pdf", "SHA256SUMS"}


async def test_at_close_false_leaves_end_of_day_to_the_command(tmp_path: Path) -> None:
    found = await _day_at_close(tmp_path, "[eod]\nat_close = false\n")
    assert found == []
