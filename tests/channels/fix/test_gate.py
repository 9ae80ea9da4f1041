"""The logon gate in front of quickfix: what it decides from the first message, where it listens, whom it lets in."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig
from gateway.channels.fix.gate import GateRefusal, first_message, gate_refusal, header_fields, logout_message
from gateway.clock import FixedClock
from gateway.domain.reasons import ReasonCode
from tests.channels.fix.client import Disconnected, FixClient, pairs_of
from tests.channels.fix.conftest import MEMBERS, NOW, make_config
from tests.channels.fix.ports import MemoryClearingPort

CONFIG = AcceptorConfig(sessions=MEMBERS)
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - the tests check that binding to every interface is possible
LOGON = b"8=FIXT.1.1\x019=60\x0135=A\x0134=1\x0149=NOBODY\x0152=20260105-09:00:00.000\x0156=CCP\x0198=0\x01108=30\x0110=123\x01"


def test_first_message_is_found_only_when_complete() -> None:
    assert first_message(LOGON[:-3]) is None
    assert first_message(LOGON + b"8=FIXT.1.1\x01") == LOGON


def test_header_fields_keep_the_first_value_and_make_it_printable() -> None:
    fields = header_fields(b"8=FIXT.1.1\x0135=A\x0149=A\x07B\x0149=SECOND\x01")
    assert fields == {8: "FIXT.1.1", 35: "A", 49: "A?B"}


NOT_A_LOGON = GateRefusal(ReasonCode.FIX_LOGON_REQUIRED, "the first message must be a Logon", logout=False)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        (
            {8: "FIXT.1.1", 35: "A", 49: "NOBODY", 56: "CCP"},
            GateRefusal(
                ReasonCode.FIX_UNKNOWN_COMP_ID, "SenderCompID NOBODY is not a clearing member of this CCP"
            ),
        ),
        (
            {8: "FIXT.1.1", 35: "A", 49: "MEMBER1", 56: "OTHER"},
            GateRefusal(ReasonCode.FIX_UNKNOWN_COMP_ID, "TargetCompID OTHER is not this CCP"),
        ),
        ({8: "FIXT.1.1", 35: "A", 49: "MEMBER1", 56: "CCP"}, None),  # a session: quickfix decides
        ({8: "FIXT.1.1", 35: "A", 49: "SUSPENDED", 56: "CCP"}, None),  # has a session: quickfix refuses it
        ({8: "FIXT.1.1", 35: "0", 49: "NOBODY", 56: "CCP"}, NOT_A_LOGON),  # never handed to quickfix
        ({8: "FIX.4.2", 35: "A", 49: "NOBODY", 56: "CCP"}, NOT_A_LOGON),  # another BeginString
        ({}, NOT_A_LOGON),  # garbage
    ],
)
def test_gate_refusal(fields: dict[int, str], refusal: GateRefusal | None) -> None:
    assert gate_refusal(CONFIG, fields) == refusal


def test_a_compid_with_a_connection_is_refused_a_second_one() -> None:
    fields = {8: "FIXT.1.1", 35: "A", 49: "MEMBER1", 56: "CCP"}
    assert gate_refusal(CONFIG, fields, active={"MEMBER1"}) == GateRefusal(
        ReasonCode.FIX_ALREADY_LOGGED_ON, "SenderCompID MEMBER1 is already logged on"
    )


def test_logout_message_is_a_framed_fix_message() -> None:
    raw = logout_message(CONFIG, "NOBODY", "why", datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    body = raw[raw.index(b"35=") : raw.index(b"10=")]
    assert raw.startswith(f"8=FIXT.1.1\x019={len(body)}\x01".encode())
    assert raw.endswith(f"10={sum(raw[: raw.index(b'10=')]) % 256:03d}\x01".encode())
    assert b"\x0156=NOBODY\x0158=Rejected Logon Attempt: why\x01" in raw


async def _logon_answer(host: str, port: int, *, local: str | None = None) -> dict[int, str]:
    client = FixClient(host, port)
    if local is None:
        await client.connect()
    else:
        client.reader, client.writer = await asyncio.open_connection(host, port, local_addr=(local, 0))
    try:
        return dict(pairs_of(await client.logon()))
    finally:
        await client.close()


async def test_listens_on_the_bind_address_only(tmp_path: Path) -> None:
    config = make_config(tmp_path)  # bind_host defaults to 127.0.0.1
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
        assert fix.gate is not None
        assert fix.gate.sockets == [("127.0.0.1", config.port)]
        assert (await _logon_answer("127.0.0.1", config.port))[35] == "A"
        with pytest.raises(ConnectionRefusedError):  # another loopback address: nobody listens there
            await asyncio.open_connection("127.0.0.2", config.port)


async def test_every_interface_when_asked(tmp_path: Path) -> None:
    config = make_config(tmp_path, bind_host=EVERY_INTERFACE, insecure_plaintext=True)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
        assert fix.gate is not None
        assert fix.gate.sockets == [(EVERY_INTERFACE, config.port)]
        assert (await _logon_answer("127.0.0.2", config.port))[35] == "A"


async def test_only_allowed_addresses_reach_quickfix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.security")
    config = make_config(
        tmp_path, bind_host=EVERY_INTERFACE, insecure_plaintext=True, allowed_remote_addresses=("127.0.0.3",)
    )
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)):
        with pytest.raises((Disconnected, ConnectionError)):
            await _logon_answer("127.0.0.1", config.port)  # from 127.0.0.1: dropped unanswered
        assert (await _logon_answer("127.0.0.1", config.port, local="127.0.0.3"))[35] == "A"
    assert [
        r.getMessage() for r in caplog.records if getattr(r, "reason_code", None) == "FIX_ADDRESS_NOT_ALLOWED"
    ] == ["refused channel=fix identity=- reason=FIX_ADDRESS_NOT_ALLOWED: connection from 127.0.0.1"]


async def test_a_member_after_a_refused_stranger_is_served(acceptor: FixAcceptor) -> None:
    stranger = FixClient("127.0.0.1", acceptor.config.port, sender="NOBODY")
    await stranger.connect()
    assert dict(pairs_of(await stranger.logon()))[35] == "5"
    await stranger.close()
    assert (await _logon_answer("127.0.0.1", acceptor.config.port))[35] == "A"
