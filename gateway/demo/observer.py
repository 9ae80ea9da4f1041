"""What the trade source and the members see: every status on the broker, by trade."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field

import aiomqtt
from lxml import etree

_NS = {"f": "http://www.fpml.org/FpML-5/confirmation"}
# a messageRejected is the gateway's last word on a message: its trade waits no longer
FINAL_KINDS = frozenset({"clearingConfirmed", "clearingRefused", "messageRejected"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True, slots=True)
class Seen:
    topic: str
    kind: str  # clearingAcknowledgement, clearingStatus, clearingConfirmed, clearingRefused, messageRejected
    status: str  # clearingStatusValue where there is one
    codes: tuple[str, ...]  # our reason codes (validationRuleId), else the FpML reason codes
    at: float  # time.perf_counter() on receipt


def read_status(topic: str, payload: bytes) -> tuple[str, Seen]:
    """(correlation id, what was seen) of one status document.

    A ``messageRejected`` has no correlation id: it is keyed by the message it answers (``inReplyTo``),
    with our reason codes read from each reason's description (``CODE: what is wrong``).
    """
    doc = etree.fromstring(payload, _PARSER)
    kind = etree.QName(doc).localname
    if kind == "messageRejected":
        answered = str(doc.xpath("string(f:header/f:inReplyTo)", namespaces=_NS))
        codes = [
            (el.text or "").split(":", 1)[0].strip() for el in doc.iterfind("f:reason/f:description", _NS)
        ]
        codes = [c for c in codes if c] or [
            el.text or "" for el in doc.iterfind("f:reason/f:reasonCode", _NS)
        ]
        return answered, Seen(topic, kind, "", tuple(codes), time.perf_counter())
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
    trade_of_message: dict[str, str] = field(default_factory=dict)  # message id -> trade id

    def sent(self, message_id: str, trade_id: str) -> None:
        """Record that ``message_id`` carried ``trade_id``, so a rejection of it is the trade's answer."""
        self.trade_of_message[message_id] = trade_id

    def seen(self, topic: str, payload: bytes) -> None:
        """File one status document under its trade."""
        key, seen = read_status(topic, payload)
        if seen.kind == "messageRejected":
            key = self.trade_of_message.get(key, key)
        self.by_trade[key].append(seen)
        self.count += 1
        self.changed.set()

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
            self.seen(message.topic.value, message.payload)

    def final(self, trade_id: str, topic: str) -> Seen | None:
        return next(
            (s for s in self.by_trade.get(trade_id, ()) if s.topic == topic and s.kind in FINAL_KINDS), None
        )

    def statuses(self, trade_id: str, topic: str) -> list[str]:
        return [s.status or s.kind for s in self.by_trade.get(trade_id, ()) if s.topic == topic]
