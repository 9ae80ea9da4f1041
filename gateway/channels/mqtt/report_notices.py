"""The members' report notifications: ``report_notices`` -> QoS 1 on ``{root}/member/{member}/reports``.

A notification is marked delivered only once the broker has acknowledged it; while the broker or the
database is away it stays owed and is sent after the reconnect (at least once: a member may see the same
notification twice, identical)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiomqtt
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.backoff import Backoff
from gateway.channels.mqtt.client import publish_all
from gateway.channels.mqtt.topics import DEFAULT_ROOT, member_reports_topic
from gateway.clock import Clock
from gateway.domain.identifiers import check_root
from gateway.logs import event
from gateway.reports import records
from gateway.waiting import wait_event

log = logging.getLogger(__name__)


class ReportNoticePublisher:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        connect: Callable[[], aiomqtt.Client],
        clock: Clock,
        topic_root: str = DEFAULT_ROOT,
        poll_interval_s: float = 5.0,
        batch_size: int = 200,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 10.0,
    ) -> None:
        self._engine = engine
        self._connect = connect
        self._clock = clock
        self._root = check_root(topic_root)
        self._poll_s = poll_interval_s
        self._batch = batch_size
        self._retry = Backoff(retry_initial_s, retry_max_s)
        self.wakeup = asyncio.Event()  # set by the report writer when it owes a notification

    async def run(self) -> None:
        """Publish until cancelled; retry with backoff while the broker or the database is away."""
        while True:
            try:
                async with self._connect() as client:
                    self._retry.reset()
                    while True:
                        sent = await self.publish_pending(client)
                        if sent < self._batch:
                            await wait_event(self.wakeup, self._poll_s)
                            self.wakeup.clear()
            except aiomqtt.MqttError as exc:
                log.warning(
                    "report notices: broker lost (%s)",
                    exc,
                    extra=event("mqtt.report_notices_disconnected", error=str(exc)),
                )
            except Exception:
                log.exception("report notices: publishing failed", extra=event("mqtt.report_notices_failed"))
            await self._retry.wait()

    async def publish_pending(self, client: aiomqtt.Client) -> int:
        """Publish one batch of owed notifications; returns how many were delivered."""
        async with self._engine.connect() as conn:
            owed = await records.pending_notices(conn, self._batch)
        if not owed:
            return 0
        await publish_all(client, [(member_reports_topic(n.member_id, self._root), n.payload) for n in owed])
        async with self._engine.begin() as conn:
            await records.mark_delivered(conn, owed, self._clock.now())
        return len(owed)
