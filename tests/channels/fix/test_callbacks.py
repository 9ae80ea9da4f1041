"""An exception escaping a quickfix callback leaves the member's session dead; ours never escapes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.bridge import EventKind, Inbound
from tests.channels.fix.client import Disconnected, FixClient, pairs_of, reconnect
from tests.channels.fix.conftest import REPO, free_port

POSITIONS_REQUEST = [
    (35, "AN"),
    (710, "P1"),
    (724, "0"),
    (715, "20260105"),
    (60, "20260105-09:00:00"),
    (453, "1"),
    (448, "549300VBWWV6BYQOWM67"),
    (447, "N"),
    (452, "1"),
]


def _read_until(proc: subprocess.Popen[str], marker: str) -> str:
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never appeared; output: {''.join(seen)}")


def _spawn(port: int, data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("naive_acceptor.py")), str(port), str(data)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def test_escaping_exception_leaves_the_session_dead(tmp_path: Path) -> None:
    port = free_port()
    proc = _spawn(port, tmp_path)
    try:
        await asyncio.to_thread(_read_until, proc, "listening")
        client = FixClient("127.0.0.1", port)
        await client.connect()
        await client.logon()
        await client.send(POSITIONS_REQUEST)
        output = await asyncio.to_thread(_read_until, proc, "ValueError: bug in the application")
        assert "fromApp" in output
        await client.close()
        again = FixClient("127.0.0.1", port)
        again.next_seq = 3
        await again.connect()
        with pytest.raises(Disconnected):  # the member is locked out until the process is restarted
            await again.logon()
        await again.close()
    finally:
        proc.kill()
        proc.wait()


async def test_our_callbacks_catch_everything(acceptor: FixAcceptor) -> None:
    bridge = acceptor._bridge
    assert bridge is not None
    original = bridge._post

    def failing_post(item: Inbound) -> None:
        if item.kind is EventKind.APP:
            raise ValueError("bug while handing the message on")
        original(item)

    bridge._post = failing_post  # type: ignore[method-assign]
    client = FixClient("127.0.0.1", acceptor.config.port)
    await client.connect()
    await client.logon()
    await client.send(POSITIONS_REQUEST)
    await client.send([(35, "1"), (112, "STILL-ALIVE")])
    heartbeat = dict(pairs_of(await client.receive()))
    assert (heartbeat[35], heartbeat[112]) == ("0", "STILL-ALIVE")
    bridge._post = original  # type: ignore[method-assign]
    await client.send(POSITIONS_REQUEST)
    ack = dict(pairs_of(await client.receive()))
    assert (ack[35], ack[710], ack[728]) == ("AO", "P1", "2")  # handled normally again
    await client.logout()
    await client.close()
    again = FixClient("127.0.0.1", acceptor.config.port)
    again.next_seq = client.next_seq
    assert dict(pairs_of(await reconnect(again)))[35] == "A"
    await again.close()
