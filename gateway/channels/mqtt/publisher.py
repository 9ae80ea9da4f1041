"""The MQTT outbox publisher: pending statuses -> FpML -> QoS 1 publish -> mark delivered.

Items are published in outbox order on one connection, so each recipient (topic) receives the
statuses of a trade in sequence. A batch is marked delivered only once the broker has acknowledged
every message of it; if the broker goes away the batch stays pending and is published again after
the reconnect (at least once: a recipient may see the last statuses twice, each carries its sequence).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import aiomqtt

from gateway.backoff import Backoff
from gateway.channels.mqtt.client import publish_all
from gateway.channels.mqtt.topics import DEFAULT_ROOT, topic_for
from gateway.clearing.ports import DeliveryChannel, Outbox, OutboxItem
from gateway.domain.identifiers import check_root
from gateway.logs import event
from gateway.ops.health import Health
from gateway.ops.metrics import Metrics
from gateway.waiting import wait_event

log = logging.getLogger(__name__)
HEALTH_KEY = "mqtt_publisher"

Render = Callable[[OutboxItem], bytes]
"""Renders one outbox item for its recipient (gateway.formats.fpml.write for FpML)."""

Prepare = Callable[[Sequence[OutboxItem]], Awaitable[None]]
"""Loads what rendering a batch needs (e.g. members' party ids) before the synchronous renders run."""


class OutboxPublisher:
    def __init__(
        self,
        *,
        outbox: Outbox,
        render: Render,
        connect: Callable[[], aiomqtt.Client],
        metrics: Metrics,
        health: Health,
        batch_size: int = 500,
        poll_interval_s: float = 0.02,
        idle_poll_max_s: float | None = None,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 10.0,
        topic_root: str = DEFAULT_ROOT,
        prepare: Prepare | None = None,
    ) -> None:
        self._topic_root = check_root(topic_root)
        self._prepare = prepare
        self._outbox = outbox
        self._render = render
        self._connect = connect
        self._metrics = metrics
        self._health = health
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        # While nothing arrives the poll backs off to this; ``wakeup`` (set by the clearing core when it
        # commits outbox items) ends any wait at once, so the poll only matters for other processes' writes.
        self._idle_poll_max_s = max(poll_interval_s, idle_poll_max_s or poll_interval_s)
        self._idle_s = poll_interval_s
        self._retry = Backoff(retry_initial_s, retry_max_s)
        self._unrenderable: set[int] = set()
        self.wakeup = asyncio.Event()  # set it to publish without waiting for the next poll

    async def run(self) -> None:
        """Publish until cancelled; while the broker or the store is away, retry with backoff."""
        while True:
            try:
                async with self._connect() as client:
                    self._health.up(HEALTH_KEY, "connected")
                    self._retry.reset()
                    while True:
                        # Less than a batch was all that was pending (or nothing could be sent): wait for
                        # the next wake-up or poll.
                        read, delivered = await self._publish_batch(client)
                        if read < self._batch_size or not delivered:
                            await self._idle()
            except aiomqtt.MqttError as exc:
                self._health.down(HEALTH_KEY, f"broker: {exc}")
                self._metrics.publish_failures.labels("mqtt").inc()
                log.warning(
                    "MQTT publisher lost the broker (%s); retrying in %.1fs",
                    exc,
                    self._retry.delay,
                    extra=event("mqtt.publisher_disconnected", error=str(exc), retry_s=self._retry.delay),
                )
            except Exception as exc:
                # The store failing is the other transient case; nothing is marked delivered, so nothing is lost.
                self._health.down(HEALTH_KEY, f"outbox: {type(exc).__name__}: {exc}")
                log.exception(
                    "MQTT publisher failed; retrying in %.1fs",
                    self._retry.delay,
                    extra=event("mqtt.publisher_failed", retry_s=self._retry.delay),
                )
            await self._retry.wait()

    async def _idle(self) -> None:
        if not self.wakeup.is_set():
            await wait_event(self.wakeup, self._idle_s)
        if self.wakeup.is_set():
            self._idle_s = self._poll_interval_s
        else:  # nothing said there was work: poll less often, up to the configured bound
            self._idle_s = min(self._idle_s * 2, self._idle_poll_max_s)
        self.wakeup.clear()

    async def publish_pending(self, client: aiomqtt.Client) -> int:
        """Publish one batch of pending items; returns how many were delivered."""
        items = await self._outbox.pending(DeliveryChannel.MQTT, self._batch_size)
        return await self._deliver(client, items)

    async def _publish_batch(self, client: aiomqtt.Client) -> tuple[int, int]:
        """Publish one batch of pending items: (how many were pending and read, how many were delivered)."""
        self.wakeup.clear()  # what is committed from here on sets it again
        items = await self._outbox.pending(DeliveryChannel.MQTT, self._batch_size)
        if items:
            self._idle_s = self._poll_interval_s
        return len(items), await self._deliver(client, items)

    async def _deliver(self, client: aiomqtt.Client, items: Sequence[OutboxItem]) -> int:
        self._metrics.outbox_backlog.labels("mqtt").set(len(items))
        if not items:
            return 0
        if self._prepare is not None:
            await self._prepare(items)
        delivered = await self._publish(client, items)
        await self._outbox.mark_delivered([i.id for i in delivered])
        for item in delivered:
            self._metrics.statuses_out.labels("mqtt", item.update.status.value).inc()
            self._metrics.observe_status(item.update.submission_id, item.update.status, item.update.at)
        return len(delivered)

    async def _publish(self, client: aiomqtt.Client, items: Sequence[OutboxItem]) -> list[OutboxItem]:
        ready: list[tuple[OutboxItem, str, bytes]] = []
        for item in items:
            if item.id in self._unrenderable:
                continue
            try:
                ready.append((item, topic_for(item, self._topic_root), self._render(item)))
            except Exception:
                # A status we cannot render is a defect: keep it pending (not lost), say so once.
                self._unrenderable.add(item.id)
                log.exception(
                    "outbox item %s (%s to %s) cannot be rendered",
                    item.id,
                    item.update.status,
                    item.recipient,
                    extra=event(
                        "mqtt.status_unrenderable",
                        outbox_item=item.id,
                        submission_id=item.update.submission_id,
                        status=item.update.status.value,
                        recipient=str(item.recipient),
                    ),
                )
        # paho writes in call order on one socket, so concurrent QoS 1 publishes keep per-topic order.
        await publish_all(client, [(topic, payload) for _, topic, payload in ready])
        return [item for item, _, _ in ready]
