"""The quickfix Application: callbacks that only hand events to asyncio and never let an exception out.

quickfix calls these on its own thread while holding the session lock; an exception escaping a
callback would unwind into C++ and end the process, and a slow callback would stall every session.
So each callback does one thing (post to the event loop, or answer a Logon check) inside try/except.
An application message is appended to its member's ``Inbox``; the event loop is woken only when no
wake-up is already on its way, so one wake-up hands over every message queued since the last.
Once ``stopping`` is set (the acceptor is shutting down) callbacks post nothing and every Logon is
refused: nothing is handed to an event loop that may be closing, and no session comes up during stop.
The one exception raised on purpose is ``quickfix.RejectLogon``, quickfix's way to refuse a Logon with
a reason (it answers with a Logout carrying the text and disconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import quickfix

from gateway import security_log
from gateway.channels.fix.config import AcceptorConfig
from gateway.channels.fix.engine import DescriptorGuard
from gateway.domain.reasons import ReasonCode

log = logging.getLogger(__name__)

_LOGON = "A"


class EventKind(StrEnum):
    APP = "app"
    LOGON = "logon"
    LOGOUT = "logout"


@dataclass(frozen=True, slots=True)
class Inbound:
    kind: EventKind
    comp_id: str  # the member's CompID (our TargetCompID)
    raw: str = ""


class Inbox:
    """One member's application messages on their way from quickfix's thread to the member's worker.

    ``put`` runs on quickfix's thread: it appends ``(raw, time posted)`` and, unless a wake-up is already
    scheduled, schedules one on the event loop. ``_wake`` (on the loop) clears that mark before it sets
    ``ready``, so a message appended after a wake-up has run schedules another, and one appended before
    is seen by the worker that wake-up releases: no message waits for a wake-up that never comes.
    """

    __slots__ = ("_wake_scheduled", "items", "loop", "ready")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[tuple[str, float]] = deque()
        self.ready = asyncio.Event()  # set and cleared on the event loop only
        self._wake_scheduled = False

    def put(self, raw: str) -> None:
        self.items.append((raw, time.perf_counter()))
        if not self._wake_scheduled:
            self._wake_scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._wake)
            except BaseException:
                self._wake_scheduled = False
                raise

    def _wake(self) -> None:
        self._wake_scheduled = False
        self.ready.set()

    async def wait(self) -> None:
        """Until something may have been put since the last call (on the event loop)."""
        await self.ready.wait()
        self.ready.clear()


def _field(message: quickfix.Message, tag: int, header: bool = False) -> str | None:
    where = message.getHeader() if header else message
    return where.getField(tag) if where.isSetField(tag) else None


def _is_logon(message: quickfix.Message) -> bool:
    return _field(message, 35, header=True) == _LOGON


def logon_refusal(
    config: AcceptorConfig, comp_id: str, heartbeat: str | None, enabled: bool | None = None
) -> str | None:
    """Why a Logon from ``comp_id`` is refused, or None to accept it. ``enabled`` is the member's status
    as the reference data says it now (None: as the configuration said at start)."""
    member = config.session(comp_id)
    if member is None:
        return f"SenderCompID {comp_id} is not a clearing member of this CCP"
    if not (member.enabled if enabled is None else enabled):
        return f"SenderCompID {comp_id} ({member.participant}) is suspended"
    try:
        seconds = int(heartbeat or "")
    except ValueError:
        return f"HeartBtInt {heartbeat!r} is not a number"
    if not config.heartbeat_min_s <= seconds <= config.heartbeat_max_s:
        return f"HeartBtInt {seconds} outside {config.heartbeat_min_s}..{config.heartbeat_max_s} seconds"
    return None


def logon_refusal_code(config: AcceptorConfig, comp_id: str, enabled: bool | None = None) -> ReasonCode:
    """The reason code of a refused Logon from ``comp_id`` (for the security log line)."""
    member = config.session(comp_id)
    if member is None:
        return ReasonCode.FIX_UNKNOWN_COMP_ID
    if not (member.enabled if enabled is None else enabled):
        return ReasonCode.AUTH_SOURCE_SUSPENDED if member.trade_source else ReasonCode.ELIG_MEMBER_SUSPENDED
    return ReasonCode.FIX_INVALID_VALUE


class CallbackBridge(quickfix.Application):  # type: ignore[misc]
    """Posts application messages to their member's inbox, logons and logouts to ``queue``, on ``loop``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[Inbound],
        config: AcceptorConfig,
        inboxes: dict[str, Inbox],
        guard: DescriptorGuard | None = None,
    ) -> None:
        super().__init__()
        self.loop = loop
        self.queue = queue
        self.config = config
        self.inboxes = inboxes
        self.guard = guard  # holds a closed session's descriptor number through quickfix's last read
        # CompID -> active, as last read from the reference data (written on the event loop, read here)
        self.enabled: dict[str, bool] = {}
        self.stopping = False  # set by the acceptor before it stops quickfix; read on quickfix threads

    def _post(self, item: Inbound) -> None:
        """Application messages go to their member's inbox, session events (and an application message
        of a CompID without an inbox, which quickfix never gives) to the event queue."""
        if self.stopping:
            return
        inbox = self.inboxes.get(item.comp_id) if item.kind is EventKind.APP else None
        try:
            if inbox is not None:
                inbox.put(item.raw)
            else:
                self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is closed: the acceptor is gone, nobody is listening
            if not self.stopping:
                raise

    def onCreate(self, sessionID: quickfix.SessionID) -> None:
        try:
            log.info("FIX session %s ready", sessionID.toString())
        except BaseException:
            log.exception("onCreate failed")

    def onLogon(self, sessionID: quickfix.SessionID) -> None:
        if self.stopping:
            return
        try:
            comp_id = sessionID.getTargetCompID().getValue()
            if self.guard is not None:
                self.guard.learn(comp_id)
            self._post(Inbound(EventKind.LOGON, comp_id))
        except BaseException:
            log.exception("onLogon failed")

    def onLogout(self, sessionID: quickfix.SessionID) -> None:
        # quickfix has just closed the session's socket and reads its number once more after this returns:
        # hold the number first (also while stopping), before anything else of the process can take it
        try:
            comp_id = sessionID.getTargetCompID().getValue()
            if self.guard is not None:
                self.guard.hold(comp_id)
        except BaseException:
            log.exception("onLogout could not hold the closed descriptor")
            return
        if self.stopping:
            return
        try:
            self._post(Inbound(EventKind.LOGOUT, comp_id))
        except BaseException:
            log.exception("onLogout failed")

    def toAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:
        return None

    def fromAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:
        refusal: str | None = None
        comp_id = "-"
        code = ReasonCode.INTERNAL_ERROR
        try:
            comp_id = sessionID.getTargetCompID().getValue()
            if self.stopping:
                refusal = "the CCP is shutting down; log on again later" if _is_logon(message) else None
            elif _field(message, 35, header=True) == _LOGON:
                enabled = self.enabled.get(comp_id)
                refusal = logon_refusal(self.config, comp_id, _field(message, 108), enabled)
                if refusal is not None:
                    code = logon_refusal_code(self.config, comp_id, enabled)
        except BaseException:
            log.exception("fromAdmin failed")
            refusal = "the CCP could not check this Logon; try again"
        if refusal is not None:
            with contextlib.suppress(Exception):  # a quickfix callback: nothing may escape but RejectLogon
                security_log.refused("fix", comp_id, code, f"Logon: {refusal}")
            raise quickfix.RejectLogon(refusal)

    def toApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:
        return None

    def fromApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:
        if self.stopping:
            return
        try:
            self._post(Inbound(EventKind.APP, sessionID.getTargetCompID().getValue(), message.toString()))
        except BaseException:
            log.exception("fromApp failed; the message was not handed on")
            try:  # tell the member, so it re-sends instead of waiting for an answer that never comes
                self._post(Inbound(EventKind.APP, sessionID.getTargetCompID().getValue(), ""))
            except BaseException:
                log.exception("fromApp could not report the failure")
