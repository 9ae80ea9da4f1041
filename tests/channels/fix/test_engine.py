"""The descriptor guard: a socket quickfix has closed keeps its number until quickfix's last read is done,
so bytes meant for a socket opened meanwhile elsewhere in the process are never read by quickfix."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import quickfix

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.bridge import CallbackBridge
from gateway.channels.fix.engine import DescriptorGuard, socket_descriptor
from tests.channels.fix.client import FixClient

PAYLOAD = b"bytes meant for another part of the process"


@contextmanager
def connected_pair() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """(listener, accepted, client) over loopback TCP."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname()[:2])
    accepted, _ = listener.accept()
    try:
        yield listener, accepted, client
    finally:
        for s in (listener, accepted, client):
            s.close()


def test_finds_the_accepted_socket_by_its_two_ports() -> None:
    with connected_pair() as (listener, accepted, client):
        found = socket_descriptor(listener.getsockname()[1], client.getsockname()[1])
        assert found == accepted.fileno()
        assert socket_descriptor(listener.getsockname()[1], 1) is None


def test_a_closed_number_is_held_reads_end_of_stream_and_is_given_back() -> None:
    guard = DescriptorGuard(0, hold_s=60)
    with connected_pair() as (_, accepted, _client):
        guard._descriptors["M1"] = number = os.dup(accepted.fileno())
        os.close(number)  # what quickfix does just before it calls onLogout
        assert guard.hold("M1") == number
        newcomer = socket.socket()
        try:
            assert newcomer.fileno() != number  # the held number is not handed out
            readable, _, _ = select.select([number], [], [], 0)
            assert readable == [number]
            assert os.read(number, 100) == b""  # quickfix's last read ends its thread
            guard.release(number)
            with pytest.raises(OSError, match="Bad file descriptor"):
                os.fstat(number)
        finally:
            newcomer.close()
    assert guard.hold("M1") is None  # learnt once, held once


def test_held_numbers_are_given_back_by_a_sweep_once_their_time_has_passed() -> None:
    threads = threading.active_count()
    with connected_pair() as (_, accepted, _client):
        keep, drop = DescriptorGuard(0, hold_s=60), DescriptorGuard(0, hold_s=0)
        for guard in (keep, drop):
            guard._descriptors["M1"] = number = os.dup(accepted.fileno())
            os.close(number)
            assert guard.hold("M1") == number
            assert threading.active_count() == threads  # no thread: it would carry quickfix's name
            guard.sweep()
        assert len(keep._held) == 1
        os.fstat(next(iter(keep._held)))  # still held: its time has not passed
        assert not drop._held
        keep.release_all()
        assert not keep._held


def test_a_number_reused_before_the_hold_is_left_to_its_new_owner() -> None:
    guard = DescriptorGuard(0)
    with connected_pair() as (_, accepted, _client):
        guard._descriptors["M1"] = accepted.fileno()  # still open: someone else's socket now
        assert guard.hold("M1") is None
        assert os.fstat(accepted.fileno())  # untouched


def test_release_leaves_alone_a_number_closed_and_reused_meanwhile() -> None:
    guard = DescriptorGuard(0, hold_s=60)
    with connected_pair() as (_, accepted, _client):
        guard._descriptors["M1"] = number = os.dup(accepted.fileno())
        os.close(number)
        assert guard.hold("M1") == number
        os.close(number)  # quickfix closing it a second time, as it may while it stops
        reused = socket.socket()
        try:
            assert reused.fileno() == number
            guard.release_all()
            os.fstat(reused.fileno())  # still open: the guard did not close another owner's descriptor
        finally:
            reused.close()


async def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Bounded wait (not a timing assertion) for something quickfix's thread does."""
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_a_socket_opened_while_a_member_logs_out_keeps_its_bytes(
    acceptor: FixAcceptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After onLogout quickfix polls and reads the closed number once more. Sockets opened by the rest of
    the process during onLogout (here: until the numbers pass the session's) must keep what is sent to
    them, and none of them may be given the session's number."""
    client = FixClient("127.0.0.1", acceptor.config.port, sender="MEMBER1", target=acceptor.config.comp_id)
    await client.connect()
    assert (await client.logon()).get(35) == b"A"
    await _wait_for(lambda: acceptor.guard.descriptor("MEMBER1") is not None, "descriptor learnt at Logon")
    number = acceptor.guard.descriptor("MEMBER1")
    assert number is not None

    opened: list[socket.socket] = []
    failures: list[BaseException] = []
    original = CallbackBridge.onLogout

    def on_logout(self: CallbackBridge, session_id: quickfix.SessionID) -> None:
        original(self, session_id)
        try:  # on quickfix's thread: nothing may escape
            for _ in range(10_000):
                a, b = socket.socketpair()
                opened.extend((a, b))
                a.sendall(PAYLOAD)
                b.sendall(PAYLOAD)
                if max(a.fileno(), b.fileno()) > number:
                    break
        except BaseException as exc:
            failures.append(exc)

    monkeypatch.setattr(CallbackBridge, "onLogout", on_logout)
    try:
        await client.logout()
        await client.expect_closed()
        await _wait_for(lambda: bool(opened) or bool(failures), "onLogout ran")
        await asyncio.sleep(0.2)  # quickfix's thread polls right after onLogout; give it every chance
        assert not failures
        for s in opened:
            s.settimeout(2)
            assert s.recv(len(PAYLOAD)) == PAYLOAD, f"descriptor {s.fileno()} lost its bytes"
        assert number not in {s.fileno() for s in opened}
        assert acceptor.guard.held_total == 1
    finally:
        for s in opened:
            s.close()
        await client.close()
