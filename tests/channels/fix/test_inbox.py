"""The inbox between quickfix's threads and a member's worker: every message arrives, in order, however
the puts and the wake-ups interleave."""

from __future__ import annotations

import asyncio
import threading

from gateway.channels.fix.bridge import Inbox


async def test_messages_put_from_other_threads_all_arrive_in_order() -> None:
    loop = asyncio.get_running_loop()
    inbox = Inbox(loop)
    per_thread, threads = 5_000, 3
    start = threading.Barrier(threads)

    def producer(name: str) -> None:
        start.wait()
        for i in range(per_thread):
            inbox.put(f"{name}-{i}")

    async def consume() -> list[str]:
        seen: list[str] = []
        while len(seen) < per_thread * threads:
            while inbox.items:
                seen.append(inbox.items.popleft()[0])
            if len(seen) < per_thread * threads:
                await inbox.wait()
        return seen

    consumer = asyncio.create_task(consume())
    workers = [threading.Thread(target=producer, args=(f"t{n}",)) for n in range(threads)]
    for w in workers:
        w.start()
    seen = await asyncio.wait_for(consumer, 120)  # a lost wake-up would leave the consumer waiting
    for w in workers:
        w.join()
    for n in range(threads):
        mine = [s for s in seen if s.startswith(f"t{n}-")]
        assert mine == [f"t{n}-{i}" for i in range(per_thread)]
    assert not inbox.items


async def test_one_wake_up_hands_over_everything_put_before_it_runs() -> None:
    loop = asyncio.get_running_loop()
    inbox = Inbox(loop)
    wakes = 0
    original = loop.call_soon_threadsafe

    def counting(callback, *args):  # type: ignore[no-untyped-def]
        nonlocal wakes
        wakes += 1
        return original(callback, *args)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign,assignment]
    try:
        for i in range(100):  # the loop does not run in between: one wake-up is scheduled, not 100
            inbox.put(str(i))
        await inbox.wait()
        assert wakes == 1
        assert [raw for raw, _ in inbox.items] == [str(i) for i in range(100)]
        inbox.items.clear()
        inbox.put("after")  # the wake-up has run: the next message schedules another
        await inbox.wait()
        assert wakes == 2
    finally:
        loop.call_soon_threadsafe = original  # type: ignore[method-assign]
