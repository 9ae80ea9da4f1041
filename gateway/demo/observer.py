"""What the trade source and the members see: every status on the broker, by trade."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field

import aiomqtt
from lxml import etree

_NS = {"f": "http://www.fpml.org/FpML-5/confirmation"}
FINAL_KINDS = frozenset({"clearingConfirmed", "clearingRefused"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True, slots=True)
class Seen:
    topic: str
    kind: str  # clearingAcknowledgement, clearingStatus, clearingConfirmed, clearingRefused, messageRejected
    status: str  # clearingStatusValue where there is one
    codes: tuple[str, ...]  # our reason codes (validationRuleId), else the FpML reason codes
    at: float  # time.perf_counter() on receipt


def read_status(topic: str, payload: bytes) -> tuple[str, Seen]:
    """(correlation id, what was seen) of one status document."""
    doc = etree.fromstring(payload, _PARSER)
    kind = etree.QName(doc).localname
    correlation = str(doc.xpath("string(f:correlationId)", namespaces=_NS))
    status = str(doc.xpath("string(.//f:clearingStatusValue)", namespaces=_NS))
    rules = [el.text or "" for el in doc.iterfind(".//f:reason/f:validationRuleId", _NS)]
    codes = rules or [el.text or "" for el in doc.iterfind(".//f:reason/f:reasonCode", _NS)]
    return correlation, Seen(topic, kind, status, tuple(codes), time.perf_counter())


@dataclass
class Observer:
    """Subscribed to the status topics of the demo's source and members, each with that participant's user."""

    by_trade: dict[str, list[Seen]] = field(default_factory=lambda: defaultdict(list))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    count: int = 0

    async def run_all(self, watches: list[tuple[aiomqtt.Client, str]]) -> None:
        """Each client reads its one topic (the broker grants a participant its own topics only)."""
        async with asyncio.TaskGroup() as tg:
            for client, topic in watches:
                tg.create_task(self.run(client, (topic,)))

    async def run(self, client: aiomqtt.Client, topics: tuple[str, ...]) -> None:
        for topic in topics:
            await client.subscribe(topic, qos=1)
        async for message in client.messages:
            if not isinstance(message.payload, bytes):
                continue
            correlation, seen = read_status(message.topic.value, message.payload)
            self.by_trade[correlation].append(seen)
            self.count += 1
            self.changed.set()

    def final(self, trade_id: str, topic: str) -> Seen | None:
        return next(
            (s for s in self.by_trade.get(trade_id, ()) if s.topic == topic and s.kind in FINAL_KINDS), None
        )

    def statuses(self, trade_id: str, topic: str) -> list[str]:
        return [s.status or s.kind for s in self.by_trade.get(trade_id, ()) if s.topic == topic]
