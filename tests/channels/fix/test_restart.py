"""Kill the acceptor process mid-session (SIGKILL) and restart it: the session and its data survive.

The acceptor runs as ``python -m gateway.channels.fix`` with the SQLite stand-in port from
``tests/channels/fix/ports.py`` (durable, until the real clearing service is wired in).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.fix.client import FixClient, pairs_of
from tests.channels.fix.conftest import REPO, free_port
from tests.channels.fix.script import GOLDEN, parse_pairs

TRADE = parse_pairs((GOLDEN / "vanilla_report.fix").read_text())


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "fix.toml"
    path.write_text(
        f"""
[acceptor]
port = {port}
comp_id = "CCP"
data_dir = "data"

[[members]]
comp_id = "MEMBER1"
participant = "549300VBWWV6BYQOWM67"
""",
        encoding="utf-8",
    )
    return path


class Gateway:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway.channels.fix",
                "--config",
                str(self.config),
                "--port-factory",
                "tests.channels.fix.ports:make_sqlite_port",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # wait for the banner
            if "listening on port" in line:
                return
        raise AssertionError(f"acceptor did not start (exit {self.proc.wait()})")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[Gateway, int]]:
    port = free_port()
    gw = Gateway(_config(tmp_path, port))
    yield gw, port
    gw.stop()


def _ae(report_id: str, seq: int, *extra: tuple[int, str]) -> list[tuple[int, str]]:
    return [
        (35, "AE"),
        (34, str(seq)),
        *extra,
        (571, report_id),
        (487, "0"),
        (856, "0"),
        (60, "20260105-09:00:00.000"),
        *TRADE,
    ]


def _submissions(tmp_path: Path) -> list[str]:
    db = sqlite3.connect(tmp_path / "data" / "submissions.sqlite")
    try:
        return [r[0] for r in db.execute("SELECT message_id FROM submission ORDER BY id")]
    finally:
        db.close()


async def test_sigkill_and_restart_keeps_sequence_numbers_and_submissions(
    gateway: tuple[Gateway, int], tmp_path: Path
) -> None:
    gw, port = gateway
    await asyncio.to_thread(gw.start)
    client = FixClient("127.0.0.1", port)
    await client.connect()
    logon = pairs_of(await client.logon())
    assert (34, "1") in logon
    await client.send(_ae("R1", 2))
    ack = dict(pairs_of(await client.receive()))
    assert (ack[35], ack[34], ack[571], ack[1523]) == ("AR", "2", "R1", "0")

    await asyncio.to_thread(gw.kill)  # no logout, no flush: the process is gone
    await client.close()
    await asyncio.to_thread(gw.start)

    client = FixClient("127.0.0.1", port)
    client.next_seq = 3
    await client.connect()
    again = dict(pairs_of(await client.logon()))
    assert (again[35], again[34]) == ("A", "3")  # the acceptor's numbers continue after 1 (Logon) and 2 (AR)
    # The member re-sends R1 (it cannot know the ack was durable) and sends R2.
    await client.send(_ae("R1", 4, (97, "Y")))
    again = dict(pairs_of(await client.receive()))
    assert (again[35], again[34], again[571], again[1523], again[939]) == ("AR", "4", "R1", "0", "4")
    await client.send(_ae("R2", 5))
    second = dict(pairs_of(await client.receive()))
    assert (second[35], second[571], second[1523]) == ("AR", "R2", "0")
    await client.logout()
    await client.close()
    # R1 registered once; R2 is the same trade (same trade id and version), so it answers R1's outcome.
    assert _submissions(tmp_path) == ["R1"]
