"""Golden conversations over real TCP: every script in tests/golden/fix/*.def against a fresh acceptor.

The clearing port is the in-memory test double of tests/channels/fix/ports.py (the clearing service is being
built concurrently); it de-duplicates as the real one does.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from tests.channels.fix.ports import MemoryClearingPort
from tests.channels.fix.script import GOLDEN, run

SCRIPTS = sorted(GOLDEN.glob("*.def"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_script(script: Path, acceptor: FixAcceptor) -> None:
    await run(script, "127.0.0.1", acceptor.config.port)


async def test_duplicate_submission_registers_once(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    await run(GOLDEN / "duplicate_submission.def", "127.0.0.1", acceptor.config.port)
    assert [s.message_id for s in memory_port.submissions] == ["R1"]


async def test_unknown_comp_id_is_logged_and_never_reaches_quickfix(
    acceptor: FixAcceptor, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        await run(GOLDEN / "unknown_comp_id.def", "127.0.0.1", acceptor.config.port)
    assert any(
        "channel=fix identity=NOBODY reason=FIX_UNKNOWN_COMP_ID" in r.getMessage() for r in caplog.records
    )
    assert acceptor.gate is not None
    assert acceptor.gate.refused == 1
    events = (acceptor.config.log_dir / "GLOBAL.event.current.log").read_text()
    assert "NOBODY" not in events  # answered by the gate: quickfix had no connection to log
