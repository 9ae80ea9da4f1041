"""Intake messages held by the embedded broker until the gateway has stored them (end-to-end acknowledgement).

A trade source's QoS 1 PUBLISH on an intake topic is not acknowledged when the broker has read it, but
when the intake consumer (the gateway's own user) has acknowledged it, which the gateway does only
after the submission is stored (gateway/channels/mqtt/intake/loop.py). ``Handoff`` keeps the messages between
those two points: ``new`` makes a ``Held`` when the source's PUBLISH is read, ``enqueue`` queues it once
the topic rules allowed it, and its future ``acknowledged`` is what the source's PUBACK waits on. The
broker's pump takes the queue with ``next_batch`` while a consumer is connected and reports each
message with ``delivered`` (the consumer's PUBACK came) or ``returned`` (its connection went before
that: the message goes back in arrival order, for the next connection).

Nothing here is written to disk: a SIGKILL loses the held messages, but none of them was acknowledged
to its source, which sends it again when it reconnects (QoS 1, clean_session=false).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field

_ids = itertools.count(1)


@dataclass(eq=False)
class Held:
    """One intake message on its way to the consumer; ``acknowledged`` is True once stored, False if dropped."""

    topic: str
    data: bytes
    source_user: str | None
    acknowledged: asyncio.Future[bool]
    seq: int = field(default_factory=lambda: next(_ids))
    sent: bool = False  # handed to a consumer connection at least once


class Handoff:
    """The queue of held intake messages, in arrival order."""

    def __init__(self) -> None:
        self._waiting: deque[Held] = deque()
        self._wakeup = asyncio.Event()

    def __len__(self) -> int:
        return len(self._waiting)

    def __contains__(self, held: object) -> bool:
        return held in self._waiting

    @staticmethod
    def new(topic: str, data: bytes, source_user: str | None) -> Held:
        """A message read from a source, not yet passed by the topic rules."""
        return Held(topic, data, source_user, asyncio.get_running_loop().create_future())

    def enqueue(self, held: Held) -> None:
        """Allowed by the topic rules: to be delivered to the consumer."""
        if held.acknowledged.done():
            return  # the source's connection went meanwhile
        self._waiting.append(held)
        self._wakeup.set()

    def forget(self, held: Held) -> None:
        """The source went away before its message was passed on: it will send it again itself."""
        if not held.sent and held in self._waiting:
            self._waiting.remove(held)
        if not held.acknowledged.done():
            held.acknowledged.cancel()

    def poke(self) -> None:
        """A consumer connected or subscribed: let the pump look again."""
        self._wakeup.set()

    async def wait(self) -> None:
        await self._wakeup.wait()
        self._wakeup.clear()

    def next_batch(self) -> list[Held]:
        """Every waiting message, marked as sent; the caller delivers them or ``returned`` them."""
        batch = list(self._waiting)
        self._waiting.clear()
        for held in batch:
            held.sent = True
        return batch

    def delivered(self, held: Held) -> None:
        if not held.acknowledged.done():
            held.acknowledged.set_result(True)

    def returned(self, held: Held) -> None:
        """Not acknowledged by the consumer (its connection dropped): first in line for the next one."""
        if held.acknowledged.done():
            return  # the source is gone; it resends the message itself
        self._waiting.append(held)
        self._waiting = deque(sorted(self._waiting, key=lambda h: h.seq))  # arrival order, as first sent
        self._wakeup.set()

    def dropped(self, held: Held) -> None:
        """Refused by the topic rules: the source gets its PUBACK (as from Mosquitto), nobody the message."""
        if held in self._waiting:
            self._waiting.remove(held)
        if not held.acknowledged.done():
            held.acknowledged.set_result(False)
