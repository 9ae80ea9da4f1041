"""/healthz follows the broker: 503 naming the broker while it is away, 200 once the gateway reconnects.

The margin model is the clearing core's linear stand-in (the risk engine is not under test here).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gateway.app import open_gateway
from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.clock import FixedClock
from gateway.config import BrokerMode, FixConfig, GatewayConfig, MqttConfig, OpsConfig, StoreConfig
from gateway.loopback import free_port
from tests.channels.mqtt.broker.world import USERS, access
from tests.clearing.doubles import LinearMargin

TOKEN_ENV = "CLEARING_OPS_TOKEN_HEALTH_TEST"


async def _health(port: int) -> tuple[int, dict[str, object]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ops-token\r\n\r\n")
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_health_reports_the_broker_outage_and_the_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "ops-token")
    broker_port = free_port()
    config = GatewayConfig(
        mqtt=MqttConfig(
            mode=BrokerMode.EXTERNAL,
            port=broker_port,
            client_id="health-test",
            username="gateway",
            secret=USERS["gateway"],
        ),
        store=StoreConfig(url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"),
        fix=FixConfig(enabled=False),
        ops=OpsConfig(port=0, token_env=TOKEN_ENV),
    )
    async with open_gateway(config, clock=FixedClock(), credit=LinearMargin()) as gw:
        assert gw.ops is not None
        stop = asyncio.Event()
        task = asyncio.create_task(gw.run(stop))
        try:
            async with asyncio.timeout(20):
                while True:
                    status, doc = await _health(gw.ops.port)
                    components = doc["components"]
                    assert isinstance(components, dict)
                    if "mqtt_intake" in components and components["mqtt_intake"]["state"] == "down":
                        break
                    await asyncio.sleep(0.05)
            assert status == 503
            assert doc["status"] == "degraded"
            assert "broker" in components["mqtt_intake"]["detail"]
            assert components["db"]["state"] == "up"
            assert components["broker"]["state"] == "down"
            async with EmbeddedBroker(access=access(), port=broker_port):
                async with asyncio.timeout(30):
                    while (await _health(gw.ops.port))[0] != 200:  # noqa: ASYNC110 - polling over HTTP
                        await asyncio.sleep(0.1)
                status, doc = await _health(gw.ops.port)
                assert doc["status"] == "ok"
                stop.set()
                await asyncio.wait_for(task, 20)
        finally:
            stop.set()
            if not task.done():
                task.cancel()


async def test_health_is_not_ok_until_the_intake_has_subscribed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source that waits for /healthz before publishing must not publish into a broker session that has
    no subscription yet (Mosquitto drops that message): the gateway is up only once the intake subscribed."""
    monkeypatch.setenv(TOKEN_ENV, "ops-token")
    config = GatewayConfig(
        data_dir=tmp_path,
        mqtt=MqttConfig(mode=BrokerMode.EMBEDDED, port=free_port(), client_id="health-start"),
        store=StoreConfig(url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"),
        fix=FixConfig(enabled=False),
        ops=OpsConfig(port=0, token_env=TOKEN_ENV),
    )
    async with open_gateway(config, clock=FixedClock(), credit=LinearMargin()) as gw:
        assert gw.ops is not None
        status, doc = await _health(gw.ops.port)  # serving, but no task runs yet
        assert status == 503
        components = doc["components"]
        assert isinstance(components, dict)
        assert components["mqtt_intake"]["state"] == "starting"
        assert components["mqtt_publisher"]["state"] == "starting"
        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(gw.run(stop, started))
        try:
            await asyncio.wait_for(started.wait(), 20)
            async with asyncio.timeout(20):
                while (await _health(gw.ops.port))[0] != 200:  # noqa: ASYNC110 - polling over HTTP
                    await asyncio.sleep(0.05)
            status, doc = await _health(gw.ops.port)
            assert doc["status"] == "ok"
            assert doc["components"]["mqtt_intake"]["state"] == "up"  # type: ignore[index]
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
