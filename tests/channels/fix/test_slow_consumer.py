"""A member that stops reading its socket is disconnected; every other member goes on being served.

quickfix's send blocks once its socket to the gate is full and sends are made on the event loop, so the
gate must keep reading from quickfix whatever a member does. It holds what a member does not read up to
``max_unread_bytes`` and then ends that member's connection. The acceptor runs in a process of its own so
that a frozen acceptor fails the test instead of freezing it.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import simplefix

from tests.channels.fix.client import FixClient, pairs_of
from tests.channels.fix.conftest import free_port
from tests.channels.fix.test_burst import HANG_GUARD_S, TRADE, _spawn, _wait_listening

LIMIT = 65536
CHUNK = 2_000  # reports a flood sends at a time, until its connection is ended
FLOOD_MAX = 200_000  # answers of ~150 bytes: far beyond the few MB the kernel's socket buffers can hold


def _report(i: int) -> list[tuple[int, str]]:
    head = [(35, "AE"), (571, f"R{i}"), (487, "0"), (856, "0"), (60, "20260105-09:00:00.000")]
    return head + [(t, f"T{i}" if t == 1003 else v) for t, v in TRADE]


async def _non_reading_member(port: int) -> FixClient:
    """MEMBER1 with a small receive buffer, so that what it does not read piles up at the gate."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    client = FixClient("127.0.0.1", port, sender="MEMBER1")
    client.reader, client.writer = await asyncio.open_connection(sock=sock)
    client.parser = simplefix.FixParser()
    await client.logon(heartbeat=60)  # quickfix's own heartbeat timeout comes only after the hang guard
    return client


async def _flood(client: FixClient) -> int:
    """Send reports in chunks, never reading, until the connection is ended; the number sent."""
    assert client.writer is not None
    sent = 0
    try:
        while sent < FLOOD_MAX and not client.writer.is_closing():
            chunk = []
            for i in range(sent, sent + CHUNK):
                chunk.append(client.build(_report(i)))
                client.next_seq += 1
            client.writer.write(b"".join(chunk))
            await client.writer.drain()
            sent += CHUNK
            await asyncio.sleep(0.05)
    except ConnectionError:
        pass
    return sent


async def _read_to_end(client: FixClient) -> tuple[int, bool]:
    """ARs read until the connection ends; (count, ended)."""
    assert client.reader is not None
    parser = simplefix.FixParser()
    count = 0
    try:
        while True:
            data = await client.reader.read(65536)
            if not data:
                return count, True
            parser.append_buffer(data)
            while (msg := parser.get_message()) is not None:
                count += msg.get(35) == b"AR"
    except ConnectionResetError:
        return count, True


async def test_a_member_that_does_not_read_is_disconnected_and_others_are_served(tmp_path: Path) -> None:
    port = free_port()
    proc = _spawn(port, tmp_path / "fix", LIMIT)
    try:
        await asyncio.to_thread(_wait_listening, proc)
        slow = await _non_reading_member(port)
        flood = asyncio.create_task(_flood(slow))  # it never reads the answers
        await asyncio.sleep(1.0)

        other = FixClient("127.0.0.1", port, sender="VENUE")  # a trade source: reports any members' trade
        await other.connect()
        await other.logon()
        await other.send(_report(FLOOD_MAX))
        answer: dict[int, str] = {}
        while answer.get(35) != "AR":
            answer = dict(pairs_of(await other.receive(HANG_GUARD_S)))
        assert answer[571] == f"R{FLOOD_MAX}"
        assert answer[1523] == "0"

        # The gateway ends the slow member's connection once it holds LIMIT bytes for it, long before
        # the flood is over; reading it now finds its end, with answers left undelivered.
        sent = await asyncio.wait_for(flood, HANG_GUARD_S)
        assert sent < FLOOD_MAX
        count, ended = await asyncio.wait_for(_read_to_end(slow), HANG_GUARD_S)
        assert ended
        assert count < sent
        events = (tmp_path / "fix" / "log" / "FIXT.1.1-CCP-MEMBER1.event.current.log").read_text()
        assert "Timed out waiting for heartbeat" not in events  # ended by the gate, not by quickfix

        # The other member is still served after the slow one is gone.
        await other.send(_report(FLOOD_MAX + 1))
        answer = {}
        while answer.get(35) != "AR":
            answer = dict(pairs_of(await other.receive(HANG_GUARD_S)))
        assert answer[571] == f"R{FLOOD_MAX + 1}"
        await other.close()
    finally:
        proc.kill()
        proc.wait()
