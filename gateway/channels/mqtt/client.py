"""The one adapter over aiomqtt: clients from ``MqttConfig``, manual PUBACK, batch publish at QoS 1.

aiomqtt 2.x has no public way to hold a PUBACK until the message is stored, nor to publish a batch
without a task per message, so this module reaches into its private attributes (``_client``: the paho
client; ``_pending_publishes``: mid -> waiter; ``_disconnected``: a future set when the connection goes).
Nothing else in the project does. pyproject pins aiomqtt to the versions this was tested with
(``>=2.3,<2.6``; tested: 2.5.1 with paho-mqtt 2.2.0); a newer aiomqtt may rename them, so the pin moves
only after ``tests/channels/mqtt`` passes against it. ``publish_all`` falls back to aiomqtt's own
``publish`` when the internals are not there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt

from gateway.config import MqttConfig


def mqtt_client(
    cfg: MqttConfig,
    *,
    identifier: str | None,
    persistent: bool = False,
    manual_ack: bool = False,
    port: int | None = None,
) -> aiomqtt.Client:
    """A client on the configured broker; ``persistent`` keeps the session (and unacked messages) across reconnects.

    With ``manual_ack`` QoS 1 messages are acknowledged only by ``ack(client, message)``: the broker
    redelivers every message not acknowledged before a crash.
    """
    tls = aiomqtt.TLSParameters(ca_certs=str(cfg.tls_ca_file)) if cfg.tls_ca_file else None
    client = aiomqtt.Client(
        cfg.host,
        port if port is not None else cfg.port,
        identifier=identifier,
        username=cfg.username,
        password=cfg.password,
        clean_session=not persistent,
        keepalive=cfg.keepalive_s,
        tls_params=tls,
        max_inflight_messages=1000,
        timeout=30,
    )
    # aiomqtt warns above 10 outstanding publishes; the publishers keep a whole batch in flight on purpose.
    client.pending_calls_threshold = 100_000
    if manual_ack:
        hold_acks(client)
    return client


def hold_acks(client: aiomqtt.Client) -> None:
    """Acknowledge QoS 1 messages only when ``ack`` says so (aiomqtt 2.x has no public switch; paho's is
    the documented way to hold PUBACK)."""
    client._client.manual_ack_set(True)


def ack(client: aiomqtt.Client, message: aiomqtt.Message) -> bool:
    """Send the PUBACK for ``message`` (QoS 1) now; False if the connection is gone (the broker will redeliver)."""
    if message.qos == 0:
        return True
    rc = client._client.ack(message.mid, message.qos)
    return bool(rc == 0)


def watch_pubacks(client: aiomqtt.Client, seen: Callable[[int], None]) -> None:
    """Call ``seen(mid)`` for each PUBACK the broker sends this client, before aiomqtt handles it."""
    paho = client._client
    inner = paho.on_publish

    def on_publish(*args: Any) -> None:
        seen(args[2])  # (client, userdata, mid, reason code, properties)
        if inner is not None:
            inner(*args)

    paho.on_publish = on_publish


def awaiting_ack(client: aiomqtt.Client) -> int:
    """How many publishes of this client wait for their PUBACK in aiomqtt's table."""
    return len(client._pending_publishes)


class _Acks:
    """Counts the PUBACKs of one batch; aiomqtt's ``on_publish`` calls ``set`` once per acknowledged mid."""

    __slots__ = ("done", "waiting")

    def __init__(self, waiting: int, done: asyncio.Future[None]) -> None:
        self.waiting = waiting
        self.done = done

    def set(self) -> None:
        self.waiting -= 1
        if self.waiting == 0 and not self.done.done():
            self.done.set_result(None)


async def publish_all(client: aiomqtt.Client, messages: Sequence[tuple[str, bytes]]) -> None:
    """Publish at QoS 1 in order and return once the broker has acknowledged every message.

    aiomqtt's ``publish`` costs an asyncio Task, an Event and a ``wait_for`` per message; here the batch
    goes to paho in one loop and waits on one future that aiomqtt's own PUBACK callback counts down
    (``_pending_publishes``: mid -> something with ``set()``). A lost connection or no acknowledgement
    within the client's timeout raises ``MqttError``: the caller marks nothing, so the batch is sent again.
    """
    paho = getattr(client, "_client", None)
    pending = getattr(client, "_pending_publishes", None)
    disconnected = getattr(client, "_disconnected", None)
    if paho is None or not isinstance(pending, dict) or not isinstance(disconnected, asyncio.Future):
        await _publish_each(client, messages)  # an aiomqtt without the internals relied on here
        return
    if not messages:
        return
    loop = asyncio.get_running_loop()
    acks = _Acks(len(messages), loop.create_future())
    mids = []
    try:
        for topic, payload in messages:
            info = paho.publish(topic, payload, 1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
            if info.is_published():  # acknowledged already (never for QoS 1 without a round trip)
                acks.set()
                continue
            # Nothing can acknowledge it before this line: paho reads the socket in the event loop, which
            # this loop does not yield to.
            pending[info.mid] = acks
            mids.append(info.mid)
        if acks.waiting:
            timeout = getattr(client, "timeout", None) or 30.0
            done, _ = await asyncio.wait(
                {acks.done, disconnected}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if acks.done not in done:
                if disconnected.done():
                    raise aiomqtt.MqttError("connection lost before every message was acknowledged")
                raise aiomqtt.MqttError("the broker did not acknowledge every message in time")
    finally:
        for mid in mids:
            if pending.get(mid) is acks:
                del pending[mid]


async def _publish_each(client: aiomqtt.Client, messages: Sequence[tuple[str, bytes]]) -> None:
    results = await asyncio.gather(
        *(client.publish(topic, payload, qos=1) for topic, payload in messages), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
