"""Starting and stopping the acceptor while members are logged on and sending must never crash the process.

quickfix 1.16's ``ThreadedSocketAcceptor.stop`` corrupted the heap when a connection arrived or ended
while it stopped (see ``gateway/channels/fix/acceptor.py``). The stress run starts and stops the acceptor
many times in one process with live sessions, the event loop sending on them and connections arriving
during the stop; it runs in a subprocess so that a crash is a failing exit status here rather than the end
of the pytest run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.channels.fix import acceptor as acceptor_module
from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig
from gateway.channels.fix.engine import quickfix_threads
from gateway.formats.fix import replies
from tests.channels.fix.client import FixClient, pairs_of
from tests.channels.fix.conftest import REPO
from tests.channels.fix.ports import MemoryClearingPort

CYCLES = 12


@pytest.mark.parametrize("seed", [1, 2])
def test_start_stop_with_live_sessions_many_times_in_one_process(tmp_path: Path, seed: int) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            "-m",
            "tests.channels.fix.stress_lifecycle",
            "--cycles",
            str(CYCLES),
            "--seed",
            str(seed),
            "--data-dir",
            str(tmp_path / "fix"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,  # a bound against a hang, not a timing assertion
        check=False,
    )
    assert proc.returncode == 0, (
        f"exit status {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-6000:]}"
    )
    assert f"{CYCLES} cycles ok" in proc.stdout


async def test_stop_leaves_no_quickfix_thread_and_refuses_sends(
    fix_config: AcceptorConfig, memory_port: MemoryClearingPort
) -> None:
    before = quickfix_threads()
    async with FixAcceptor(fix_config, memory_port) as fix:
        client = FixClient("127.0.0.1", fix_config.port)
        await client.connect()
        assert dict(pairs_of(await client.logon()))[35] == "A"
        running = quickfix_threads()
    # the member is still connected when the block ends: the stop ends its connection itself
    await client.expect_closed()
    await client.close()
    if before is not None and running is not None:  # Linux: quickfix's threads are named
        assert running >= 2  # the accept thread and the member's connection thread
        assert quickfix_threads() == before
    assert not fix.is_logged_on("MEMBER1")
    assert fix.logged_on == frozenset()
    reject = replies.business_reject(ref_msg_type="AE", ref_seq_num=None, ref_id="X", reason="0", text="late")
    assert fix.send("MEMBER1", reject) is False  # nothing reaches quickfix once it is stopped


async def test_an_internal_port_taken_before_quickfix_binds_it_is_replaced(
    fix_config: AcceptorConfig, memory_port: MemoryClearingPort, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104 - quickfix binds every interface: so must the squatter
        taken.listen()
        chosen = [int(taken.getsockname()[1])]
        real = acceptor_module._free_loopback_port

        def first_taken() -> int:
            chosen.append(real())
            return chosen.pop(0)

        monkeypatch.setattr(acceptor_module, "_free_loopback_port", first_taken)
        async with FixAcceptor(fix_config, memory_port) as fix:
            assert fix.internal_port != taken.getsockname()[1]
            client = FixClient("127.0.0.1", fix_config.port)
            await client.connect()
            assert dict(pairs_of(await client.logon()))[35] == "A"
            await client.logout()
            await client.close()
