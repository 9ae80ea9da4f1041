"""Every workaround for quickfix 1.16 (the PyPI build) in one place; nothing else here.

* **Its threads are found again**: ``start_named`` starts an acceptor with the calling thread renamed, so
  that every thread quickfix creates inherits the name; ``quickfix_quiet`` waits until only the accept
  threads carry it. ``ThreadedSocketAcceptor.stop`` is only safe once no connection thread is left
  (``acceptor.FixAcceptor.stop`` keeps that order).
* **A failed start leaves no traceback holding the acceptor** (``try_start``): it must be deletable at once
  when its internal port turns out to be taken.
* **Start and stop in the order it survives** (``QuickfixEngine``): what it holds by reference outlives
  it, a taken internal port is replaced, and it is stopped only once its connection threads have ended,
  then deleted at once.
* **No read of another socket's bytes after a session's socket closes** (``DescriptorGuard``, below).

What quickfix 1.16 lacks by design and the gateway supplies as a component of its own (binding to one
address, mutual TLS, the logon limits) is the logon gate's job (``gate.py``), not a workaround.

quickfix 1.16's connection thread ends a session by closing its socket and then calling ``onLogout``;
when that callback returns, the thread polls and reads the same descriptor number once more before it
notices the session is gone. ``onLogout`` waits for the GIL, and while it waits any other part of the
process (the database driver, the MQTT client, the gate's next member) may open a socket and be given
that number: quickfix then reads bytes meant for it, and goes on reading while they keep coming.

``DescriptorGuard`` closes that window. At Logon it finds the descriptor of the session's socket: the
gate says which of its connections carries which CompID, and quickfix's end of it is the socket from
quickfix's internal port to the gate's port, looked up in the kernel's TCP table and matched to a
descriptor by inode. At Logout, which runs right after quickfix closed it, it takes the same number
again (``F_DUPFD``: the lowest free number from it, never one in use) for a socket that reads
end-of-stream at once; quickfix's last poll then sees end-of-stream and its thread ends. The number is
given back once ``hold_s`` has passed (at the gate's next connection, or when the acceptor stops), and
only if it still is the guard's own socket (quickfix may close a number twice while it stops). Linux
only (``/proc``); elsewhere, or when a socket cannot be identified, nothing is held and quickfix behaves
as it always has.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import fcntl
import gc
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import quickfix

_FD_DIR = Path("/proc/self/fd")
_TCP_TABLES = (Path("/proc/self/net/tcp"), Path("/proc/self/net/tcp6"))
HOLD_S = 5.0
QUICKFIX_THREAD_NAME = b"fix-quickfix"  # the native name quickfix's own threads inherit (Linux)

log = logging.getLogger(__name__)


def _set_thread_name(name: bytes) -> bytes | None:
    """Set the calling thread's native name (Linux ``prctl(PR_SET_NAME)``); the previous one, or None
    where that is not possible. Threads a thread creates inherit its name, which is how quickfix's
    threads are found again when the acceptor stops."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        previous = Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_bytes().strip()
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0) != 0:  # 15 = PR_SET_NAME
            return None
        return previous
    except OSError:
        return None


def quickfix_threads() -> int | None:
    """How many threads of this process carry quickfix's thread name; None where it cannot be told."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    count = 0
    for tid in tasks:
        with contextlib.suppress(OSError):
            if Path(f"/proc/self/task/{tid}/comm").read_bytes().strip() == QUICKFIX_THREAD_NAME:
                count += 1
    return count


async def quickfix_quiet(accept_threads: int, wait_s: float) -> bool:
    """Wait (at most ``wait_s``) until no more than ``accept_threads`` threads carry quickfix's thread
    name, i.e. every connection thread of the acceptors started with ``start_named`` has ended. True if
    they have (or where threads cannot be counted), False after logging a warning if the wait ran out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while (count := quickfix_threads()) is not None and count > accept_threads:
        if loop.time() >= deadline:
            log.warning(
                "FIX: %d quickfix connection threads still running; stopping anyway", count - accept_threads
            )
            return False
        await asyncio.sleep(0.01)
    return True


def start_named(acceptor: quickfix.ThreadedSocketAcceptor) -> bool:
    """``acceptor.start()`` with this thread renamed meanwhile, so quickfix's threads carry the name;
    True if they do."""
    previous = _set_thread_name(QUICKFIX_THREAD_NAME)
    try:
        acceptor.start()
    finally:
        if previous is not None:
            _set_thread_name(previous)
    return previous is not None


