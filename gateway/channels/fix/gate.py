"""The logon gate: the FIX port members connect to, a thin asyncio layer in front of quickfix.

    gate = LogonGate(config, upstream_port=quickfix_port)
    await gate.start()            # listens on config.bind_host:config.port (TLS when config.tls is set)
    ...
    await gate.close()            # no new connections; every connection ended, quickfix's side included

The gate owns the members' port; quickfix sits behind it on a loopback-only internal port. The gate:

- **binds**: quickfix 1.16 from PyPI does not read ``SocketAcceptHost`` and listens on every interface;
  the gate listens on ``bind_host`` and checks the peer against ``allowed_remote_addresses``.
- **terminates mutual TLS** (``config.tls``; the PyPI quickfix has no SSL): TLS 1.2 minimum, a client
  certificate from the member CA required, and a Logon admitted only if a name of that certificate
  (subject CN, SAN DNS/URI/email) is its SenderCompID or is mapped to it (``tls.TlsConfig.names``).
- **admits Logons only**: a connection is *pending* until its first message, a Logon in FIXT.1.1 naming
  both CompIDs, is handed to quickfix. Anything else (junk, another message type, 8 KiB without a
  complete message) is closed here, so no quickfix thread is ever spent on it. A pending connection is
  closed after ``logon_timeout_s``; with ``max_pending_connections`` pending, the next is closed at once.
- **answers a refused Logon** with a Logout (35=5) whose Text says why, then closes: CompIDs naming no
  session (quickfix would drop the connection without a word), a certificate that does not name the
  SenderCompID, and a CompID that already has a connection handed to quickfix (quickfix would close the
  second after about 5 s with no reason). Suspended members and heartbeat bounds have a session and stay
  with quickfix (``bridge.logon_refusal``), which keeps their sequence numbers right.
- **logs every refusal** with ``security_log.refused`` (channel ``fix``, the claimed CompID, a reason
  code, the peer address and certificate subject in the detail).
- **stops in order**: ``ThreadedSocketAcceptor.stop`` races with connections it accepts or closes while
  it stops (see ``FixAcceptor.__aexit__``); the gate stops accepting first and ends every connection,
  waiting until quickfix has closed its side, so that quickfix stops with no connection left.

Once a Logon is handed on, the gate connects to quickfix, writes what it read, and from then on only copies
bytes both ways (``asyncio.Protocol``, no parsing). When quickfix cannot take more, the gate stops reading
from the member. The other way it never stops reading from quickfix: quickfix's send blocks once its
socket is full, and sends are made on the event loop, so a paused read there would freeze every
session. A member that does not read what it is sent is disconnected instead once the gate holds
``max_unread_bytes`` for it (a slow consumer); its messages stay in quickfix's store and are resent
when it logs on again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway import security_log
from gateway.channels.fix.bridge import logon_refusal
from gateway.channels.fix.config import AcceptorConfig
from gateway.channels.fix.tls import certificate_names, server_context, subject_text
from gateway.domain.reasons import ReasonCode
from gateway.logs import event

log = logging.getLogger(__name__)

BEGIN_STRING = "FIXT.1.1"
FIRST_MESSAGE_LIMIT = 8192  # bytes read looking for the first message (a Logon) before closing
_SOH = b"\x01"
_CHECKSUM = re.compile(rb"\x0110=\d{3}\x01")
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def first_message(buffer: bytes) -> bytes | None:
    """The first complete message in ``buffer`` (up to and including its CheckSum), or None yet."""
    end = _CHECKSUM.search(buffer)
    return buffer[: end.end()] if end else None


def header_fields(message: bytes) -> dict[int, str]:
    """Tag -> value of ``message``, the first occurrence of each tag (only header tags are looked at)."""
    fields: dict[int, str] = {}
    for chunk in message.split(_SOH):
        tag, sep, value = chunk.partition(b"=")
        if sep and tag.isdigit():
            fields.setdefault(int(tag), _PRINTABLE.sub("?", value.decode("latin-1"))[:64])
    return fields


@dataclass(frozen=True, slots=True)
class GateRefusal:
    """Why the gate refuses a connection by its first message; ``logout``: answer with a Logout first."""

    reason: ReasonCode
    text: str
    logout: bool = True


def gate_refusal(
    config: AcceptorConfig,
    fields: dict[int, str],
    *,
    cert_names: tuple[str, ...] = (),
    active: Container[str] = frozenset(),
) -> GateRefusal | None:
    """Why the gate refuses this first message, or None to hand the connection to quickfix.

    Only a Logon in our BeginString naming both CompIDs goes to quickfix; anything else is refused here,
    so no quickfix thread is ever spent on a connection that has not asked to log on. A Logon is refused
    when its CompIDs name no session, when (with TLS) the member's certificate does not name its
    SenderCompID (``cert_names``), or when the CompID already has a connection handed to quickfix
    (``active``). Suspended members and heartbeat bounds stay with quickfix (``bridge.logon_refusal``).
    """
    sender, target = fields.get(49), fields.get(56)
    if fields.get(8) != BEGIN_STRING or fields.get(35) != "A" or not sender or not target:
        return GateRefusal(ReasonCode.FIX_LOGON_REQUIRED, "the first message must be a Logon", logout=False)
    if target != config.comp_id:
        return GateRefusal(ReasonCode.FIX_UNKNOWN_COMP_ID, f"TargetCompID {target} is not this CCP")
    if config.tls is not None and not config.tls.allows(cert_names, sender):
        named = ", ".join(cert_names) or "no name"
        return GateRefusal(
            ReasonCode.AUTH_CERT_COMPID_MISMATCH,
            f"the client certificate ({named}) does not name SenderCompID {sender}",
        )
    if config.session(sender) is None:
        text = logon_refusal(config, sender, None) or f"SenderCompID {sender} has no session"
        return GateRefusal(ReasonCode.FIX_UNKNOWN_COMP_ID, text)
    if sender in active:
        return GateRefusal(ReasonCode.FIX_ALREADY_LOGGED_ON, f"SenderCompID {sender} is already logged on")
    return None


def logout_message(config: AcceptorConfig, to_comp_id: str, text: str, at: datetime) -> bytes:
    """A Logout from the CCP to a peer that has no session (so MsgSeqNum 1: there is no sequence)."""
    stamp = at.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
    body = (
        f"35=5\x0134=1\x0149={config.comp_id}\x0152={stamp}\x0156={to_comp_id}\x01"
        f"58=Rejected Logon Attempt: {text}\x01"
    ).encode("ascii", "replace")
    head = f"8={BEGIN_STRING}\x019={len(body)}\x01".encode()
    checksum = sum(head + body) % 256
    return head + body + f"10={checksum:03d}\x01".encode()


class _Upstream(asyncio.Protocol):
    """The gate's connection to quickfix for one member connection."""

    def __init__(self, member: _Member) -> None:
        self.member = member
        self.transport: asyncio.Transport | None = None
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.member.write(data)

    def eof_received(self) -> bool:
        return False  # quickfix closed its socket: close ours, then the member's

    def connection_lost(self, exc: Exception | None) -> None:
        self.member._forget_session()  # quickfix ended the session: the CompID may log on again
        self.member.close()
        if not self.ended.done():
            self.ended.set_result(None)

    def pause_writing(self) -> None:
        self.member.pause_reading()

    def resume_writing(self) -> None:
        self.member.resume_reading()

    def end(self) -> None:
        """Half-close: quickfix reads end-of-stream, disconnects and closes its socket, which ends ours."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
        else:
            self.transport.close()


class _Member(asyncio.Protocol):
    """A connection from a member: TLS (if configured), first message checked, then bytes copied to and
    from quickfix. Until its Logon is handed on it is *pending*: counted against the cap, and closed when
    the logon timeout runs out."""

    def __init__(self, gate: LogonGate) -> None:
        self.gate = gate
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.peercert: dict[str, Any] | None = None
        self.comp_id: str | None = None  # once its Logon has been handed to quickfix
        self.buffer = bytearray()
        self.upstream: _Upstream | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.handshake: asyncio.Task[None] | None = None
        self.deadline: asyncio.TimerHandle | None = None

    # member side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else "?"
        gate = self.gate
        allowed = gate.config.allowed_remote_addresses
        if gate.stopping:
            transport.abort()
            return
        if allowed and self.peer not in allowed:
            security_log.refused(
                "fix", None, ReasonCode.FIX_ADDRESS_NOT_ALLOWED, f"connection from {self.peer}"
            )
            transport.abort()
            return
        if len(gate.pending) >= gate.config.max_pending_connections:
            gate.refused += 1
            security_log.refused(
                "fix",
                None,
                ReasonCode.FIX_TOO_MANY_PENDING,
                f"connection from {self.peer} closed: {len(gate.pending)} connections are already waiting "
                f"to log on (max_pending_connections {gate.config.max_pending_connections})",
            )
            transport.abort()
            return
        gate.members.add(self)
        gate.pending.add(self)
        loop = asyncio.get_running_loop()
        self.deadline = loop.call_later(gate.config.logon_timeout_s, self._timed_out)
        if gate.ssl_context is not None:
            # reading waits for start_tls: the first bytes are the ClientHello, for the TLS layer
            transport.pause_reading()
            self.handshake = loop.create_task(self._start_tls(gate.ssl_context), name=f"fix-tls-{self.peer}")

    def data_received(self, data: bytes) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.write(data)
            return
        self.buffer += data
        self._examine()

    def _examine(self) -> None:
        """Decide on the first message once it is complete (and the TLS handshake is done)."""
        if self.connecting is not None or self not in self.gate.pending:
            return  # quickfix's side is being opened (reading is paused), or the connection was refused
        if self.handshake is not None and not self.handshake.done():
            return  # data that arrived with the end of the handshake: decided once the peer is known
        message = first_message(bytes(self.buffer))
        if message is None and len(self.buffer) < FIRST_MESSAGE_LIMIT:
            return
        fields = header_fields(message) if message is not None else {}
        refusal = gate_refusal(
            self.gate.config,
            fields,
            cert_names=certificate_names(self.peercert),
            active=self.gate.sessions,
        )
        if refusal is not None:
            self._refuse(fields.get(49), refusal)
            return
        comp_id = fields[49]
        self._logged_on(comp_id)
        assert self.transport is not None
        self.transport.pause_reading()
        self.connecting = asyncio.get_running_loop().create_task(
            self._open(comp_id), name=f"fix-gate-{self.peer}"
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._not_pending()
        self.gate.members.discard(self)
        self._forget_session()
        for task in (self.handshake, self.connecting):
            if task is not None and not task.done():
                task.cancel()
        if self.upstream is not None:
            self.upstream.end()

    # No pause_writing/resume_writing: reading from quickfix never stops (see the module docstring);
    # write() bounds what is held for a member that does not read.

    # used by the upstream side

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        held = transport.get_write_buffer_size()
        if held > self.gate.config.max_unread_bytes:
            log.warning(
                "FIX connection from %s disconnected: %d bytes sent to it are unread (limit %d)",
                self.peer,
                held,
                self.gate.config.max_unread_bytes,
                extra=event("fix.slow_consumer", channel="fix", peer=self.peer, unread_bytes=held),
            )
            self.gate.slow_consumers += 1
            transport.abort()  # connection_lost ends quickfix's side: the session disconnects

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()  # after what is buffered has been written (a Logout, typically)

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    # internals

    def _not_pending(self) -> None:
        self.gate.pending.discard(self)
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _logged_on(self, comp_id: str) -> None:
        """The Logon is handed to quickfix: no longer pending; the CompID is taken while this lasts."""
        self._not_pending()
        self.comp_id = comp_id
        self.gate.sessions[comp_id] = self

    def _forget_session(self) -> None:
        if self.comp_id is not None and self.gate.sessions.get(self.comp_id) is self:
            del self.gate.sessions[self.comp_id]

    def _detail(self, text: str) -> str:
        if self.gate.ssl_context is None:
            return f"{text} (from {self.peer})"
        return f"{text} (from {self.peer}, certificate {subject_text(self.peercert)})"

    def _timed_out(self) -> None:
        self.deadline = None
        if self not in self.gate.pending:
            return
        self.gate.refused += 1
        security_log.refused(
            "fix",
            None,
            ReasonCode.FIX_LOGON_TIMEOUT,
            self._detail(f"no Logon within {self.gate.config.logon_timeout_s:g} s"),
        )
        self._not_pending()
        if self.handshake is not None and not self.handshake.done():
            self.handshake.cancel()
        if self.transport is not None:
            self.transport.abort()

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        assert self.transport is not None
        try:
            secure = await loop.start_tls(
                self.transport,
                self,
                context,
                server_side=True,
                # the logon deadline (the same time, counted from the connection) ends a slow handshake;
                # this bound only backs it up
                ssl_handshake_timeout=self.gate.config.logon_timeout_s + 5.0,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of the handshake ends this connection
            self.gate.refused += 1
            security_log.refused(
                "fix",
                None,
                ReasonCode.AUTH_TLS_HANDSHAKE_FAILED,
                f"from {self.peer}: {type(exc).__name__}: {exc}",
            )
            self._not_pending()
            self.transport.abort()
            return
        if secure is None or secure.is_closing():
            return
        assert isinstance(secure, asyncio.Transport)
        self.transport = secure
        self.peercert = secure.get_extra_info("peercert")
        if self.buffer:
            loop.call_soon(self._examine)  # after this task is done: _examine waits for it

    def _refuse(self, comp_id: str | None, refusal: GateRefusal) -> None:
        self.gate.refused += 1
        security_log.refused("fix", comp_id, refusal.reason, self._detail(refusal.text))
        self._not_pending()
        assert self.transport is not None
        if refusal.logout and comp_id:
            self.transport.write(logout_message(self.gate.config, comp_id, refusal.text, self.gate.now()))
        self.transport.close()

    async def _open(self, comp_id: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.gate.stopping:
                raise ConnectionRefusedError("the gate is stopping")
            _, upstream = await loop.create_connection(
                lambda: _Upstream(self), "127.0.0.1", self.gate.upstream_port
            )
        except OSError:
            log.exception("FIX connection from %s: quickfix could not be reached", self.peer)
            self.close()
            return
        self.upstream = upstream
        log.info("FIX connection from %s handed to quickfix", self.peer)  # quickfix sees only the gate
        if self.gate.on_upstream is not None and upstream.transport is not None:
            sockname = upstream.transport.get_extra_info("sockname")
            if sockname:
                self.gate.on_upstream(comp_id, int(sockname[1]))
        if self.transport is None or self.transport.is_closing() or self.gate.stopping:
            upstream.end()  # the member left (or we are stopping) while quickfix's side was opening
            return
        assert upstream.transport is not None
        upstream.transport.write(bytes(self.buffer))
        self.buffer.clear()
        self.transport.resume_reading()


class LogonGate:
    """Listens on ``config.bind_host:config.port``; hands accepted members to quickfix on ``upstream_port``."""

    def __init__(
        self,
        config: AcceptorConfig,
        *,
        upstream_port: int,
        now: Callable[[], datetime] | None = None,
        on_upstream: Callable[[str, int], None] | None = None,
    ) -> None:
        self.config = config
        self.upstream_port = upstream_port
        # told (CompID of the first message, local port) for each connection opened to quickfix
        self.on_upstream = on_upstream
        self.now = now or (lambda: datetime.now(UTC))
        self.members: set[_Member] = set()
        self.pending: set[_Member] = set()  # connected, no Logon handed to quickfix yet
        self.sessions: dict[str, _Member] = {}  # CompID -> its connection handed to quickfix
        self.ssl_context = server_context(config.tls) if config.tls is not None else None
        self.stopping = False
        self.refused = 0  # connections refused by the gate itself (see gate_refusal, timeouts, the cap)
        self.slow_consumers = 0  # connections ended because the member did not read what it was sent
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Member(self), self.config.bind_host, self.config.port, reuse_address=True
        )

    @property
    def sockets(self) -> list[tuple[str, int]]:
        """The addresses listened on (for logs and tests)."""
        if self._server is None:
            return []
        return [s.getsockname()[:2] for s in self._server.sockets]

    async def close(self, wait_s: float = 5.0) -> None:
        """Stop accepting, end every connection and wait (at most ``wait_s``) until quickfix has closed
        its side of each; a connection still open after that is aborted."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        ending: list[asyncio.Future[None]] = []
        for member in list(self.members):
            member._not_pending()
            if member.handshake is not None and not member.handshake.done():
                member.handshake.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await member.handshake
            if member.connecting is not None and not member.connecting.done():
                member.connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await member.connecting
            if member.upstream is not None:
                member.upstream.end()
                ending.append(member.upstream.ended)
            if member.transport is not None:
                member.transport.abort()
        if ending:
            _, late = await asyncio.wait(ending, timeout=wait_s)
            for fut in late:
                log.warning("FIX gate: quickfix kept a connection open after %.1f s", wait_s)
                fut.cancel()
        for member in list(self.members):
            if member.upstream is not None and member.upstream.transport is not None:
                member.upstream.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()
