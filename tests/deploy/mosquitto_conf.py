"""deploy/mosquitto/mosquitto.conf adapted to a test broker: file locations and ports only.

    conf = render(tmp_path, port=p, passwd=..., acl=...)                       # the plain listener only
    conf = render(tmp_path, port=p, passwd=..., acl=..., tls_port=t, certs=d)  # and the TLS listener

Without ``tls_port`` the TLS listener's lines are left out (a test of the ACL needs no certificates);
with it, its port and certificate paths are replaced and every TLS option is kept as deployed.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
TLS_KEYS = ("certfile", "keyfile", "cafile", "tls_version", "require_certificate")


def render(
    folder: Path,
    *,
    port: int,
    passwd: Path,
    acl: Path,
    tls_port: int | None = None,
    certs: Path | None = None,
) -> str:
    lines = []
    for line in (DEPLOY / "mosquitto.conf").read_text().splitlines():
        key, _, value = line.partition(" ")
        if line == "listener 1883":
            line = f"listener {port} 127.0.0.1"
        elif line == "listener 8883":
            if tls_port is None:
                continue
            line = f"listener {tls_port} 127.0.0.1"
        elif key in TLS_KEYS:
            if tls_port is None:
                continue
            if key in ("certfile", "keyfile", "cafile"):
                assert certs is not None
                line = f"{key} {certs / Path(value).name}"
        lines.append(line)
    conf = (
        "\n".join(lines)
        .replace("/mosquitto/config/passwd", str(passwd))
        .replace("/mosquitto/config/acl", str(acl))
        .replace("/mosquitto/data/", f"{folder / 'data'}/")
    )
    assert str(passwd) in conf
    assert f"listener {port} 127.0.0.1" in conf
    return conf + "\n"


def require_mosquitto() -> None:
    """Skip without Mosquitto installed; under CI its absence fails the test."""
    from tests.conftest import services_required

    if shutil.which("mosquitto") is None or shutil.which("mosquitto_passwd") is None:
        if services_required():
            pytest.fail("mosquitto and mosquitto_passwd are required under CI")
        pytest.skip("mosquitto is not installed")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running(conf: Path, ports: Sequence[int]) -> Iterator[None]:
    """A Mosquitto process on ``conf`` until the block ends, once every one of ``ports`` listens."""
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10  # a bound against hanging, not a timing
        while not all(_listening(p) for p in ports):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"mosquitto did not start with deploy's configuration:\n{out}")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
