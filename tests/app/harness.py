"""Helpers for the end-to-end service tests: a subscriber that keeps every status, FpML readers for them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import aiomqtt
from lxml import etree

FPML = "{http://www.fpml.org/FpML-5/confirmation}"


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    kind: str  # root element: clearingAcknowledgement, clearingStatus, clearingConfirmed, ...
    doc: etree._Element

    def text(self, xpath: str) -> str:
        return str(self.doc.xpath(f"string({xpath})", namespaces={"f": FPML[1:-1]}))

    @property
    def correlation(self) -> str:
        return self.text("f:correlationId")

    @property
    def status(self) -> str:
        return self.text("f:trade/f:status | f:clearingStatusItem/f:status | .//f:status")

    @property
    def reason_codes(self) -> list[str]:
        return [
            str(x) for x in self.doc.xpath(".//f:reason/f:reasonCode/text()", namespaces={"f": FPML[1:-1]})
        ]


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], within: float = 20
    ) -> list[Received]:
        async with asyncio.timeout(within), self.changed:
            await self.changed.wait_for(lambda: predicate(self.messages))
        return self.messages

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.messages if m.topic == topic]


@contextlib.asynccontextmanager
async def subscribed(
    host: str, port: int, topics: Iterable[str], *, username: str | None = None, password: str | None = None
) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    async with aiomqtt.Client(host, port, username=username, password=password) as client:
        for t in topics:
            await client.subscribe(t, qos=1)

        async def pump() -> None:
            async for m in client.messages:
                assert isinstance(m.payload, bytes)
                doc = etree.fromstring(m.payload)
                async with inbox.changed:
                    inbox.messages.append(Received(m.topic.value, etree.QName(doc).localname, doc))
                    inbox.changed.notify_all()

        task = asyncio.create_task(pump())
        try:
            yield inbox
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
