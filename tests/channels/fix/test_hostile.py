"""Hostile bytes on the wire: whatever arrives, the process and the member's session survive."""

from __future__ import annotations

import contextlib

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from tests.channels.fix.client import Disconnected, FixClient, pairs_of, reconnect

SOH = b"\x01"
LOGON = b"8=FIXT.1.1\x019=72\x0135=A\x0134=1\x0149=MEMBER1\x0152=20260105-09:00:00.000\x0156=CCP\x0198=0\x01108=30\x011137=9\x01"


def _framed(body: bytes) -> bytes:
    head = b"8=FIXT.1.1" + SOH + b"9=" + str(len(body)).encode() + SOH
    return head + body + b"10=" + f"{sum(head + body) % 256:03d}".encode() + SOH


PAYLOADS = {
    "binary-garbage": b"\x00\xff\xfe" * 20_000,
    "huge-body-length": b"8=FIXT.1.1\x019=999999999\x0135=A\x0134=1\x0149=MEMBER1\x0156=CCP\x01",
    "negative-body-length": b"8=FIXT.1.1\x019=-5\x0135=0\x0110=000\x01",
    "wrong-begin-string": _framed(
        b"35=A\x0134=1\x0149=MEMBER1\x0152=20260105-09:00:00.000\x0156=CCP\x0198=0\x01108=30\x01"
    ).replace(b"FIXT.1.1", b"FIX.4.2"),
    "logon-then-2mb-of-noise": _framed(LOGON.split(b"\x019=72\x01", 1)[1]) + b"A" * 2_000_000,
    "non-numeric-tag": _framed(
        b"35=A\x0134=1\x0149=MEMBER1\x0152=20260105-09:00:00.000\x0156=CCP\x0198=0\x01108=30\x011137=9\x01abc=1\x01"
    ),
}


async def _recover(acceptor: FixAcceptor) -> None:
    """A fresh connection logs on (resetting sequence numbers) and is answered."""
    client = FixClient("127.0.0.1", acceptor.config.port)
    logon = dict(pairs_of(await reconnect(client, _141="Y")))
    assert logon[35] == "A"
    await client.send([(35, "1"), (112, "ALIVE")])
    assert dict(pairs_of(await client.receive()))[112] == "ALIVE"
    await client.logout()
    await client.close()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
async def test_hostile_bytes_leave_the_acceptor_serving(name: str, acceptor: FixAcceptor) -> None:
    attacker = FixClient("127.0.0.1", acceptor.config.port)
    await attacker.connect()
    try:
        # the acceptor may drop us while the payload is still being written: that is a refusal too
        with contextlib.suppress(ConnectionError):
            await attacker.send_raw(PAYLOADS[name])
        # give the acceptor the bytes to chew on: until it drops us, or 2 s if it just waits for more
        with contextlib.suppress(Disconnected, ConnectionError, TimeoutError):
            await attacker.expect_closed(wait_s=2.0)
    finally:
        await attacker.close()
    await _recover(acceptor)
