"""An independent FIX client for the tests: simplefix over asyncio streams, no quickfix inside.

It frames what a script says (header, body length, checksum), sends it over real TCP and parses what
comes back, so the acceptor is checked from the outside exactly as a member's engine would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from datetime import UTC, datetime

import simplefix

SOH = b"\x01"
WAIT_S = 10.0  # an upper bound to never hang a test, not a timing assertion


class Disconnected(Exception):
    pass


class FixClient:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str = "MEMBER1",
        target: str = "CCP",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.tls = tls
        self.host = host
        self.port = port
        self.sender = sender
        self.target = target
        self.next_seq = 1
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.parser = simplefix.FixParser()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=self.tls)
        self.parser = simplefix.FixParser()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
            self.writer = None

    def build(self, pairs: list[tuple[int, str]], *, fill_seq: bool = True) -> bytes:
        """Frame ``pairs`` (body, plus any header fields the script gives) into a complete message."""
        msg = simplefix.FixMessage()
        msg.append_pair(8, "FIXT.1.1", header=True)
        given = {t for t, _ in pairs}
        header_tags = {35, 49, 56, 34, 52, 43, 97, 122}
        for tag, value in pairs:
            if tag == 35:
                msg.append_pair(35, value, header=True)
        if 49 not in given:
            msg.append_pair(49, self.sender, header=True)
        if 56 not in given:
            msg.append_pair(56, self.target, header=True)
        if 34 not in given and fill_seq:
            msg.append_pair(34, str(self.next_seq), header=True)
        if 52 not in given:
            msg.append_pair(52, datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3], header=True)
        for tag, value in pairs:
            if tag == 35:
                continue
            msg.append_pair(tag, value, header=tag in header_tags)
        return bytes(msg.encode())

    async def send(self, pairs: list[tuple[int, str]]) -> bytes:
        data = self.build(pairs)
        seq = dict(pairs).get(34)
        self.next_seq = (int(seq) if seq is not None else self.next_seq) + 1
        await self.send_raw(data)
        return data

    async def send_raw(self, data: bytes) -> None:
        if self.writer is None:
            raise Disconnected("not connected")
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self, wait_s: float = WAIT_S) -> simplefix.FixMessage:
        """The next message; ``Disconnected`` if the acceptor closes the connection first."""
        if self.reader is None:
            raise Disconnected("not connected")
        while True:
            msg = self.parser.get_message()
            if msg is not None:
                return msg
            chunk = await asyncio.wait_for(self.reader.read(65536), wait_s)
            if not chunk:
                raise Disconnected("connection closed by the acceptor")
            self.parser.append_buffer(chunk)

    async def expect_closed(self, wait_s: float = WAIT_S) -> list[simplefix.FixMessage]:
        """Read until the acceptor closes the socket; the messages it sent before closing."""
        got = []
        while True:
            try:
                got.append(await self.receive(wait_s))
            except (Disconnected, ConnectionResetError):
                return got

    async def logon(self, heartbeat: int = 30, **extra: str) -> simplefix.FixMessage:
        pairs = [(35, "A"), (98, "0"), (108, str(heartbeat)), (1137, "9")]
        pairs += [(int(k[1:]), v) for k, v in extra.items()]
        await self.send(pairs)
        return await self.receive()

    async def logout(self) -> None:
        await self.send([(35, "5")])
        with contextlib.suppress(Disconnected, TimeoutError, ConnectionResetError):
            await self.receive()


def pairs_of(msg: simplefix.FixMessage) -> list[tuple[int, str]]:
    return [(int(t), v.decode("utf-8", "replace")) for t, v in msg.pairs]


async def reconnect(client: FixClient, *, attempts: int = 50, **logon: str) -> simplefix.FixMessage:
    """Connect and log on, retrying while the acceptor still holds the previous connection of the session
    (the gate answers a second Logon with a Logout, and quickfix refuses one, until the old connection is
    torn down)."""
    seq = client.next_seq  # a refused Logon was not processed: the retry uses the same number
    for _ in range(attempts - 1):
        client.next_seq = seq
        await client.connect()
        try:
            answer = await client.logon(30, **logon)
        except (Disconnected, ConnectionError):
            answer = None
        if answer is not None and b"already logged on" not in (answer.get(58) or b""):
            return answer
        await client.close()
        await asyncio.sleep(0.05)
    client.next_seq = seq
    await client.connect()
    return await client.logon(30, **logon)
