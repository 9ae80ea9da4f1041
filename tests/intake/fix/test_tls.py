"""A FIX session through stunnel with mutual TLS, using deploy/stunnel/fix-acceptor.conf.

Throwaway certificates are made with openssl; the shipped configuration is used with only its paths
and ports replaced, so the TLS options tested are the ones deployed.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.clock import FixedClock
from gateway.intake.fix.acceptor import FixAcceptor
from tests.conftest import services_required
from tests.intake.fix.client import Disconnected, FixClient, pairs_of
from tests.intake.fix.conftest import NOW, REPO, free_port, make_config
from tests.intake.fix.ports import MemoryClearingPort

SHIPPED = REPO / "deploy" / "stunnel" / "fix-acceptor.conf"


def _stunnel() -> str:
    path = shutil.which("stunnel") or shutil.which("stunnel4")
    if path is None or shutil.which("openssl") is None:
        message = "stunnel and openssl are needed (apt-get install -y stunnel4 openssl)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    return path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(d: Path) -> None:
    days = ["-days", "2"]
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        *days,
        "-subj",
        "/CN=test-member-ca",
        "-keyout",
        "ca.key",
        "-out",
        "member-ca.crt",
        cwd=d,
    )
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        *days,
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        "ccp-server.key",
        "-out",
        "ccp-server.crt",
        cwd=d,
    )
    for name in ("member", "stranger"):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
    _openssl(
        "x509",
        "-req",
        "-in",
        "member.csr",
        "-CA",
        "member-ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        *days,
        "-out",
        "member.crt",
        cwd=d,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "stranger.csr",
        "-signkey",
        "stranger.key",
        *days,
        "-out",
        "stranger.crt",
        cwd=d,
    )


def _render(d: Path, tls_port: int, fix_port: int) -> Path:
    replace = {
        "accept": f"127.0.0.1:{tls_port}",
        "connect": f"127.0.0.1:{fix_port}",
        "cert": str(d / "ccp-server.crt"),
        "key": str(d / "ccp-server.key"),
        "CAfile": str(d / "member-ca.crt"),
        "output": str(d / "stunnel.log"),
    }
    lines = []
    for line in SHIPPED.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = {replace[key]}" if "=" in line and key in replace else line)
    path = d / "stunnel.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    while proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # stunnel is still starting
    raise AssertionError(f"stunnel exited with {proc.returncode}")


@pytest.fixture
def tunnel(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    binary = _stunnel()
    _certificates(tmp_path)
    tls_port, fix_port = free_port(), free_port()
    proc = subprocess.Popen(
        [binary, str(_render(tmp_path, tls_port, fix_port))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(tls_port, proc)
        yield tmp_path, tls_port, fix_port
    finally:
        proc.terminate()
        proc.wait()


def _context(d: Path, name: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(d / "ccp-server.crt"))
    ctx.load_cert_chain(str(d / f"{name}.crt"), str(d / f"{name}.key"))
    return ctx


async def _connect_and_logon(client: FixClient) -> None:
    await client.connect()
    await client.logon()


async def test_session_runs_through_stunnel_with_a_member_certificate(tunnel: tuple[Path, int, int]) -> None:
    d, tls_port, fix_port = tunnel
    config = dataclasses.replace(make_config(d, allowed_remote_addresses=("127.0.0.1",)), port=fix_port)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)):
        client = FixClient("localhost", tls_port, tls=_context(d, "member"))
        await client.connect()
        logon = dict(pairs_of(await client.logon()))
        assert (logon[35], logon[56]) == ("A", "MEMBER1")
        await client.send([(35, "1"), (112, "OVER-TLS")])
        assert dict(pairs_of(await client.receive()))[112] == "OVER-TLS"
        await client.logout()
        await client.close()

        stranger = FixClient("localhost", tls_port, tls=_context(d, "stranger"))
        with pytest.raises((ssl.SSLError, ConnectionError, Disconnected)):
            await _connect_and_logon(stranger)
        await stranger.close()
    log = (d / "stunnel.log").read_text()
    assert "certificate verify failed" in log or "CERT: Verification error" in log
