import asyncio
import contextlib
import sys

from gateway.waiting import wait_event


async def _poll_forever(event: asyncio.Event, wait: object) -> None:
    while True:  # a publisher's loop: wait for a wake-up or the poll interval, then work
        await wait(event)  # type: ignore[operator]
        event.clear()


async def _cancel_as_the_event_is_set(wait: object) -> asyncio.Task[None]:
    event = asyncio.Event()
    task = asyncio.create_task(_poll_forever(event, wait))
    await asyncio.sleep(0)  # the task waits on the event
    event.set()  # wakes the waiter ...
    task.cancel()  # ... and the stop arrives in the same loop iteration
    done, _ = await asyncio.wait({task}, timeout=2)  # a bound against the hang, not a timing
    if not done:
        task.cancel()  # a second cancel ends the loop that swallowed the first
        await asyncio.wait({task}, timeout=2)
    return task if done else None  # type: ignore[return-value]


async def test_a_cancel_that_arrives_as_the_event_is_set_ends_the_loop() -> None:
    task = await _cancel_as_the_event_is_set(lambda e: wait_event(e, 10))
    assert task is not None
    assert task.cancelled()


async def test_wait_for_on_this_python_is_what_wait_event_replaces() -> None:
    # documents the defect: asyncio.wait_for swallows that cancellation and the loop goes on
    async def with_wait_for(e: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(e.wait(), 10)

    task = await _cancel_as_the_event_is_set(with_wait_for)
    swallowed = task is None
    assert swallowed == (sys.version_info < (3, 12))  # rewritten on asyncio.timeout from 3.12


async def test_wait_event_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    event.set()
    assert await wait_event(event, 10) is True
