"""The FIX acceptor: quickfix sessions on one side, the clearing port on the other, asyncio in between.

    async with FixAcceptor(config, port) as fix:      # sessions up, FileStore/FileLog under data_dir
        ...
        sent = fix.deliver(outbox_item)                # status AE to a member; False while logged out

Members connect to the logon gate (``gate.py``: bind address, a Logout with a reason for an unknown
CompID), which hands each connection to quickfix on an internal loopback port. quickfix runs each
session's socket on its own thread (ThreadedSocketAcceptor: a member that floods or stalls its
connection never delays another's reads) and hands each application message to that member's inbox
(``bridge.Inbox``: one event-loop wake-up takes every message queued since the last; logons and logouts
go to one event queue); one worker per member handles its messages in order, so a slow member never
delays another. Replies and status reports are sent from the event loop with
``quickfix.Session.sendToTarget``.

Stopping. ``ThreadedSocketAcceptor.stop`` in quickfix 1.16 is only safe when it has no connection to
deal with: a connection it accepts while stopping gets a thread that stop neither closes nor joins, and
which goes on using the sessions after the acceptor is deleted (heap corruption, segfault); a
connection that ends while it stops has its descriptor closed a second time by stop, closing whatever
file or socket of the process has since reused the number. So ``__aexit__`` first sends logged-on
members a Logout (waiting up to ``LOGOUT_WAIT_S`` for their answers), stops the callbacks from posting
and the workers, closes the gate (no new connection reaches quickfix; every connection is ended and
quickfix's side seen closed), waits until quickfix's connection threads have exited, and only then
calls ``stop`` (on a worker thread: it blocks, and callbacks need the GIL). The acceptor is then
deleted while the application, settings and factories it points to are still referenced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import quickfix

from gateway.channels.fix.bridge import CallbackBridge, EventKind, Inbound, Inbox
from gateway.channels.fix.config import AcceptorConfig, settings_text
from gateway.channels.fix.engine import DescriptorGuard, QuickfixEngine
from gateway.channels.fix.gate import LogonGate
from gateway.channels.fix.handlers import FixHandlers, XmlReader
from gateway.clearing.ports import ClearingPort, DeliveryChannel, EventPort, OutboxItem, StatusUpdate
from gateway.clock import Clock, SystemClock
from gateway.formats.fix import event_write, replies
from gateway.formats.fix.dictionary import Dictionary, load
from gateway.formats.fix.wire import Out, frame
from gateway.logs import event as log_event
from gateway.loopback import free_port

log = logging.getLogger(__name__)

BEGIN_STRING = "FIXT.1.1"
STOP_WAIT_S = 5.0  # the longest a stop waits for members' connections and quickfix's threads to end
LOGOUT_WAIT_S = 2.0  # the longest a stop waits for logged-on members to answer the CCP's Logout


def _free_loopback_port() -> int:
    """quickfix's internal port (a seam: tests make the first choice a taken port)."""
    return free_port("127.0.0.1")


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
        events: EventPort | None = None,
    ) -> None:
        self.config = config
        self.port = port
        self.clock = clock or SystemClock()
        self.dictionary: Dictionary = load(config.app_dictionary, config.transport_dictionary)
        self.handlers = FixHandlers(port, config, self.dictionary, self.clock, xml_reader, events)
        self.on_logon = on_logon
        self._logged_on: set[str] = set()
        self._nobody_logged_on = asyncio.Event()
        self.engine = QuickfixEngine()  # quickfix's acceptor, behind the gate on an internal port
        self._bridge: CallbackBridge | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.gate: LogonGate | None = None
        self.internal_port = 0
        self.guard = DescriptorGuard()  # told quickfix's internal port once it is chosen
        self._session_ids = {m.comp_id: self._new_session_id(m.comp_id) for m in config.sessions}
        self._transport_dd = quickfix.DataDictionary(str(config.transport_dictionary))
        self._app_dd = quickfix.DataDictionary(str(config.app_dictionary))
        self.timings = Timings()  # where an application message spends its time, for monitoring

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def __aenter__(self) -> FixAcceptor:
        queue: asyncio.Queue[Inbound] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        inboxes = {m.comp_id: Inbox(loop) for m in self.config.sessions}
        for d in (self.config.store_dir, self.config.log_dir):
            d.mkdir(parents=True, exist_ok=True)

        def application(port: int) -> CallbackBridge:
            self.internal_port = port
            self.guard.internal_port = port
            self._bridge = CallbackBridge(loop, queue, self.config, inboxes, self.guard)
            self.handlers.source_active = self._bridge.enabled.get
            return self._bridge

        await self.engine.start(
            self.config.data_dir / "acceptor.cfg",
            lambda port: settings_text(self.config, internal_port=port),
            application,
            lambda: _free_loopback_port(),  # looked up at each call: tests make the first choice a taken port
        )
        try:
            # the TLS context is made here: a missing or unreadable certificate stops the start cleanly
            self.gate = LogonGate(
                self.config, upstream_port=self.internal_port, on_upstream=self.guard.note_peer
            )
            await self.gate.start()
        except BaseException:
            await self._shutdown()
            raise
        self._task = asyncio.create_task(self._run(queue, inboxes), name="fix-acceptor")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._shutdown()

    async def _shutdown(self) -> None:
        """Stop in the one order quickfix 1.16 survives (see the module docstring)."""
        await self._log_out_members(LOGOUT_WAIT_S)
        self._stopping = True
        if self._bridge is not None:
            self._bridge.stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.gate is not None:
            await self.gate.close(STOP_WAIT_S)
        if self.engine.running:
            await self.engine.stop(STOP_WAIT_S)
            self.guard.release_all()
        self._logged_on.clear()

    async def _log_out_members(self, wait_s: float) -> None:
        """Send every logged-on member a Logout (quickfix does at its next timer tick, within a second)
        and wait until they are logged out or ``wait_s`` has passed; the gate then ends what is left."""
        if not self.engine.running or self._stopping or not self._logged_on:
            return
        for comp_id in sorted(self._logged_on):
            session = quickfix.Session.lookupSession(self.session_id(comp_id))
            if session is not None:
                session.logout("the CCP is shutting down")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._nobody_logged_on.wait(), wait_s)

    async def _run(self, queue: asyncio.Queue[Inbound], inboxes: dict[str, Inbox]) -> None:
        async with asyncio.TaskGroup() as tg:
            for comp_id, inbox in inboxes.items():
                tg.create_task(self._worker(comp_id, inbox), name=f"fix-session-{comp_id}")
            while True:
                event = await queue.get()
                if event.kind is EventKind.APP:  # quickfix has sessions only for configured members
                    log.error(
                        "FIX message from %s, which has no worker, dropped",
                        event.comp_id,
                        extra=log_event("fix.message_dropped", channel="fix", identity=event.comp_id),
                    )
                elif event.kind is EventKind.LOGON:
                    self._logged_on.add(event.comp_id)
                    self._nobody_logged_on.clear()
                    log.info(
                        "FIX %s logged on",
                        event.comp_id,
                        extra=log_event("fix.logged_on", channel="fix", identity=event.comp_id),
                    )
                    if self.on_logon is not None:
                        self.on_logon(event.comp_id)
                else:
                    self._logged_on.discard(event.comp_id)
                    if not self._logged_on:
                        self._nobody_logged_on.set()
                    log.info(
                        "FIX %s logged out",
                        event.comp_id,
                        extra=log_event("fix.logged_out", channel="fix", identity=event.comp_id),
                    )

    async def _worker(self, comp_id: str, inbox: Inbox) -> None:
        """The member's messages in the order quickfix received them: each handled, then answered."""
        items = inbox.items
        handle, reply, observe = self.handlers.handle, self.reply, self.timings.observe
        clock = time.perf_counter
        while True:
            while items:
                raw, posted = items.popleft()
                started = clock()
                try:
                    outs = await handle(comp_id, raw)
                except Exception:  # handle() answers every failure itself; this is the last line of defence
                    log.exception(
                        "FIX handler failed for %s",
                        comp_id,
                        extra=log_event("fix.handler_failed", channel="fix", identity=comp_id),
                    )
                else:
                    handled = clock()
                    for out in outs:
                        reply(comp_id, out)
                    observe(started - posted, handled - started, clock() - handled)
                if items:
                    # Let the loop run between two messages of a batch: the gate must carry the replies out
                    # (quickfix's send blocks once its socket is full, and only this loop empties it).
                    await asyncio.sleep(0)
            await inbox.wait()

    @property
    def logged_on(self) -> frozenset[str]:
        """CompIDs whose sessions are logged on, as last reported by quickfix (for health and metrics)."""
        return frozenset(self._logged_on)

    # --- sending ------------------------------------------------------------------------------------------

    def set_member_status(self, active: dict[str, bool]) -> None:
        """Members' status as the reference data says it now (CompID -> active), for the next Logons:
        a member reinstated after start may log on, one suspended may not. Sessions are quickfix's and
        fixed at start: a CompID without one still needs a restart."""
        if self._bridge is not None:
            self._bridge.enabled.update({c: a for c, a in active.items() if c in self._session_ids})

    def _new_session_id(self, comp_id: str) -> quickfix.SessionID:
        return quickfix.SessionID(BEGIN_STRING, self.config.comp_id, comp_id)

    def session_id(self, comp_id: str) -> quickfix.SessionID:
        """The member's SessionID (made once per configured member: a value, not a session)."""
        sid = self._session_ids.get(comp_id)
        return sid if sid is not None else self._new_session_id(comp_id)

    def is_logged_on(self, comp_id: str) -> bool:
        if self._stopping or not self.engine.running:
            return False
        session = quickfix.Session.lookupSession(self.session_id(comp_id))
        return bool(session is not None and session.isLoggedOn())

    def _message(self, out: Out) -> quickfix.Message:
        text = frame(out, BEGIN_STRING)
        if all(isinstance(v, str) for _, v in out.body):  # flat: no dictionary needed to parse it
            return quickfix.Message(text, False)
        return quickfix.Message(text, self._transport_dd, self._app_dd, False)

    def reply(self, comp_id: str, out: Out) -> bool:
        """Send a reply on the member's session; if it has just logged out, quickfix stores the reply
        under its sequence number and resends it when the member asks (ResendRequest). Nothing is sent
        once the acceptor is stopping (quickfix's sessions are going away): False."""
        if self._stopping or not self.engine.running:
            return False
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
        member = self.config.session(comp_id)
        if member is None:
            log.error(
                "status for unknown FIX recipient %s kept in the outbox",
                comp_id,
                extra=log_event("fix.status_kept", identity=comp_id, submission_id=update.submission_id),
            )
            return False
        if update.event is not None:  # a lifecycle event on the cleared trade
            out = event_write.event_report(update, participant=member.participant)
        else:
            out = replies.status_report(update, recipient_comp_id=comp_id, participant=member.participant)
        return self.send(comp_id, out)

    def deliver(self, item: OutboxItem) -> bool:
        """For the outbox publisher: True once sent; False leaves the item in the outbox for later."""
        if item.channel is not DeliveryChannel.FIX:
            raise ValueError(f"outbox item {item.id} is for {item.channel}, not FIX")
        return self.send_status(item.update, item.recipient)
