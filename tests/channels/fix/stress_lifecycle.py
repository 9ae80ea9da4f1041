"""Start and stop the FIX acceptor many times in one process while members are logged on and sending.

    python -m tests.channels.fix.stress_lifecycle --cycles 30 --data-dir /tmp/fix-stress

Each cycle starts a ``FixAcceptor`` on the same data directory (a restart: FileStore sequence numbers
carry over), logs on every enabled member, lets them submit trade reports and test requests without
waiting, has the event loop push business rejects to every session, and then leaves the ``async with``
while all of that is still going on; connections keep arriving during the stop. The members answer the
CCP's Logout as an engine does. Every cycle checks that the members were answered. The process exits 0
only if every cycle passed: a crash in quickfix (a segfault or an abort) shows as a signal exit status,
which is why the test runs this in a subprocess.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
from pathlib import Path

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig
from gateway.clock import FixedClock
from gateway.formats.fix import replies
from tests.channels.fix.client import Disconnected, FixClient, pairs_of
from tests.channels.fix.conftest import MEMBERS, NOW, free_port
from tests.channels.fix.ports import MemoryClearingPort
from tests.channels.fix.script import GOLDEN, parse_pairs

TRADE = parse_pairs((GOLDEN / "vanilla_report.fix").read_text(encoding="utf-8"))
SENDERS = [m.comp_id for m in MEMBERS if m.enabled and not m.trade_source]
_ENDED = (Disconnected, ConnectionError, TimeoutError, OSError)


class Member:
    """One member's engine for the stress run: logs on, then sends without waiting for answers."""

    def __init__(self, port: int, comp_id: str, cycle: int) -> None:
        self.client = FixClient("127.0.0.1", port, sender=comp_id)
        self.comp_id = comp_id
        self.cycle = cycle
        self.logged_on = asyncio.Event()
        self.answers = 0

    async def run(self) -> None:
        with contextlib.suppress(*_ENDED):
            await self.client.connect()
            logon = dict(pairs_of(await self.client.logon(_141="Y")))
            if logon.get(35) != "A":
                return
            self.logged_on.set()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._read(), name=f"read-{self.comp_id}")
                tg.create_task(self._write(), name=f"write-{self.comp_id}")
        await self.client.close()

    async def _read(self) -> None:
        with contextlib.suppress(*_ENDED):
            while True:
                message = await self.client.receive()
                self.answers += 1
                if message.get(35) == b"5":  # the CCP is stopping: answer its Logout, as an engine does
                    await self.client.send([(35, "5")])

    async def _write(self) -> None:
        with contextlib.suppress(*_ENDED):
            n = 0
            while True:
                n += 1
                report = f"C{self.cycle}-{self.comp_id}-{n}"
                trade = [(t, f"{report}-T" if t == 1003 else v) for t, v in TRADE]
                head = [(35, "AE"), (571, report), (487, "0"), (856, "0"), (60, "20260105-09:00:00.000")]
                await self.client.send([*head, *trade])
                await self.client.send([(35, "1"), (112, report)])
                await asyncio.sleep(0)


async def _push(fix: FixAcceptor) -> None:
    """The event loop keeps sending on every session, as the outbox publisher does."""
    n = 0
    while True:
        for comp_id in SENDERS:
            n += 1
            out = replies.business_reject(
                ref_msg_type="AE", ref_seq_num=None, ref_id=f"P{n}", reason="0", text="stress"
            )
            fix.send(comp_id, out)
        await asyncio.sleep(0)


async def _late_connections(port: int) -> None:
    """Connections that arrive while the acceptor is stopping: a Logon and raw noise."""
    while True:
        client = FixClient("127.0.0.1", port, sender=random.choice(SENDERS))
        with contextlib.suppress(*_ENDED):
            await client.connect()
            await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9"), (141, "Y")])
            await client.send_raw(b"8=FIXT.1.1\x019=5\x0135=0\x0110=000\x01")
        await client.close()
        await asyncio.sleep(0.005)


async def cycle(config: AcceptorConfig, n: int, rng: random.Random) -> None:
    members = [Member(config.port, comp_id, n) for comp_id in SENDERS]
    async with asyncio.TaskGroup() as tg:
        async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as fix:
            tasks = [tg.create_task(m.run(), name=f"member-{m.comp_id}") for m in members]
            pushing = tg.create_task(_push(fix), name="push")
            for m in members:
                await asyncio.wait_for(m.logged_on.wait(), 10)
            await asyncio.sleep(rng.uniform(0.02, 0.2))  # let the traffic build up
            late = tg.create_task(_late_connections(config.port), name="late")
            # leaving the block stops the acceptor while members send and the loop pushes
        pushing.cancel()
        late.cancel()
        for task in tasks:
            task.cancel()
    if not all(m.answers for m in members):
        raise AssertionError(
            f"cycle {n}: a member was never answered: {[(m.comp_id, m.answers) for m in members]}"
        )


async def main_async(cycles: int, data_dir: Path, seed: int) -> None:
    rng = random.Random(seed)
    config = AcceptorConfig(port=free_port(), sessions=MEMBERS, data_dir=data_dir)
    for n in range(1, cycles + 1):
        await cycle(config, n, rng)
        print(f"cycle {n} ok", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(args.cycles, args.data_dir, args.seed))
    print(f"{args.cycles} cycles ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
