"""Fixtures for the FIX acceptor tests: a fresh acceptor on a free port.

The ClearingPort behind it is ``MemoryClearingPort`` (tests/channels/fix/ports.py), a test double standing in
for the clearing service that is being built concurrently; the service wires the real one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway import loopback
from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig, FixSession
from gateway.clock import FixedClock
from tests.channels.fix.ports import MemoryClearingPort
from tests.strategies import LEI_A, LEI_B

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MEMBERS = (
    FixSession("MEMBER1", LEI_A, accounts=("HOUSE", "CLIENT1")),
    FixSession("MEMBER2", LEI_B),
    FixSession("SUSPENDED", "5493000000000000SUSP", enabled=False),
    FixSession("VENUE", "VENUE-LEI", trade_source=True),
)


def free_port() -> int:
    return loopback.free_port()


def make_config(tmp_path: Path, **kw: object) -> AcceptorConfig:
    return AcceptorConfig(port=free_port(), sessions=MEMBERS, data_dir=tmp_path / "fix", **kw)  # type: ignore[arg-type]


@pytest.fixture
def fix_config(tmp_path: Path) -> AcceptorConfig:
    return make_config(tmp_path)


@pytest.fixture
def memory_port() -> MemoryClearingPort:
    return MemoryClearingPort()


@pytest.fixture
async def acceptor(fix_config: AcceptorConfig, memory_port: MemoryClearingPort) -> AsyncIterator[FixAcceptor]:
    async with FixAcceptor(fix_config, memory_port, clock=FixedClock(NOW)) as running:
        yield running
