"""Retry with backoff: the one pause between attempts of every loop that waits for a resource to return.

The MQTT intake and publisher (broker away), the FIX publisher (store away) and the intake's store writes
each retry the same way: wait ``initial_s``, then twice as long after each further failure, never longer
than ``max_s``; back to ``initial_s`` once an attempt succeeds. ``delay`` is the pause the next ``wait``
takes, so a log line can say it before waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[object]]


class Backoff:
    """Doubling pauses from ``initial_s`` up to ``max_s``; ``reset`` after a success."""

    __slots__ = ("_delay", "_initial_s", "_max_s", "_sleep")

    def __init__(self, initial_s: float, max_s: float, *, sleep: Sleep = asyncio.sleep) -> None:
        if not initial_s > 0:
            raise ValueError(f"the first pause must be positive, not {initial_s}")
        if max_s < initial_s:
            raise ValueError(f"the longest pause ({max_s}) must not be below the first ({initial_s})")
        self._initial_s = initial_s
        self._max_s = max_s
        self._delay = initial_s
        self._sleep = sleep

    @property
    def delay(self) -> float:
        """Seconds the next ``wait`` pauses."""
        return self._delay

    def reset(self) -> None:
        """An attempt succeeded: the next failure waits ``initial_s`` again."""
        self._delay = self._initial_s

    async def wait(self) -> None:
        """Pause ``delay`` seconds; the pause after this one is twice as long, up to ``max_s``."""
        await self._sleep(self._delay)
        self._delay = min(self._delay * 2, self._max_s)