def try_start(acceptor: quickfix.ThreadedSocketAcceptor) -> tuple[bool, str | None]:
    """``start_named`` with a failure returned as text: no traceback is left holding the acceptor, which
    must be deletable at once when its port turns out to be taken."""
    try:
        return start_named(acceptor), None
    except quickfix.RuntimeError as exc:
        return False, str(exc)


BIND_ATTEMPTS = 5  # internal ports tried before giving up


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")  # a few hundred bytes, before quickfix reads them


class QuickfixEngine:
    """One quickfix ThreadedSocketAcceptor on an internal loopback port, started and stopped as quickfix
    1.16 survives.

    * quickfix holds the application, settings and factories by reference: they stay referenced here for
      the acceptor's whole life, and the acceptor is deleted (and collected) before any of them can be;
    * the internal port is chosen free, but another socket may take it before quickfix binds it (an
      outgoing connection gets a port from the same range): then another is chosen, after the failed
      acceptor is deleted so that its sessions are unregistered before the next registers the same;
    * ``stop`` waits until only the accept threads are left (``quickfix_quiet``): quickfix's own stop is
      only safe with no connection to deal with. The caller ends every connection first (the gate).
    """

    started = 0  # acceptors of this process started and not yet stopped: one accept thread each

    def __init__(self) -> None:
        self._acceptor: quickfix.ThreadedSocketAcceptor | None = None
        self._application: quickfix.Application | None = None
        self._settings: quickfix.SessionSettings | None = None
        self._store_factory: quickfix.FileStoreFactory | None = None
        self._log_factory: quickfix.FileLogFactory | None = None
        self._threads_named = False

    @property
    def running(self) -> bool:
        return self._acceptor is not None

    async def start(
        self,
        settings_path: Path,
        settings_for: Callable[[int], str],
        application_for: Callable[[int], quickfix.Application],
        choose_port: Callable[[], int],
    ) -> int:
        """Start on a port from ``choose_port``; the port. ``settings_for(port)`` is the settings file's text
        and ``application_for(port)`` the quickfix Application for an acceptor on that port."""
        for attempt in range(1, BIND_ATTEMPTS + 1):
            port = choose_port()
            _write(settings_path, settings_for(port))
            self._settings = quickfix.SessionSettings(str(settings_path))
            self._application = application_for(port)
            self._store_factory = quickfix.FileStoreFactory(self._settings)
            self._log_factory = quickfix.FileLogFactory(self._settings)
            self._acceptor = quickfix.ThreadedSocketAcceptor(
                self._application, self._store_factory, self._settings, self._log_factory
            )
            self._threads_named, failure = await asyncio.to_thread(try_start, self._acceptor)
            if failure is None:
                QuickfixEngine.started += 1
                return port
            if attempt == BIND_ATTEMPTS or "Unable to create, bind, or listen" not in failure:
                raise quickfix.RuntimeError(failure.removeprefix("Runtime error: "))
            log.warning("FIX: internal port %d taken before quickfix bound it; another", port)
            self._acceptor = None  # deleted, its sessions unregistered, before the next registers the same
            gc.collect()
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def stop(self, wait_s: float) -> None:
        """Stop once quickfix's connection threads have ended (at most ``wait_s``), then delete it."""
        if self._acceptor is None:
            return
        if self._threads_named:
            await quickfix_quiet(QuickfixEngine.started, wait_s)
        await asyncio.to_thread(self._acceptor.stop, True)
        QuickfixEngine.started -= 1
        # Delete the C++ acceptor now, while the application, settings and factories it uses are still
        # referenced by self: its sessions are unregistered before another acceptor (a restart in the
        # same process) registers the same SessionIDs. Its SWIG proxy may sit in a reference cycle.
        acceptor, self._acceptor = self._acceptor, None
        del acceptor
        gc.collect()


def _inodes(local_port: int, peer_port: int) -> set[str]:
    """Inodes of the TCP sockets (IPv4 and IPv6) from ``local_port`` to ``peer_port``, from the
    kernel's tables: nothing of the process is opened or copied to find them."""
    found: set[str] = set()
    want = (f"{local_port:04X}", f"{peer_port:04X}")
    for table in _TCP_TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and (cols[1].rpartition(":")[2], cols[2].rpartition(":")[2]) == want:
                found.add(cols[9])
    return found


