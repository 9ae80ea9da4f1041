"""The gateway as deployed for FIX: mutual TLS at its logon gate, in front of the real clearing service.

The attack of issue #11: a member with a valid certificate ``CN=BANKA`` logs on as ``BANKB_FIX`` to
register a trade as Bank B and to read Bank B's statuses. Here it is refused with a Logout and a log line,
nothing is registered, and Bank B's statuses wait for Bank B, which then logs on with its own certificate
and receives them.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clearing.ports import DeliveryChannel
from gateway.config import TlsConfig
from gateway.security_log import LOGGER_NAME
from gateway.store import tables as t
from tests.app.fix_world import FixCcp, fix_ccp
from tests.app.test_fix_contract import COLLATERAL, MEMBERS, report, swap
from tests.certs import Pki
from tests.channels.fix.client import Disconnected, FixClient, pairs_of
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    pki = Pki(tmp_path / "pki")
    pki.issue("server", "/CN=localhost", san="DNS:localhost,IP:127.0.0.1")
    pki.issue("banka", "/CN=BANKA")  # mapped to BANKA_FIX in [fix.tls.names]
    pki.issue("bankb", "/O=Bank B/CN=BANKB_FIX")  # names its CompID itself
    return pki


@pytest.fixture
async def ccp(engine: AsyncEngine, db_url: str, tmp_path: Path, pki: Pki) -> AsyncIterator[FixCcp]:
    tls = TlsConfig(
        certfile=pki.dir / "server.crt",
        keyfile=pki.dir / "server.key",
        cafile=pki.ca,
        names=TlsConfig.mapping({"BANKA": ["BANKA_FIX"]}),
    )
    async with fix_ccp(engine, db_url, tmp_path / "fix", MEMBERS, collateral=COLLATERAL, tls=tls) as running:
        yield running


def _context(pki: Pki, member: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.load_cert_chain(str(pki.dir / f"{member}.crt"), str(pki.dir / f"{member}.key"))
    return ctx


async def _waiting_for(ccp: FixCcp, comp_id: str) -> int:
    return sum(
        1 for i in await ccp.gateway.clearing.pending(DeliveryChannel.FIX, 1000) if i.recipient == comp_id
    )


async def test_bank_a_certificate_cannot_log_on_as_bank_b(
    ccp: FixCcp, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    a = await ccp.session("BANKA_FIX", tls=_context(pki, "banka"))  # its own CompID: served
    ack = await a.ask(report("R1", swap("T1")), "AR")
    assert ack.pick(571, 1003) == ("R1", "T1")
    assert await ccp.count(t.submissions) == 1
    backlog = await _waiting_for(ccp, "BANKB_FIX")
    assert backlog >= 1  # Bank B's statuses of T1, waiting for Bank B

    attacker = FixClient("127.0.0.1", ccp.port, sender="BANKB_FIX", tls=_context(pki, "banka"))
    await attacker.connect()
    answer = dict(pairs_of(await attacker.logon()))
    assert (answer[35], answer[58]) == (
        "5",
        "Rejected Logon Attempt: the client certificate (BANKA) does not name SenderCompID BANKB_FIX",
    )
    with contextlib.suppress(Disconnected, ConnectionError, ssl.SSLError):
        await attacker.send(report("R9", swap("T9")))  # a trade as Bank B
    assert await attacker.expect_closed() == []  # no acknowledgement, no status of Bank B's
    await attacker.close()
    assert await ccp.count(t.submissions) == 1  # nothing registered as Bank B
    assert await _waiting_for(ccp, "BANKB_FIX") >= backlog  # Bank B's statuses still wait for Bank B
    refusals = [r for r in caplog.records if getattr(r, "reason_code", None) == "AUTH_CERT_COMPID_MISMATCH"]
    assert [(r.__dict__["channel"], r.__dict__["identity"]) for r in refusals] == [("fix", "BANKB_FIX")]
    assert "certificate CN=BANKA" in refusals[0].getMessage()

    b = await ccp.session("BANKB_FIX", tls=_context(pki, "bankb"))  # Bank B itself gets its statuses
    received = [s.get(1003) for s in await ccp.statuses(b)]
    assert len(received) >= backlog
    assert set(received) == {"T1"}
