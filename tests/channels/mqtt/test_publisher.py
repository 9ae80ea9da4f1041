"""The outbox publisher over a real broker: right topics, per-recipient order, and no loss across an outage.

The outbox is the in-memory stand-in of tests/app/doubles.py (the store-backed one is being built
concurrently), the renderer a stand-in for the FpML writers; tests/app/ runs the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiomqtt
import pytest

from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.channels.mqtt.client import mqtt_client
from gateway.channels.mqtt.publisher import HEALTH_KEY, OutboxPublisher
from gateway.clearing.ports import DeliveryChannel, OutboxItem, RecipientRole
from gateway.clock import FixedClock
from gateway.config import BrokerMode, MqttConfig
from gateway.domain.enums import ClearingStatusCode
from gateway.ops.health import Health, State
from gateway.ops.metrics import Metrics
from tests.app.doubles import MemoryOutbox, status_update
from tests.channels.mqtt.broker.world import ACL, USERS, access, client
from tests.strategies import vanilla_irs

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FLOW = (ClearingStatusCode.RECEIVED, ClearingStatusCode.PENDING, ClearingStatusCode.CLEARED)


def _render(item: OutboxItem) -> bytes:
    u = item.update
    return f"{u.trade.identifiers.source_trade_id}:{u.sequence}:{u.status}".encode()


def _outbox(source: str, members: tuple[str, str], trades: int) -> MemoryOutbox:
    box = MemoryOutbox()
    n = 0
    for step, status in enumerate(FLOW, start=1):
        for t in range(trades):
            update = status_update(
                vanilla_irs(source_trade_id=f"T{t}"), status, T0 + timedelta(seconds=step), step
            )
            for role, who in (
                (RecipientRole.SOURCE, source),
                (RecipientRole.MEMBER, members[0]),
                (RecipientRole.MEMBER, members[1]),
            ):
                n += 1
                box.items.append(OutboxItem(n, DeliveryChannel.MQTT, role, who, update))
    return box


@contextlib.asynccontextmanager
async def publishing(publisher: OutboxPublisher) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(publisher.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _publisher(
    box: MemoryOutbox,
    host: str,
    port: int,
    health: Health,
    metrics: Metrics,
    *,
    username: str | None = None,
    password: str | None = None,
) -> OutboxPublisher:
    cfg = MqttConfig(mode=BrokerMode.EXTERNAL, host=host, port=port, username=username, secret=password)
    return OutboxPublisher(
        outbox=box,
        render=_render,
        connect=lambda: mqtt_client(cfg, identifier=None),
        metrics=metrics,
        health=health,
        batch_size=7,
        poll_interval_s=0.01,
        retry_initial_s=0.05,
        retry_max_s=0.2,
    )


async def _collect(sub: aiomqtt.Client, n: int) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    count = 0
    async with asyncio.timeout(15):
        async for m in sub.messages:
            assert isinstance(m.payload, bytes)
            got.setdefault(m.topic.value, []).append(m.payload.decode())
            count += 1
            if count == n:
                break
    return got


@pytest.mark.mosquitto
async def test_statuses_reach_source_and_members_in_order(mosquitto: tuple[str, int]) -> None:
    tag = uuid.uuid4().hex[:6]
    source, members = f"S{tag}", (f"A{tag}", f"B{tag}")
    box = _outbox(source, members, trades=5)
    metrics = Metrics()
    async with aiomqtt.Client(*mosquitto) as sub:
        for topic in (
            f"ccp/out/{source}/fpml",
            f"ccp/member/{members[0]}/fpml",
            f"ccp/member/{members[1]}/fpml",
        ):
            await sub.subscribe(topic, qos=1)
        async with publishing(_publisher(box, *mosquitto, Health(FixedClock()), metrics)):
            got = await _collect(sub, 45)
            # Counted once the broker acknowledged the batch, which may come just after delivery.
            while len(box.delivered) < len(box.items):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    assert set(got) == {
        f"ccp/out/{source}/fpml",
        f"ccp/member/{members[0]}/fpml",
        f"ccp/member/{members[1]}/fpml",
    }
    for messages in got.values():
        for t in range(5):
            seen = [m.split(":", 2)[2] for m in messages if m.startswith(f"T{t}:")]
            assert seen == [s.value for s in FLOW]
    text = metrics.render().decode()
    assert 'gateway_statuses_out_total{channel="mqtt",status="Cleared"} 15.0' in text
    assert "gateway_decision_latency_seconds_count 5.0" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_broker_outage_delays_but_loses_nothing() -> None:
    """Nothing listens at first: items stay pending; once a broker is up every one of them arrives."""
    port = _free_port()
    box = _outbox("SRC", ("MA", "MB"), trades=3)
    box.fail_next_pending = 2  # and the store is briefly away too
    health = Health(FixedClock())
    publisher = _publisher(
        box, "127.0.0.1", port, health, Metrics(), username="gateway", password=USERS["gateway"]
    )
    subscribed = asyncio.Event()
    real_connect = publisher._connect
    dead = MqttConfig(mode=BrokerMode.EXTERNAL, host="127.0.0.1", port=_free_port())
    # Until the test's subscriber is in place the publisher is pointed at a port nobody listens on.
    publisher._connect = lambda: real_connect() if subscribed.is_set() else mqtt_client(dead, identifier=None)
    everything = {i.id for i in box.items}
    async with publishing(publisher) as task:
        while HEALTH_KEY not in health.components or health.components[HEALTH_KEY].state is not State.DOWN:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert box.delivered == set()
        # a watcher allowed to read every status topic (the embedded broker requires users and rules)
        watcher_rules = ACL + "\nuser BANKA\ntopic read ccp/#\n"
        async with EmbeddedBroker(access=access(acl=watcher_rules), port=port), client(port, "BANKA") as sub:
            await sub.subscribe("ccp/#", qos=1)
            subscribed.set()
            got = await _collect(sub, 27)
            while box.delivered != everything:  # noqa: ASYNC110 - marked once the broker acknowledged
                await asyncio.sleep(0.01)
            task.cancel()  # before the broker goes, so the publisher sees no disconnection
    assert sum(len(v) for v in got.values()) == 27
    assert box.delivered == {i.id for i in box.items}
    for messages in got.values():
        for t in range(3):
            assert [m.split(":", 2)[2] for m in messages if m.startswith(f"T{t}:")] == [s.value for s in FLOW]


@pytest.mark.mosquitto
async def test_publish_all_returns_once_every_message_is_acknowledged(mosquitto: tuple[str, int]) -> None:
    from gateway.channels.mqtt.client import awaiting_ack, publish_all, watch_pubacks

    topic = f"ccp/test/{uuid.uuid4().hex[:8]}"
    cfg = MqttConfig(mode=BrokerMode.EXTERNAL, host=mosquitto[0], port=mosquitto[1])
    async with aiomqtt.Client(*mosquitto) as sub, mqtt_client(cfg, identifier=None) as pub:
        await sub.subscribe(topic, qos=1)
        acked: list[int] = []
        watch_pubacks(pub, acked.append)
        messages = [(topic, f"m{n}".encode()) for n in range(300)]
        await publish_all(pub, messages)
        assert len(acked) == 300  # every PUBACK arrived before it returned
        assert awaiting_ack(pub) == 0  # nothing left waiting in aiomqtt's table
        got = await _collect(sub, 300)
    assert got[topic] == [f"m{n}" for n in range(300)]  # in order
