"""deploy/mosquitto with the real Mosquitto: each participant sees its own topics and nothing else, and
only an approved trade source writes an intake topic.

A second Mosquitto is started from the test on a free port with deploy's configuration, a password file
made by deploy's script, and the ACL written by `clearing-gateway source acl` from reference data with
members BANKA, BANKB, the source MW and the suspended source OLD; only file locations and the port are
adapted to the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest
from typer.testing import CliRunner

from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.cli.app import app
from tests.deploy.mosquitto_conf import render, require_mosquitto, running
from tests.strategies import LEI_A, LEI_B

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
USERS = {
    "gateway": "gw-pw",
    "MW": "mw-pw",
    "BANKA": "a-pw",
    "BANKB": "b-pw",
    "EVIL": "e-pw",
    "OLD": "o-pw",
}

pytestmark = pytest.mark.mosquitto


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def secured_broker() -> Iterator[int]:
    require_mosquitto()
    # Run as root, mosquitto drops to its own user before reading these files: a world-traversable folder.
    with tempfile.TemporaryDirectory(prefix="acl-test-") as folder:
        tmp_path = Path(folder)
        tmp_path.chmod(0o755)
        yield from _run_broker(tmp_path)


def _run_broker(tmp_path: Path) -> Iterator[int]:
    passwd = tmp_path / "passwd"
    subprocess.run(
        [str(DEPLOY / "make-passwd.sh"), str(passwd), *(f"{u}:{p}" for u, p in USERS.items())],
        check=True,
        capture_output=True,
    )
    passwd.chmod(0o644)
    _write_acl(tmp_path)
    (tmp_path / "data").mkdir(mode=0o777)
    port = _free_port()
    conf = render(tmp_path, port=port, passwd=passwd, acl=tmp_path / "acl")
    (tmp_path / "mosquitto.conf").write_text(conf)
    with running(tmp_path / "mosquitto.conf", [port]):
        yield port


def _write_acl(folder: Path) -> None:
    """The ACL as an operator makes it: the reference data, then `clearing-gateway source acl`."""
    import importlib

    for module in ("gateway.cli.cmd_admin", "gateway.cli.cmd_source"):
        importlib.import_module(module)
    db = f"sqlite+aiosqlite:///{folder / 'refdata.db'}"
    runner = CliRunner()
    steps = [
        ["participant", "add", "BANKA", "--party", LEI_A],
        ["participant", "add", "BANKB", "--party", LEI_B],
        ["source", "add", "MW", "--mqtt-user", "MW", "--venue"],
        ["source", "add", "OLD", "--mqtt-user", "OLD"],
        ["source", "suspend", "OLD"],
        ["source", "acl", "--out", str(folder / "acl")],
    ]
    for step in steps:
        result = runner.invoke(app, [*step, "--db", db, "--operator", "deploy-test"])
        assert result.exit_code == 0, (step, result.stdout, result.stderr)
    (folder / "acl").chmod(0o644)


def test_the_shipped_acl_is_the_generated_one_with_no_source() -> None:
    """deploy/mosquitto/acl grants no intake topic until sources are registered and the file regenerated."""
    shipped = (DEPLOY / "acl").read_text()
    assert shipped == acl_file([])
    assert "ccp/in/%u" not in shipped
    assert "topic write ccp/in/" not in shipped


def _client(port: int, user: str) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", port, username=user, password=USERS[user], identifier=f"t-{user}")


async def _drain(client: aiomqtt.Client, seconds: float) -> list[tuple[str, bytes]]:
    """Everything delivered within ``seconds`` (used after a marker message proves delivery happened)."""
    got: list[tuple[str, bytes]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for m in client.messages:
                assert isinstance(m.payload, bytes)
                got.append((m.topic.value, m.payload))
    return got


async def _until_marker(client: aiomqtt.Client, marker: bytes) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    async with asyncio.timeout(10):
        async for m in client.messages:
            assert isinstance(m.payload, bytes)
            got.append((m.topic.value, m.payload))
            if m.payload == marker:
                return got
    return got


async def test_a_member_reads_its_own_topic_and_never_another(secured_broker: int) -> None:
    port = secured_broker
    async with _client(port, "BANKA") as bank_a, _client(port, "gateway") as gateway:
        await bank_a.subscribe("ccp/member/BANKA/fpml", qos=1)
        await bank_a.subscribe("ccp/member/BANKB/fpml", qos=1)
        await bank_a.subscribe("ccp/member/#", qos=1)
        await bank_a.subscribe("ccp/out/MW/fpml", qos=1)
        await gateway.publish("ccp/member/BANKB/fpml", b"secret-for-B", qos=1)
        await gateway.publish("ccp/out/MW/fpml", b"secret-for-MW", qos=1)
        await gateway.publish("ccp/member/BANKA/fpml", b"for-A", qos=1)
        got = await _until_marker(bank_a, b"for-A")
        got += await _drain(bank_a, 0.3)
    payloads = [p for _, p in got]
    assert b"for-A" in payloads
    assert b"secret-for-B" not in payloads
    assert b"secret-for-MW" not in payloads
    assert {t for t, _ in got} == {"ccp/member/BANKA/fpml"}


async def test_a_source_cannot_speak_for_another(secured_broker: int) -> None:
    port = secured_broker
    async with _client(port, "gateway") as gateway, _client(port, "MW") as mw:
        await gateway.subscribe("ccp/in/+/fpml", qos=1)
        await mw.publish("ccp/in/OTHER/fpml", b"forged", qos=1)
        await mw.publish("ccp/member/BANKA/fpml", b"forged-status", qos=1)
        await mw.publish("ccp/in/MW/fpml", b"genuine", qos=1)
        got = await _until_marker(gateway, b"genuine")
        got += await _drain(gateway, 0.3)
    assert got == [("ccp/in/MW/fpml", b"genuine")]


async def test_wrong_password_and_anonymous_are_refused(secured_broker: int) -> None:
    port = secured_broker
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", port, username="BANKA", password="wrong"):
            pass
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", port):
            pass


async def test_a_member_cannot_publish_on_an_intake_topic(secured_broker: int) -> None:
    """Member BANKA on its own intake topic or the source's, EVIL (a broker user but no source) on its own,
    the suspended source OLD on its own: the broker denies each, the gateway's user never receives them."""
    port = secured_broker
    async with (
        _client(port, "gateway") as gateway,
        _client(port, "BANKA") as bank_a,
        _client(port, "EVIL") as evil,
        _client(port, "OLD") as old,
        _client(port, "MW") as mw,
    ):
        await gateway.subscribe("ccp/in/+/fpml", qos=1)
        await bank_a.publish("ccp/in/BANKA/fpml", b"member-own-intake", qos=1)
        await bank_a.publish("ccp/in/MW/fpml", b"member-as-source", qos=1)
        await evil.publish("ccp/in/EVIL/fpml", b"evil", qos=1)
        await old.publish("ccp/in/OLD/fpml", b"suspended", qos=1)
        await mw.publish("ccp/in/MW/fpml", b"genuine", qos=1)
        got = await _until_marker(gateway, b"genuine")
        got += await _drain(gateway, 0.3)
    assert got == [("ccp/in/MW/fpml", b"genuine")]


