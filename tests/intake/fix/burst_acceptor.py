"""A FIX acceptor in a process of its own, for tests whose failure would freeze the event loop serving it.

    python -m tests.intake.fix.burst_acceptor PORT DATA_DIR     # prints "listening" once members may log on

It runs until killed, with the test members and the in-memory clearing port.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from gateway.clock import FixedClock
from gateway.intake.fix.acceptor import FixAcceptor
from gateway.intake.fix.config import AcceptorConfig
from tests.intake.fix.conftest import MEMBERS, NOW
from tests.intake.fix.ports import MemoryClearingPort


async def _serve(port: int, data_dir: Path) -> None:
    config = AcceptorConfig(port=port, members=MEMBERS, data_dir=data_dir)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)):
        print("listening", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), Path(sys.argv[2])))
