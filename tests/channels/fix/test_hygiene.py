"""Connections that do not log on: bounded in number, closed after the logon timeout, never a quickfix thread;
a second Logon for a CompID already logged on is answered with a Logout and its reason."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.clock import FixedClock
from gateway.security_log import LOGGER_NAME
from tests.channels.fix.client import WAIT_S, FixClient, pairs_of, reconnect
from tests.channels.fix.conftest import NOW, make_config
from tests.channels.fix.ports import MemoryClearingPort

CAP = 32


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _refusals(caplog: pytest.LogCaptureFixture, reason: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER_NAME and getattr(r, "reason_code", None) == reason]


async def _closed_by_peer(reader: asyncio.StreamReader) -> bool:
    """True once the acceptor has closed the connection (WAIT_S is a bound against hanging, not a timing)."""
    try:
        while await asyncio.wait_for(reader.read(65536), WAIT_S):
            pass
    except ConnectionError:
        pass
    return True


@pytest.fixture
async def capped(tmp_path: Path) -> AsyncIterator[FixAcceptor]:
    config = make_config(tmp_path, max_pending_connections=CAP, logon_timeout_s=600.0)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
        yield fix


async def test_a_hundred_idle_connections_cost_no_thread_and_at_most_the_cap(
    capped: FixAcceptor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    port = capped.config.port
    threads, descriptors = _threads(), _descriptors()
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(100)]
    refused = streams[CAP:]
    for reader, _ in refused:  # beyond the cap: closed at once
        assert await _closed_by_peer(reader)
    # the first CAP wait for their Logon: one descriptor each in the gate, no quickfix thread
    assert _threads() == threads
    assert _descriptors() - descriptors <= 2 * CAP + len(refused)  # ours (client ends) included
    assert len(_refusals(caplog, "FIX_TOO_MANY_PENDING")) == len(refused)
    for _, writer in refused:
        writer.close()

    # a member still logs on once the idle ones are gone
    for _, writer in streams[:CAP]:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    client = FixClient("127.0.0.1", port)
    assert dict(pairs_of(await reconnect(client)))[35] == "A"  # retried until the gate has seen them close
    await client.close()


async def test_junk_instead_of_a_logon_is_closed_at_the_gate(
    capped: FixAcceptor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    threads = _threads()
    streams = [await asyncio.open_connection("127.0.0.1", capped.config.port) for _ in range(20)]
    for _, writer in streams:
        writer.write(b"J" * 8192)
    for reader, _ in streams:
        assert await _closed_by_peer(reader)
    for _, writer in streams:
        writer.close()
    assert _threads() == threads  # quickfix never saw them: no connection thread was started
    assert len(_refusals(caplog, "FIX_LOGON_REQUIRED")) == 20


async def test_an_idle_connection_is_closed_after_the_logon_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    config = make_config(tmp_path, logon_timeout_s=0.3)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port)
        writer.write(b"8=FIXT.1.1\x019=")  # the start of a Logon that never comes
        assert await _closed_by_peer(reader)
        writer.close()
        (record,) = _refusals(caplog, "FIX_LOGON_TIMEOUT")
        assert "no Logon within 0.3 s" in record.getMessage()
        assert fix.gate is not None
        assert not fix.gate.pending


async def test_a_second_logon_for_a_logged_on_compid_gets_a_logout_with_the_reason(
    acceptor: FixAcceptor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    first = FixClient("127.0.0.1", acceptor.config.port)
    await first.connect()
    assert dict(pairs_of(await first.logon()))[35] == "A"

    second = FixClient("127.0.0.1", acceptor.config.port)
    await second.connect()
    answer = dict(pairs_of(await second.logon()))
    assert answer[35] == "5"
    assert answer[58] == "Rejected Logon Attempt: SenderCompID MEMBER1 is already logged on"
    assert await second.expect_closed() == []
    await second.close()
    (record,) = _refusals(caplog, "FIX_ALREADY_LOGGED_ON")
    assert (record.__dict__["channel"], record.__dict__["identity"]) == ("fix", "MEMBER1")

    await first.send([(35, "1"), (112, "STILL-HERE")])  # the first session is untouched
    assert dict(pairs_of(await first.receive()))[112] == "STILL-HERE"
    await first.logout()
    await first.close()