def socket_descriptor(local_port: int, peer_port: int) -> int | None:
    """The descriptor of this process's TCP socket from ``local_port`` to ``peer_port``, or None."""
    inodes = _inodes(local_port, peer_port)
    if not inodes:
        return None
    links = {f"socket:[{inode}]" for inode in inodes}
    try:
        names = os.listdir(_FD_DIR)
    except OSError:
        return None
    for name in names:
        try:
            if os.readlink(_FD_DIR / name) in links:
                return int(name)
        except (OSError, ValueError):
            continue
    return None


def _end_of_stream() -> socket.socket:
    """A socket that reads end-of-stream at once (its peer is closed)."""
    ours, theirs = socket.socketpair()
    theirs.close()
    return ours


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


class DescriptorGuard:
    """Learns each session's quickfix descriptor at Logon and holds its number through quickfix's last
    read after Logout. ``note_peer`` runs on the event loop (the gate), ``learn`` and ``hold`` on
    quickfix's threads (its callbacks), ``release_all`` once quickfix has stopped (after it nothing is
    held any more). A held number is a copy of one end-of-stream socket made when the guard is."""

    def __init__(self, internal_port: int = 0, *, hold_s: float = HOLD_S) -> None:
        self.internal_port = internal_port
        self.hold_s = hold_s
        self._peer_ports: dict[str, int] = {}  # CompID -> the gate's local port towards quickfix
        self._descriptors: dict[str, int] = {}  # CompID -> quickfix's descriptor of the logged-on session
        # number held -> (identity of the guard's socket there, monotonic time it may be given back)
        self._held: dict[int, tuple[tuple[int, int], float]] = {}
        self._lock = threading.Lock()
        self.held_total = 0  # numbers taken back at a Logout (for tests and monitoring)
        # made ahead: a socket made inside ``hold`` would itself be given the number just closed
        self._eof: socket.socket | None = _end_of_stream()

    def note_peer(self, comp_id: str, gate_port: int) -> None:
        """The gate has opened ``gate_port`` -> quickfix for a connection whose Logon names ``comp_id``."""
        self._peer_ports[comp_id] = gate_port
        self.sweep()

    def learn(self, comp_id: str) -> int | None:
        """At Logon: find and remember the session's descriptor (None when it cannot be identified)."""
        peer = self._peer_ports.get(comp_id)
        fd = None if peer is None else socket_descriptor(self.internal_port, peer)
        with self._lock:
            if fd is None:
                self._descriptors.pop(comp_id, None)
            else:
                self._descriptors[comp_id] = fd
        return fd

    def descriptor(self, comp_id: str) -> int | None:
        with self._lock:
            return self._descriptors.get(comp_id)

    def hold(self, comp_id: str) -> int | None:
        """At Logout (quickfix has just closed the session's socket): take its number back for ``hold_s``.
        Returns the number held, or None (unknown session, or the number is already someone else's)."""
        with self._lock:
            fd = self._descriptors.pop(comp_id, None)
        eof = self._eof
        if fd is None or eof is None:
            return None
        try:
            held = fcntl.fcntl(eof.fileno(), fcntl.F_DUPFD_CLOEXEC, fd)
        except OSError:
            return None
        if held != fd:  # the number was taken again before this ran: nothing left to protect
            os.close(held)
            return None
        with self._lock:
            self._held[held] = (_identity(held), time.monotonic() + self.hold_s)
            self.held_total += 1
        return held

    def sweep(self) -> None:
        """Give back the numbers held for ``hold_s`` or longer. Run at the gate's next connection and at
        stop, never on a thread of its own: a thread started from a quickfix callback would carry
        quickfix's thread name, which the acceptor's stop counts to know quickfix is quiet."""
        now = time.monotonic()
        with self._lock:
            due = [fd for fd, (_, until) in self._held.items() if until <= now]
        for fd in due:
            self.release(fd)

    def release(self, fd: int) -> None:
        """Give a held number back, unless it no longer is the guard's socket (quickfix closed it again
        and it was reused): closing it then would close someone else's descriptor."""
        with self._lock:
            entry = self._held.pop(fd, None)
            if entry is None:
                return
            try:
                if _identity(fd) == entry[0]:
                    os.close(fd)
            except OSError:
                pass

    def release_all(self) -> None:
        with self._lock:
            held = list(self._held)
        for fd in held:
            self.release(fd)
        eof, self._eof = self._eof, None
        if eof is not None:
            eof.close()
