"""The MQTT intake loop: subscribe to ``{root}/in/+/fpml``, store each message, then acknowledge it.

The session is persistent (fixed client id, clean session off) and PUBACK is held back until the
clearing port has stored the message (or its refusal has been published). A crash before that leaves
the message unacknowledged at the broker, which delivers it again on reconnect; the port's
(source, messageId) key makes the second delivery harmless.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import logging
import multiprocessing
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiomqtt

from gateway.backoff import Backoff
from gateway.channels.mqtt.client import ack
from gateway.channels.mqtt.intake.handler import Accepted, FpmlIntake, Outcome, Parse, Refused, attempt_parse
from gateway.channels.mqtt.intake.sequencer import KeyedSequencer
from gateway.channels.mqtt.rejection import message_rejected
from gateway.channels.mqtt.topics import (
    DEFAULT_ROOT,
    intake_filter,
    source_of_intake_topic,
    source_status_topic,
)
from gateway.clock import Clock
from gateway.domain.identifiers import check_root
from gateway.formats.fpml.read import warm_reader
from gateway.logs import event
from gateway.ops.health import Health
from gateway.ops.metrics import Metrics

log = logging.getLogger(__name__)
HEALTH_KEY = "mqtt_intake"

Read = Accepted | Refused | None  # None: not an intake topic
BROKER_KEY = "broker"


class MqttIntake:
    def __init__(
        self,
        *,
        intake: FpmlIntake,
        connect: Callable[[], aiomqtt.Client],
        ccp_id: str,
        clock: Clock,
        metrics: Metrics,
        health: Health,
        concurrency: int = 64,
        reconnect_initial_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        topic_root: str = DEFAULT_ROOT,
        read_thread: bool = True,
        read_processes: int = 0,
        worker_parse: Parse | None = None,
        worker_schema_dir: Path | None = None,
    ) -> None:
        self._topic_root = check_root(topic_root)
        self._intake = intake
        self._connect = connect
        self._ccp_id = ccp_id
        self._clock = clock
        self._metrics = metrics
        self._health = health
        self._concurrency = concurrency
        self._reconnect = Backoff(reconnect_initial_s, reconnect_max_s)
        self._reply_seq = 0
        self.subscribed = asyncio.Event()
        # Reads (parse and validation) run beside the event loop while it stores and publishes: in
        # ``read_processes`` worker processes when given a picklable ``worker_parse`` (the other cores),
        # else on one thread (lxml releases the GIL while it parses and validates), else
        # (``read_thread=False``) on the event loop itself.
        self._reader: concurrent.futures.Executor | None = None
        self._worker_parse = worker_parse
        self._worker_schema_dir = worker_schema_dir
        self._read_processes = read_processes
        if worker_parse is not None and read_processes > 0:
            self._reader = concurrent.futures.ProcessPoolExecutor(
                read_processes,
                mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
                initializer=warm_reader,
                initargs=(worker_schema_dir,),
            )
        elif read_thread:
            self._reader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fpml-read")

    async def run(self) -> None:
        """Consume until cancelled, reconnecting with backoff while the broker is away."""
        try:
            if isinstance(self._reader, concurrent.futures.ProcessPoolExecutor):
                # start the workers (schema compiled) before subscribing: the first message does not wait
                try:
                    await asyncio.get_running_loop().run_in_executor(
                        self._reader, warm_reader, self._worker_schema_dir
                    )
                except concurrent.futures.process.BrokenProcessPool:
                    log.exception("FpML reader processes cannot start; reading on a thread instead")
                    self._reader.shutdown(wait=False, cancel_futures=True)
                    self._reader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fpml-read")
            await self._run()
        finally:
            if self._reader is not None:
                self._reader.shutdown(wait=False, cancel_futures=True)

    async def _run(self) -> None:
        while True:
            try:
                async with self._connect() as client:
                    await client.subscribe(intake_filter(self._topic_root), qos=1)
                    self._health.up(HEALTH_KEY, f"subscribed to {intake_filter(self._topic_root)}")
                    self._health.up(BROKER_KEY, "connected")
                    self.subscribed.set()
                    self._reconnect.reset()
                    await self._consume(client)
            except aiomqtt.MqttError as exc:
                self.subscribed.clear()
                self._health.down(HEALTH_KEY, f"broker: {exc}")
                self._health.down(BROKER_KEY, f"unreachable: {exc}")
                log.warning(
                    "MQTT intake disconnected (%s); retrying in %.1fs",
                    exc,
                    self._reconnect.delay,
                    extra=event("mqtt.intake_disconnected", error=str(exc), retry_s=self._reconnect.delay),
                )
            await self._reconnect.wait()

    async def _consume(self, client: aiomqtt.Client) -> None:
        slots = asyncio.Semaphore(self._concurrency)
        sequencer = KeyedSequencer()
        lost: aiomqtt.MqttError | None = None
        # Reads (parse and validation) run on the reader thread, overlapping with the event loop; they are
        # handed on in arrival order, so the sequencer sees each message's keys in the order it arrived.
        reads: asyncio.Queue[tuple[aiomqtt.Message, asyncio.Future[Read]] | None] = asyncio.Queue()
        # In-flight messages finish even if the connection drops: their acks fail and the broker redelivers.
        async with asyncio.TaskGroup() as tg:

            async def dispatch() -> None:
                while (entry := await reads.get()) is not None:
                    message, read = entry
                    job = self._job(client, message, await read, sequencer)
                    task = tg.create_task(job(), name=f"intake mid={message.mid}")
                    task.add_done_callback(lambda _t: slots.release())

            dispatcher = tg.create_task(dispatch(), name="intake-dispatch")
            try:
                async for message in client.messages:
                    await slots.acquire()
                    reads.put_nowait((message, self._read(message)))
            except aiomqtt.MqttError as exc:
                lost = exc
            finally:
                reads.put_nowait(None)
            await dispatcher
        if lost is not None:
            raise lost

    def _read(self, message: aiomqtt.Message) -> asyncio.Future[Read]:
        """Start reading ``message`` (on the reader thread when there is one); None for a foreign topic."""
        loop = asyncio.get_running_loop()
        source = source_of_intake_topic(message.topic.value, self._topic_root)
        if source is None:
            done: asyncio.Future[Read] = loop.create_future()
            done.set_result(None)
            return done
        payload = bytes(message.payload) if isinstance(message.payload, bytes | bytearray) else b""
        refused = self._intake.unapproved(source, payload)
        if refused is not None:  # not a registered, active source: refused unread
            done = loop.create_future()
            done.set_result(refused)
            return done
        if self._reader is None:
            done = loop.create_future()
            try:
                done.set_result(self._intake.read(source, payload))
            except Exception as exc:  # read() answers bad input itself; this is a defect
                done.set_exception(exc)
            return done
        if isinstance(self._reader, concurrent.futures.ProcessPoolExecutor):
            assert self._worker_parse is not None
            return asyncio.ensure_future(self._read_in_worker(self._reader, source, payload))
        return loop.run_in_executor(self._reader, self._intake.read, source, payload)

    async def _read_in_worker(
        self, pool: concurrent.futures.ProcessPoolExecutor, source: str, payload: bytes
    ) -> Read:
        received = self._clock.now()  # on arrival, as a read on the event loop would say
        assert self._worker_parse is not None
        try:
            parsed = await asyncio.get_running_loop().run_in_executor(
                pool, attempt_parse, self._worker_parse, payload
            )
        except concurrent.futures.process.BrokenProcessPool:
            # a worker died (killed, out of memory): this message is read here, the pool replaced
            log.error("FpML reader process died; reading on the event loop until the pool is replaced")
            self._replace_pool(pool)
            parsed = attempt_parse(self._worker_parse, payload)
        return self._intake.finish_read(source, payload, received, parsed)

    def _replace_pool(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        if self._reader is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self._reader = concurrent.futures.ProcessPoolExecutor(
                self._read_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=warm_reader,
                initargs=(self._worker_schema_dir,),
            )

    def _job(
        self, client: aiomqtt.Client, message: aiomqtt.Message, read: Read, sequencer: KeyedSequencer
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        topic = message.topic.value
        source = source_of_intake_topic(topic, self._topic_root)
        if source is None or read is None:

            async def ignore() -> None:
                log.warning(
                    "message on unexpected topic %s acknowledged and ignored",
                    topic,
                    extra=event("mqtt.unexpected_topic", topic=topic),
                )
                ack(client, message)

            return ignore
        self._metrics.messages_in.labels("mqtt-fpml", "received").inc()

        async def work() -> None:
            try:
                await self._handle(client, message, read)
            except aiomqtt.MqttError as exc:
                log.warning(
                    "reply or ack for mid %s not sent (%s); the broker will redeliver",
                    message.mid,
                    exc,
                    extra=event("mqtt.reply_not_sent", source=source, mid=message.mid, error=str(exc)),
                )
            except Exception:
                # Never let one message stop the loop; unacked, it comes back after a reconnect.
                log.exception(
                    "unexpected failure handling mid %s from %s",
                    message.mid,
                    source,
                    extra=event("mqtt.message_failed", source=source, mid=message.mid),
                )

        if isinstance(read, Accepted):
            return sequencer.wrap(read.keys, work)
        return work

    async def _handle(
        self, client: aiomqtt.Client, message: aiomqtt.Message, read: Accepted | Refused
    ) -> None:
        refused: Refused | None
        if isinstance(read, Accepted):
            processed = await self._intake.process(read)
            refused = processed.refused
            self._metrics.messages_in.labels("mqtt-fpml", processed.outcome.value).inc()
        else:
            refused = read
            self._metrics.messages_in.labels("mqtt-fpml", Outcome.REJECTED.value).inc()
        if refused is not None:
            await self._reply(client, refused)
        if not ack(client, message):
            log.warning(
                "connection lost before PUBACK of mid %s; the broker will redeliver",
                message.mid,
                extra=event("mqtt.ack_lost", mid=message.mid),
            )

    async def _reply(self, client: aiomqtt.Client, refused: Refused) -> None:
        self._reply_seq += 1
        at = self._clock.now()
        document = message_rejected(
            message_id=f"{self._ccp_id}-REJ-{at:%Y%m%dT%H%M%S%f}-{self._reply_seq}",
            sent_by=self._ccp_id,
            send_to=refused.source,
            at=at,
            issues=refused.issues,
            in_reply_to=refused.in_reply_to,
            original=refused.raw,
        )
        await client.publish(source_status_topic(refused.source, self._topic_root), document, qos=1)
        self._metrics.statuses_out.labels("mqtt", "messageRejected").inc()