async def test_a_member_receives_its_own_report_notice_and_never_another(
    secured_broker: int, postgres_url: str
) -> None:
    """The notifications of the members' reports, sent by the gateway's publisher from the database: BANKA
    gets its own on ccp/member/BANKA/reports and cannot subscribe to BANKB's."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from gateway.channels.mqtt.report_notices import ReportNoticePublisher
    from gateway.clock import FixedClock
    from gateway.reports import records
    from gateway.reports.writer import WrittenFile, notice_payload
    from gateway.store import open_store
    from gateway.store import tables as t

    port = secured_broker
    day, now = date(2026, 1, 7), datetime(2026, 1, 7, 10, 30, tzinfo=UTC)
    payloads = {
        m: notice_payload(m, day, [WrittenFile("margin.csv", hashlib.sha256(m.encode()).hexdigest(), 2)])
        for m in ("BANKA", "BANKB")
    }
    engine = await open_store(postgres_url)
    try:
        async with engine.begin() as conn:
            for m, payload in payloads.items():
                assert await records.put_notice(conn, records.Notice(m, day, payload), now)
        publisher = ReportNoticePublisher(
            engine=engine, connect=lambda: _client(port, "gateway"), clock=FixedClock(now)
        )
        async with _client(port, "BANKA") as bank_a:
            await bank_a.subscribe("ccp/member/BANKA/reports", qos=1)
            await bank_a.subscribe("ccp/member/BANKB/reports", qos=1)
            await bank_a.subscribe("ccp/member/+/reports", qos=1)
            async with _client(port, "gateway") as gateway:
                assert await publisher.publish_pending(gateway) == 2
            got = await _until_marker(bank_a, payloads["BANKA"])
            got += await _drain(bank_a, 0.3)
        async with engine.connect() as conn:
            delivered = list(await conn.execute(select(t.report_notices.c.delivered_at)))
    finally:
        await engine.dispose()
    assert got == [("ccp/member/BANKA/reports", payloads["BANKA"])]
    assert [d for (d,) in delivered] == [now, now]
