"""Mutual TLS at the logon gate: a member is who its certificate says.

Throwaway CA and certificates are made with openssl; sessions run over real TLS sockets. The member
certificates: ``CN=BANKA`` (mapped to MEMBER1 in ``[tls.names]``) and ``CN=Bank B Ltd`` with the SAN
``DNS:MEMBER2`` (naming its CompID directly).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.clearing.ports import Channel, DeliveryChannel, OutboxItem, RecipientRole, StatusUpdate
from gateway.clock import FixedClock
from gateway.config import TlsConfig
from gateway.domain.enums import ClearingStatusCode
from gateway.security_log import LOGGER_NAME
from tests.certs import Pki
from tests.channels.fix.client import Disconnected, FixClient, pairs_of
from tests.channels.fix.conftest import NOW, make_config
from tests.channels.fix.ports import MemoryClearingPort
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.strategies import vanilla_irs

TRADE = parse_pairs((GOLDEN / "vanilla_report.fix").read_text())  # the reporter names its own account only
HEAD = [(487, "0"), (856, "0"), (60, "20260105-09:00:00.000")]


@dataclass
class Tls:
    pki: Pki
    fix: FixAcceptor
    port: MemoryClearingPort

    def context(self, name: str | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.pki.dir / "server.crt"))
        if name is not None:
            ctx.load_cert_chain(str(self.pki.dir / f"{name}.crt"), str(self.pki.dir / f"{name}.key"))
        return ctx

    def client(self, certificate: str | None, sender: str) -> FixClient:
        return FixClient("localhost", self.fix.config.port, sender=sender, tls=self.context(certificate))


@pytest.fixture
async def tls(tmp_path: Path) -> AsyncIterator[Tls]:
    pki = Pki(tmp_path / "pki")
    pki.self_signed("server", "/CN=localhost")  # the members trust the CCP's certificate itself
    pki.issue("banka", "/CN=BANKA")
    pki.issue("bankb", "/CN=Bank B Ltd", san="DNS:MEMBER2")
    pki.self_signed("stranger", "/CN=BANKA")  # the right name, but not issued by the member CA
    tls_config = TlsConfig(
        certfile=pki.dir / "server.crt",
        keyfile=pki.dir / "server.key",
        cafile=pki.ca,
        names=TlsConfig.mapping({"BANKA": ["MEMBER1"]}),
    )
    config = dataclasses.replace(make_config(tmp_path), tls=tls_config)
    port = MemoryClearingPort()
    async with FixAcceptor(config, port, clock=FixedClock(NOW)) as fix:
        yield Tls(pki, fix, port)


def _refusals(caplog: pytest.LogCaptureFixture, reason: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == LOGGER_NAME
        and getattr(r, "reason_code", None) == reason
        and r.__dict__["channel"] == "fix"
    ]


def _backlog_for_member2() -> OutboxItem:
    update = StatusUpdate(
        sequence=1,
        submission_id="S9",
        source="MEMBER2",
        channel=Channel.FIX,
        status=ClearingStatusCode.RECEIVED,
        trade=vanilla_irs(),
        at=datetime(2026, 1, 5, 9, 31, tzinfo=UTC),
    )
    return OutboxItem(1, DeliveryChannel.FIX, RecipientRole.MEMBER, "MEMBER2", update)


async def test_a_member_logs_on_and_clears_with_its_own_certificate(tls: Tls) -> None:
    client = tls.client("banka", "MEMBER1")  # CN=BANKA, mapped to MEMBER1
    await client.connect()
    logon = dict(pairs_of(await client.logon()))
    assert (logon[35], logon[56]) == ("A", "MEMBER1")
    await client.send([(35, "AE"), (571, "R1"), *HEAD, *TRADE])
    ack = dict(pairs_of(await client.receive()))
    assert (ack[35], ack[1523], ack[939]) == ("AR", "0", "4")
    assert [s.source for s in tls.port.submissions] == ["MEMBER1"]
    await client.logout()
    await client.close()

    other = tls.client("bankb", "MEMBER2")  # its CompID in the certificate's SAN
    await other.connect()
    assert dict(pairs_of(await other.logon()))[35] == "A"
    await other.close()


async def test_a_certificate_naming_another_member_is_refused_with_a_logout(
    tls: Tls, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    backlog = _backlog_for_member2()
    assert tls.fix.deliver(backlog) is False  # MEMBER2's status waits for MEMBER2
    attacker = tls.client("banka", "MEMBER2")  # a valid certificate CN=BANKA logging on as MEMBER2
    await attacker.connect()
    answer = dict(pairs_of(await attacker.logon()))
    assert answer[35] == "5"
    assert (
        answer[58]
        == "Rejected Logon Attempt: the client certificate (BANKA) does not name SenderCompID MEMBER2"
    )
    with contextlib.suppress(Disconnected, ConnectionError, ssl.SSLError):
        await attacker.send([(35, "AE"), (571, "R1"), *HEAD, *TRADE])  # registering a trade as MEMBER2
    assert await attacker.expect_closed() == []  # closed: no acknowledgement, no status
    await attacker.close()
    assert tls.port.submissions == []
    assert tls.fix.deliver(backlog) is False  # still nobody logged on as MEMBER2
    (record,) = _refusals(caplog, "AUTH_CERT_COMPID_MISMATCH")
    assert record.__dict__["identity"] == "MEMBER2"
    assert "certificate CN=BANKA" in record.getMessage()


@pytest.mark.parametrize("certificate", [None, "stranger"])
async def test_a_client_without_a_member_certificate_never_reaches_logon(
    tls: Tls, caplog: pytest.LogCaptureFixture, certificate: str | None
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    client = tls.client(certificate, "MEMBER1")
    answers = []
    with contextlib.suppress(Disconnected, ConnectionError, ssl.SSLError):
        await client.connect()  # TLS 1.3: the client may finish before the server has read its certificate
        await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9")])
        answers = await client.expect_closed()
    await client.close()
    assert answers == []
    assert _refusals(caplog, "AUTH_TLS_HANDSHAKE_FAILED")
    assert not tls.fix.is_logged_on("MEMBER1")
    assert tls.port.submissions == []


async def test_a_tls_connection_that_never_handshakes_is_closed_after_the_logon_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    pki = Pki(tmp_path / "pki")
    pki.self_signed("server", "/CN=localhost")
    tls_config = TlsConfig(certfile=pki.dir / "server.crt", keyfile=pki.dir / "server.key", cafile=pki.ca)
    config = dataclasses.replace(make_config(tmp_path), tls=tls_config, logon_timeout_s=0.3)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port)  # no ClientHello, ever
        async with asyncio.timeout(10):  # a bound against hanging, not a timing
            with contextlib.suppress(ConnectionError):
                while await reader.read(1024):
                    pass
        writer.close()
        assert fix.gate is not None
        assert not fix.gate.pending
    assert _refusals(caplog, "FIX_LOGON_TIMEOUT")
    assert not _refusals(caplog, "AUTH_TLS_HANDSHAKE_FAILED")
