"""Per-key ordering for concurrent work: jobs sharing a key run one after another, in arrival order.

Different trades are stored concurrently, but a retraction or a corrected version never overtakes the
request it follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


class KeyedSequencer:
    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._tails)

    def wrap(
        self, keys: Iterable[Hashable], job: Callable[[], Awaitable[T]]
    ) -> Callable[[], Coroutine[Any, Any, T]]:
        """Reserve a place now (call in arrival order); the returned callable waits for its turn, then runs."""
        keys = tuple(dict.fromkeys(keys))
        before = [self._tails[k] for k in keys if k in self._tails]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for k in keys:
            self._tails[k] = done

        async def run() -> T:
            try:
                for f in before:
                    await asyncio.shield(f)
                return await job()
            finally:
                done.set_result(None)
                for k in keys:
                    if self._tails.get(k) is done:
                        del self._tails[k]

        return run
