"""SIGKILL on the embedded defaults: no trade a source saw acknowledged is lost.

``clearing-gateway serve`` runs as a child process on the embedded set-up (in-process broker, SQLite
under ./var, files made on first start); the configuration only moves its ports off the ones this
machine already uses and starts business time in service hours. A paho-mqtt trade source (a user made
with ``clearing-gateway mqtt user add``, registered as a trade source, persistent session) publishes a burst of 1,000 trades
and records every PUBACK. The gateway is SIGKILLed in the middle of the burst and started again; the
source reconnects and sends what was not acknowledged. Every trade acknowledged before the kill, and in
the end every trade, is in the database exactly once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from sqlalchemy import text

from gateway.loopback import free_port
from gateway.rules.hours import ServiceHours
from gateway.rules.settings import ClearingSettings
from gateway.shifted_clock import ShiftedClock
from gateway.store import open_store
from tools.bench.pipeline import RICH_MEMBERS, payloads
from tools.demo.process import GatewayProcess
from tools.demo.runner import demo_start, onboard, prepare

pytestmark = pytest.mark.slow
TRADES = int(os.environ.get("CLEARING_EMBEDDED_CRASH_TRADES", "1000"))
SOURCE = "VENUE1"


class Source:
    """A paho-mqtt trade source that remembers which publishes the broker acknowledged."""

    def __init__(self, port: int, password: str) -> None:
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=f"{SOURCE}-pub", clean_session=False
        )
        self.client.username_pw_set(SOURCE, password)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_publish = self._acked
        self.port = port
        # guards only these two; never held while calling paho (whose loop thread calls _acked with its
        # own lock held: holding ours around publish() would deadlock)
        self.lock = threading.Lock()
        self.trade_of: dict[int, str] = {}
        self.acked_mids: set[int] = set()

    def _acked(self, _c: paho.Client, _u: object, mid: int, _rc: object, _p: object) -> None:
        with self.lock:
            self.acked_mids.add(mid)

    def start(self) -> None:
        self.client.connect("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()

    def publish(self, burst: list[tuple[str, bytes]]) -> None:
        for tid, payload in burst:
            info = self.client.publish(f"ccp/in/{SOURCE}/fpml", payload, qos=1)
            with self.lock:  # the PUBACK may have come already: acknowledged() joins the two
                self.trade_of[info.mid] = tid

    def acknowledged(self) -> set[str]:
        with self.lock:
            return {self.trade_of[mid] for mid in self.acked_mids if mid in self.trade_of}

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def _until(condition: object, within_s: float, what: str) -> None:
    assert callable(condition)
    try:
        async with asyncio.timeout(within_s):
            while not condition():  # noqa: ASYNC110 - the condition is fed by paho's thread
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"no {what} within {within_s}s") from None


async def test_sigkill_mid_burst_loses_no_acknowledged_trade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the embedded defaults live under ./var
    settings = ClearingSettings.load()
    start = demo_start(settings, datetime.now(UTC).date())
    clock = ShiftedClock(start)
    business_date = ServiceHours(settings.service_hours, settings.backload).business_date(start)
    prepare(tmp_path / "var", business_date, settings)  # market data in var/market
    store_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'gateway.db'}"
    await onboard(store_url, clock, RICH_MEMBERS, sources=(SOURCE,))  # its intake grant
    mqtt_port, ops_port = free_port(), free_port()
    config = tmp_path / "ports.toml"
    config.write_text(
        f"simulated_start = {start.isoformat()}\n"
        f"[mqtt]\nport = {mqtt_port}\n[fix]\nport = {free_port()}\n[ops]\nport = {ops_port}\n"
    )
    added = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway.cli.main", "mqtt", "user", "add", SOURCE],
        capture_output=True,
        text=True,
        check=True,
    )
    password = added.stdout.strip().removeprefix(f"{SOURCE}=")
    burst = payloads(SOURCE, business_date, TRADES, "E", clock, seed=7)
    ids = [tid for tid, _ in burst]

    gateway = GatewayProcess(config, ops_port, tmp_path / "gateway.log")
    source = Source(mqtt_port, password)
    try:
        gateway.start()
        await asyncio.to_thread(gateway.wait_healthy)
        source.start()
        publishing = asyncio.create_task(asyncio.to_thread(source.publish, burst))
        await _until(lambda: len(source.acknowledged()) >= TRADES // 10, 300, "first acknowledgements")
        await asyncio.to_thread(gateway.kill)
        acked_before_kill = source.acknowledged()
        await publishing
        assert 0 < len(acked_before_kill) < TRADES, "the kill did not land in the middle of the burst"

        gateway.start()
        await asyncio.to_thread(gateway.wait_healthy)
        await _until(lambda: len(source.acknowledged()) == TRADES, 600, "every trade acknowledged")
    finally:
        source.stop()
        await asyncio.to_thread(gateway.stop)

    engine = await open_store(store_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT source_trade_id, count(*) FROM submissions WHERE source = :s GROUP BY source_trade_id"
                    ),
                    {"s": SOURCE},
                )
            ).all()
    finally:
        await engine.dispose()
    stored = dict(rows)
    lost = sorted(acked_before_kill - stored.keys())
    assert not lost, (
        f"{len(lost)} trades acknowledged before the SIGKILL are not in the database: {lost[:10]}"
    )
    assert sorted(stored) == sorted(ids)
    assert all(n == 1 for n in stored.values()), "a trade was stored twice"
