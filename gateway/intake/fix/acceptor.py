"""The FIX acceptor: quickfix sessions on one side, the clearing port on the other, asyncio in between.

    async with FixAcceptor(config, port) as fix:      # sessions up, FileStore/FileLog under data_dir
        ...
        sent = fix.deliver(outbox_item)                # status AE to a member; False while logged out

quickfix runs each session's socket on its own thread (ThreadedSocketAcceptor: a member that floods
or stalls its connection never delays another's reads) and hands each application message to that
member's asyncio queue (logons and logouts to one event queue); one worker per member handles its
messages in order, so a slow member never delays another. Replies
and status reports are sent from the event loop with ``quickfix.Session.sendToTarget``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import quickfix

from gateway.clearing.ports import ClearingPort, DeliveryChannel, OutboxItem, StatusUpdate
from gateway.clock import Clock, SystemClock
from gateway.intake.fix import replies
from gateway.intake.fix.bridge import CallbackBridge, EventKind, Inbound
from gateway.intake.fix.config import AcceptorConfig, settings_text
from gateway.intake.fix.dictionary import Dictionary, load
from gateway.intake.fix.handlers import FixHandlers, XmlReader
from gateway.intake.fix.wire import Out, frame

log = logging.getLogger(__name__)

BEGIN_STRING = "FIXT.1.1"


class Timings:
    """Per application message: queue wait (quickfix thread -> event loop), handling, sending (seconds).

    Keeps the last ``keep`` observations of each, enough for medians and tail figures.
    """

    def __init__(self, keep: int = 10_000) -> None:
        self.handoff: deque[float] = deque(maxlen=keep)
        self.handle: deque[float] = deque(maxlen=keep)
        self.send: deque[float] = deque(maxlen=keep)
        self.count = 0

    def observe(self, handoff: float, handle: float, send: float) -> None:
        self.handoff.append(handoff)
        self.handle.append(handle)
        self.send.append(send)
        self.count += 1

    def medians_us(self) -> dict[str, float]:
        return {
            name: round(statistics.median(values) * 1e6, 1) if values else 0.0
            for name, values in (("handoff", self.handoff), ("handle", self.handle), ("send", self.send))
        }


class FixAcceptor:
    """One quickfix ThreadedSocketAcceptor, one session per configured member."""

    def __init__(
        self,
        config: AcceptorConfig,
        port: ClearingPort,
        *,
        clock: Clock | None = None,
        xml_reader: XmlReader | None = None,
        on_logon: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.port = port
        self.clock = clock or SystemClock()
        self.dictionary: Dictionary = load(config.app_dictionary, config.transport_dictionary)
        self.handlers = FixHandlers(port, config, self.dictionary, self.clock, xml_reader)
        self.on_logon = on_logon
        self._logged_on: set[str] = set()
        self._acceptor: quickfix.ThreadedSocketAcceptor | None = None
        self._task: asyncio.Task[None] | None = None
        self._transport_dd = quickfix.DataDictionary(str(config.transport_dictionary))
        self._app_dd = quickfix.DataDictionary(str(config.app_dictionary))
        self.timings = Timings()  # where an application message spends its time, for monitoring

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def __aenter__(self) -> FixAcceptor:
        queue: asyncio.Queue[Inbound] = asyncio.Queue()
        member_queues: dict[str, asyncio.Queue[tuple[str, float]]] = {
            m.comp_id: asyncio.Queue() for m in self.config.members
        }
        loop = asyncio.get_running_loop()
        for d in (self.config.store_dir, self.config.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        settings_path = self.config.data_dir / "acceptor.cfg"
        settings_path.write_text(settings_text(self.config), encoding="utf-8")
        # quickfix holds these by reference: they must live as long as the acceptor does
        self._settings = quickfix.SessionSettings(str(settings_path))
        self._bridge = CallbackBridge(loop, queue, self.config, member_queues)
        self._store_factory = quickfix.FileStoreFactory(self._settings)
        self._log_factory = quickfix.FileLogFactory(self._settings)
        self._acceptor = quickfix.ThreadedSocketAcceptor(
            self._bridge, self._store_factory, self._settings, self._log_factory
        )
        await asyncio.to_thread(self._acceptor.start)
        self._task = asyncio.create_task(self._run(queue, member_queues), name="fix-acceptor")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._acceptor is not None:
            await asyncio.to_thread(self._acceptor.stop, True)
            # The SWIG director objects form a cycle; collect it now so this acceptor's sessions are
            # unregistered before another acceptor (a restart in the same process) registers its own.
            self._acceptor = None
            gc.collect()

    async def _run(
        self, queue: asyncio.Queue[Inbound], member_queues: dict[str, asyncio.Queue[tuple[str, float]]]
    ) -> None:
        async with asyncio.TaskGroup() as tg:
            for comp_id, q in member_queues.items():
                tg.create_task(self._worker(comp_id, q), name=f"fix-session-{comp_id}")
            while True:
                event = await queue.get()
                if event.kind is EventKind.LOGON:
                    self._logged_on.add(event.comp_id)
                    log.info("FIX %s logged on", event.comp_id)
                    if self.on_logon is not None:
                        self.on_logon(event.comp_id)
                else:
                    self._logged_on.discard(event.comp_id)
                    log.info("FIX %s logged out", event.comp_id)

    async def _worker(self, comp_id: str, q: asyncio.Queue[tuple[str, float]]) -> None:
        while True:
            raw, posted = await q.get()
            started = time.perf_counter()
            try:
                outs = await self.handlers.handle(comp_id, raw)
            except Exception:  # handle() answers every failure itself; this is the last line of defence
                log.exception("FIX handler failed for %s", comp_id)
                continue
            handled = time.perf_counter()
            for out in outs:
                self.reply(comp_id, out)
            self.timings.observe(started - posted, handled - started, time.perf_counter() - handled)

    @property
    def logged_on(self) -> frozenset[str]:
        """CompIDs whose sessions are logged on, as last reported by quickfix (for health and metrics)."""
        return frozenset(self._logged_on)

    # --- sending ------------------------------------------------------------------------------------------

    def session_id(self, comp_id: str) -> quickfix.SessionID:
        return quickfix.SessionID(BEGIN_STRING, self.config.comp_id, comp_id)

    def is_logged_on(self, comp_id: str) -> bool:
        session = quickfix.Session.lookupSession(self.session_id(comp_id))
        return bool(session is not None and session.isLoggedOn())

    def _message(self, out: Out) -> quickfix.Message:
        text = frame(out, BEGIN_STRING)
        if all(isinstance(v, str) for _, v in out.body):  # flat: no dictionary needed to parse it
            return quickfix.Message(text, False)
        return quickfix.Message(text, self._transport_dd, self._app_dd, False)

    def reply(self, comp_id: str, out: Out) -> bool:
        """Send a reply on the member's session; if it has just logged out, quickfix stores the reply
        under its sequence number and resends it when the member asks (ResendRequest)."""
        try:
            return bool(quickfix.Session.sendToTarget(self._message(out), self.session_id(comp_id)))
        except quickfix.SessionNotFound:
            return False

    def send(self, comp_id: str, out: Out) -> bool:
        """Send ``out`` on the member's session now; False (and nothing queued) if it is not logged on."""
        if not self.is_logged_on(comp_id):
            return False
        return self.reply(comp_id, out)

    def send_status(self, update: StatusUpdate, comp_id: str) -> bool:
        """Render ``update`` as the status TradeCaptureReport for ``comp_id`` and send it."""
        member = self.config.member(comp_id)
        if member is None:
            log.error("status for unknown FIX recipient %s kept in the outbox", comp_id)
            return False
        out = replies.status_report(update, recipient_comp_id=comp_id, participant=member.participant)
        return self.send(comp_id, out)

    def deliver(self, item: OutboxItem) -> bool:
        """For the outbox publisher: True once sent; False leaves the item in the outbox for later."""
        if item.channel is not DeliveryChannel.FIX:
            raise ValueError(f"outbox item {item.id} is for {item.channel}, not FIX")
        return self.send_status(item.update, item.recipient)
