"""A member that sends a long burst without waiting for answers gets every answer.

The acceptor handles a member's queued messages one after another on the event loop, and quickfix's send
blocks once its socket is full; only the event loop (the logon gate) empties that socket. So the worker
must let the loop run between messages, or a burst freezes the acceptor. It runs in a process of its own
here, so that a frozen acceptor fails the test instead of freezing it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.channels.fix.client import FixClient, pairs_of
from tests.channels.fix.conftest import REPO, free_port
from tests.channels.fix.script import GOLDEN, parse_pairs

TRADE = parse_pairs((GOLDEN / "vanilla_report.fix").read_text(encoding="utf-8"))
BURST = 3000  # answers of about 300 bytes each: far more than the sockets between quickfix and the gate hold
HANG_GUARD_S = 120.0  # an upper bound so that a frozen acceptor fails the test, not a timing assertion


def _wait_listening(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening" in line:
            return
    raise AssertionError("the acceptor process ended before listening")


async def _answers(client: FixClient, count: int) -> list[dict[int, str]]:
    got: list[dict[int, str]] = []
    while len(got) < count:
        msg = dict(pairs_of(await client.receive(HANG_GUARD_S)))
        if msg[35] == "AR":
            got.append(msg)
    return got


def _spawn(port: int, data: Path, max_unread: int | None = None) -> subprocess.Popen[str]:
    extra = [] if max_unread is None else [str(max_unread)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.channels.fix.burst_acceptor", str(port), str(data), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def test_a_burst_sent_without_waiting_is_answered_in_full_and_in_order(tmp_path: Path) -> None:
    port = free_port()
    proc = _spawn(port, tmp_path / "fix")
    try:
        await asyncio.to_thread(_wait_listening, proc)
        client = FixClient("127.0.0.1", port)
        await client.connect()
        await client.logon()
        burst = []
        for i in range(BURST):
            report = [(35, "AE"), (571, f"R{i}"), (487, "0"), (856, "0"), (60, "20260105-09:00:00.000")]
            burst.append(client.build(report + [(t, f"T{i}" if t == 1003 else v) for t, v in TRADE]))
            client.next_seq += 1
        assert client.writer is not None
        client.writer.write(b"".join(burst))  # all of it at once; the answers are read meanwhile
        answers = await asyncio.wait_for(_answers(client, BURST), HANG_GUARD_S)
        assert [a[571] for a in answers] == [f"R{i}" for i in range(BURST)]
        assert {a[1523] for a in answers} == {"0"}  # every report accepted
        await client.close()
    finally:
        proc.kill()
        proc.wait()
