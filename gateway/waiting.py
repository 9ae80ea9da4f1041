"""Waiting for an event with a time limit, without losing a cancellation.

On Python 3.11 ``asyncio.wait_for(event.wait(), t)`` returns normally when the task is cancelled in the
same loop iteration as the event is set: the cancellation is swallowed. A service loop that polls with it
(a publisher waiting for its wake-up) then never ends, and whoever awaits the cancelled task waits forever.
``asyncio.timeout`` tells its own expiry from an outside cancellation, so ``wait_event`` uses it.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set or ``timeout_s`` has passed; True if it was set. A cancellation of the
    waiting task always propagates."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
