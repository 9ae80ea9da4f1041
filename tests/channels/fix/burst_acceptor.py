"""A FIX acceptor in a process of its own, for tests whose failure would freeze the event loop serving it.

    python -m tests.channels.fix.burst_acceptor PORT DATA_DIR [MAX_UNREAD_BYTES]
                                                                # prints "listening" once members may log on

It runs until killed, with the test members and the in-memory clearing port.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig
from gateway.clock import FixedClock
from tests.channels.fix.conftest import MEMBERS, NOW
from tests.channels.fix.ports import MemoryClearingPort


async def _serve(port: int, data_dir: Path, max_unread: int | None) -> None:
    config = AcceptorConfig(port=port, sessions=MEMBERS, data_dir=data_dir)
    if max_unread is not None:
        config = replace(config, max_unread_bytes=max_unread)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)):
        print("listening", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None))
