"""What the trade source and the members see: every status on the broker and on FIX, by trade."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import aiomqtt
from lxml import etree

from gateway.formats.fix.tags import T

_NS = {"f": "http://www.fpml.org/FpML-5/confirmation"}
# a messageRejected is the gateway's last word on a message: its trade waits no longer
FINAL_KINDS = frozenset({"clearingConfirmed", "clearingRefused", "messageRejected"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_FIX_PREFIX = "fix:"


class Channel(StrEnum):
    """How a recipient is told."""

    MQTT = "FpML/MQTT"
    FIX = "FIX"


def fix_session(comp_id: str) -> str:
    """The ``where`` of what a member's FIX session receives (MQTT statuses are filed under their topic)."""
    return f"{_FIX_PREFIX}{comp_id}"


def channel_of(where: str) -> Channel:
    return Channel.FIX if where.startswith(_FIX_PREFIX) else Channel.MQTT


@dataclass(frozen=True, slots=True)
class Seen:
    topic: str  # the MQTT topic it arrived on, or ``fix_session(CompID)`` for a FIX message
    kind: str  # clearingAcknowledgement, ..., messageRejected; AR / AE on FIX
    status: str  # clearingStatusValue where there is one (on FIX: read from the report's fields)
    codes: tuple[str, ...]  # our reason codes (validationRuleId), else the FpML reason codes / FIX text
    at: float  # time.perf_counter() on receipt

    @property
    def channel(self) -> Channel:
        return channel_of(self.topic)

    @property
    def final(self) -> bool:
        """The gateway's last word on the trade for this recipient: cleared, refused or rejected."""
        if self.kind in FINAL_KINDS:
            return True
        return self.channel is Channel.FIX and self.status in ("Cleared", "Refused", "Rejected")

    @property
    def label(self) -> str:
        """The status as the summary names it: the clearing status, or the FpML document's meaning."""
        return self.status or _DOCUMENT_STATUS.get(self.kind, self.kind)


# FpML documents that carry no clearingStatusValue, by what they tell the recipient
_DOCUMENT_STATUS = {
    "clearingAcknowledgement": "Received",
    "clearingConfirmed": "Cleared",
    "clearingRefused": "Refused",
}


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


def _fix_status(kind: str, fields: Mapping[int, str]) -> str:
    """The clearing status a TradeCaptureReport (AE) or its acknowledgement (AR) tells the member."""
    if fields.get(T.TrdRptStatus) == "1" or fields.get(T.TrdAckStatus) == "1":
        # an AR rejects the report itself (not taken); an AE says the trade was refused
        return "Rejected" if kind == "AR" else "Refused"
    if kind == "AR":
        text = fields.get(T.Text, "")
        return text.removeprefix("status ") if text.startswith("status ") else "acknowledged"
    if fields.get(T.TradeReportType) == "1":
        return "AwaitingAcceptance"  # alleged to this member: its acceptance is awaited
    if fields.get(T.ClearedIndicator) == "1":
        return "Cleared"
    if fields.get(T.TrdRptStatus) == "0":
        return "Accepted"
    # TrdRptStatus 4 (pending new) stands for Received and AwaitingAcceptance alike; a credit wait says so
    return "Pending" if fields.get(T.RiskLimitCheckStatus) == "9" else "PendingNew"


def read_fix(comp_id: str, kind: str, fields: Mapping[int, str]) -> tuple[str, Seen]:
    """(the source's trade id, what was seen) of one AR or AE the member ``comp_id`` received.

    A rejection's reason is the FIX text (``path: what is wrong``), prefixed by TradeReportRejectReason.
    """
    status = _fix_status(kind, fields)
    codes: tuple[str, ...] = ()
    if status in ("Rejected", "Refused"):
        reason = fields.get(T.TradeReportRejectReason, "")
        text = fields.get(T.RejectText) or fields.get(T.Text, "")
        codes = (f"FIX TradeReportRejectReason {reason}: {text}".strip(),)
    trade_id = fields.get(T.TradeID) or fields.get(T.TradeReportID, "")
    return trade_id, Seen(fix_session(comp_id), kind, status, codes, time.perf_counter())


@dataclass
class Observer:
    """Subscribed to the status topics of the demo's source and members, each with that participant's user,
    and told what each member's FIX session receives."""

    by_trade: dict[str, list[Seen]] = field(default_factory=lambda: defaultdict(list))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    count: int = 0
    trade_of_message: dict[str, str] = field(default_factory=dict)  # message / report id -> trade id

    def sent(self, message_id: str, trade_id: str) -> None:
        """Record that ``message_id`` carried ``trade_id``, so a rejection of it is the trade's answer."""
        self.trade_of_message[message_id] = trade_id

    def seen(self, topic: str, payload: bytes) -> None:
        """File one status document under its trade."""
        key, seen = read_status(topic, payload)
        if seen.kind == "messageRejected":
            key = self.trade_of_message.get(key, key)
        self._file(key, seen)

    def seen_fix(self, comp_id: str, kind: str, fields: Mapping[int, str]) -> None:
        """File one AR or AE received by the FIX session ``comp_id`` under its trade."""
        key, seen = read_fix(comp_id, kind, fields)
        self._file(self.trade_of_message.get(key, key), seen)

    def _file(self, trade_id: str, seen: Seen) -> None:
        self.by_trade[trade_id].append(seen)
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
        return next((s for s in self.by_trade.get(trade_id, ()) if s.topic == topic and s.final), None)

    def statuses(self, trade_id: str, topic: str) -> list[str]:
        return [s.label for s in self.by_trade.get(trade_id, ()) if s.topic == topic]

    def all_seen(self) -> tuple[tuple[str, Seen], ...]:
        """Every (trade id, status) in the order received per trade."""
        return tuple((tid, s) for tid, seen in self.by_trade.items() for s in seen)
