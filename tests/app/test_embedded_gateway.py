"""The gateway on its embedded broker, as a newcomer runs it: files made on first start, users added with
``clearing-gateway mqtt user add``, every participant connected as itself. The honest path clears; a
member's forged trade on an intake topic is dropped by the broker, logged, and never stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import stat
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import gateway.cli.cmd_mqtt  # noqa: F401 - registers the command
from gateway.admin.reference import ReferenceData, cash
from gateway.admin.source_admin import TradeSources
from gateway.app import Gateway, open_gateway
from gateway.channels.mqtt.broker.defaults import generated_acl
from gateway.cli.app import app
from gateway.clock import FixedClock
from gateway.config import load_config
from gateway.loopback import free_port
from gateway.refdata.sources import TradeSource
from tests.app.harness import Inbox, subscribed
from tests.clearing.conftest import OPEN_NOW, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B
from tools.demo.requests import request_clearing

SOURCE, BANK_A, BANK_B = "VENUE1", "BANKA", "BANKB"


def _add_user(config: Path, name: str, *extra: str) -> str:
    result = CliRunner().invoke(app, ["mqtt", "user", "add", name, "--config", str(config), *extra])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith(f"{name}="))
    return line.removeprefix(f"{name}=")


@contextlib.asynccontextmanager
async def _running(tmp_path: Path) -> AsyncIterator[tuple[Gateway, dict[str, str], dict[str, Inbox]]]:
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(
        f'data_dir = "var"\n[mqtt]\nport = {free_port()}\n[fix]\nenabled = false\n[ops]\nport = 0\n'
    )
    config = load_config(config_file)
    passwords = {SOURCE: _add_user(config_file, SOURCE)}
    passwords |= {m: _add_user(config_file, m) for m in (BANK_A, BANK_B)}
    clock = FixedClock(OPEN_NOW)
    async with open_gateway(config, clock=clock, credit=LinearMargin()) as gw:
        # the source's intake grant comes from its registration, read with the sources
        await TradeSources(gw.engine, clock=clock).add(TradeSource(SOURCE, mqtt_user=SOURCE))
        await gw.reference.refresh()
        refdata = ReferenceData(gw.engine, clock=clock, on_lodged=gw.clearing.wake)
        for m, lei in ((BANK_A, LEI_A), (BANK_B, LEI_B)):
            await refdata.add_participant(member(m, lei))
            await refdata.lodge(m, "HOUSE", cash("AUD", Decimal(100_000_000)))
        topics = {
            SOURCE: f"ccp/out/{SOURCE}/fpml",
            BANK_A: f"ccp/member/{BANK_A}/fpml",
            BANK_B: f"ccp/member/{BANK_B}/fpml",
        }
        stop, started = asyncio.Event(), asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            inboxes = {
                who: await stack.enter_async_context(
                    subscribed("127.0.0.1", gw.mqtt_port, [topic], username=who, password=passwords[who])
                )
                for who, topic in topics.items()
            }
            task = asyncio.create_task(gw.run(stop, started))
            try:
                await asyncio.wait_for(started.wait(), 20)
                yield gw, passwords, inboxes
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)


def _confirmed(inbox: Inbox, trade_id: str) -> bool:
    return any(m.kind == "clearingConfirmed" and m.correlation == trade_id for m in inbox.messages)


async def test_first_start_makes_the_files_and_the_honest_path_clears(tmp_path: Path) -> None:
    async with _running(tmp_path) as (gw, passwords, inboxes):
        passwd, acl = tmp_path / "var" / "mqtt" / "passwd", tmp_path / "var" / "mqtt" / "acl"
        assert stat.S_IMODE(passwd.stat().st_mode) == 0o600
        assert [line.split(":")[0] for line in passwd.read_text().splitlines()] == [
            SOURCE,
            BANK_A,
            BANK_B,
            "gateway",
        ]
        assert acl.read_text() == generated_acl(gw.sources.sources, gw.config.mqtt)
        assert f"topic write ccp/in/{SOURCE}/fpml" in acl.read_text()
        own = gw.config.mqtt.password
        assert own
        assert gw.config.mqtt.username == "gateway"
        assert all(own not in f.read_text(errors="replace") for f in (tmp_path / "var" / "mqtt").iterdir())

        trade = aud_irs("T-HONEST")
        payload = request_clearing(trade, source=SOURCE, message_id="M-1", at=OPEN_NOW)
        async with aiomqtt.Client(
            "127.0.0.1", gw.mqtt_port, username=SOURCE, password=passwords[SOURCE]
        ) as src:
            await src.publish(f"ccp/in/{SOURCE}/fpml", payload, qos=1)
        # a user added while the gateway runs can connect at once (the file is read again when it changes)
        late = _add_user(tmp_path / "gateway.toml", "LATE")
        async with aiomqtt.Client("127.0.0.1", gw.mqtt_port, username="LATE", password=late):
            pass
        for inbox in inboxes.values():
            await inbox.wait_for(lambda _, box=inbox: _confirmed(box, "T-HONEST"))  # type: ignore[misc]


async def test_a_members_forged_trade_on_an_intake_topic_never_reaches_the_book(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.security")
    async with _running(tmp_path) as (gw, passwords, inboxes):
        async with aiomqtt.Client(
            "127.0.0.1", gw.mqtt_port, username=BANK_A, password=passwords[BANK_A]
        ) as a:
            for topic in (f"ccp/in/{BANK_A}/fpml", f"ccp/in/{SOURCE}/fpml", "ccp/in/ANYONE/fpml"):
                forged = request_clearing(aud_irs("T-FORGED"), source=BANK_A, message_id=topic, at=OPEN_NOW)
                await a.publish(topic, forged, qos=1)
        honest = request_clearing(aud_irs("T-AFTER"), source=SOURCE, message_id="M-2", at=OPEN_NOW)
        async with aiomqtt.Client(
            "127.0.0.1", gw.mqtt_port, username=SOURCE, password=passwords[SOURCE]
        ) as src:
            await src.publish(f"ccp/in/{SOURCE}/fpml", honest, qos=1)
        await inboxes[BANK_B].wait_for(lambda _: _confirmed(inboxes[BANK_B], "T-AFTER"))
        async with gw.engine.connect() as conn:
            stored = (await conn.execute(text("SELECT source_trade_id FROM submissions"))).scalars().all()
    assert stored == ["T-AFTER"]
    assert all(m.correlation != "T-FORGED" for inbox in inboxes.values() for m in inbox.messages)
    refused = [r for r in caplog.records if r.name == "gateway.security"]
    assert [(r.channel, r.identity, r.reason_code) for r in refused] == [
        ("mqtt", BANK_A, "MQTT_TOPIC_DENIED")
    ] * 3  # type: ignore[attr-defined]


async def test_a_suspended_source_loses_its_intake_topic_at_the_next_refresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.security")
    async with _running(tmp_path) as (gw, passwords, _inboxes):
        await TradeSources(gw.engine, clock=gw.clock).suspend(SOURCE)
        await gw.reference.refresh()  # what the service does every [sources] refresh_s
        assert f"in/{SOURCE}/fpml" not in (tmp_path / "var" / "mqtt" / "acl").read_text()
        late = request_clearing(aud_irs("T-SUSPENDED"), source=SOURCE, message_id="M-3", at=OPEN_NOW)
        async with aiomqtt.Client(
            "127.0.0.1", gw.mqtt_port, username=SOURCE, password=passwords[SOURCE]
        ) as src:
            await src.publish(f"ccp/in/{SOURCE}/fpml", late, qos=1)
        async with gw.engine.connect() as conn:
            stored = (await conn.execute(text("SELECT source_trade_id FROM submissions"))).scalars().all()
    assert stored == []
    refused = [r for r in caplog.records if r.name == "gateway.security"]
    assert [(r.channel, r.identity, r.reason_code) for r in refused] == [
        ("mqtt", SOURCE, "MQTT_TOPIC_DENIED")
    ]  # type: ignore[attr-defined]
