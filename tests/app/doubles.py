"""Stand-ins for collaborators being built concurrently by other engineers.

``RecordingPort`` and ``MemoryOutbox`` stand in for the clearing core (gateway/clearing/service.py) and
its store-backed outbox; ``json_parse`` stands in for the FpML reader (gateway.formats.fpml.read) by reading a
canonical-JSON trade. They implement the published contracts (gateway/clearing/ports.py) and nothing more;
the service tests use the real components.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from gateway.clearing.ports import (
    CreditDecision,
    DeliveryChannel,
    OutboxItem,
    Position,
    StatusUpdate,
    Submission,
)
from gateway.domain.codec import trade_from_dict
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import InputRejected, Issue
from gateway.domain.messages import ClearingRequest, InboundMessage, MessageHeader
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade


def json_parse(data: bytes) -> InboundMessage:
    """``{"message_id": ..., "trades": [...], "retracted": false}`` -> ClearingRequest."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputRejected([Issue(ReasonCode.XML_MALFORMED, "/", f"not readable: {exc}")]) from None
    if not isinstance(doc, dict) or "message_id" not in doc:
        raise InputRejected([Issue(ReasonCode.FPML_MISSING_FIELD, "/header/messageId", "no message id")])
    trades = tuple(trade_from_dict(t) for t in doc.get("trades", []))
    return ClearingRequest(
        header=MessageHeader(message_id=str(doc["message_id"]), sent_by="SRC"),
        trades=trades,
        retracted=bool(doc.get("retracted", False)),
        package_id=doc.get("package_id"),
    )


@dataclass
class RecordingPort:
    """Records submissions; ``gate`` (when set) holds every submit until it is released."""

    submissions: list[Submission] = field(default_factory=list)
    withdrawals: list[tuple[str, str]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    refuse: dict[str, Issue] = field(default_factory=dict)  # source_trade_id -> refusal

    async def submit(self, submission: Submission) -> StatusUpdate:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        issue = self.refuse.get(submission.trade.identifiers.source_trade_id)
        if issue is not None:
            raise InputRejected([issue])
        self.submissions.append(submission)
        return _update(
            submission.trade, ClearingStatusCode.RECEIVED, submission.received_at, submission.source
        )

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        self.withdrawals.append((source, source_trade_id))
        trade = next(
            s.trade for s in self.submissions if s.trade.identifiers.source_trade_id == source_trade_id
        )
        return _update(trade, ClearingStatusCode.WITHDRAWN, at, source)

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        raise NotImplementedError("not used by the MQTT intake")

    async def release_credit(self, member: str, order_id: str) -> None:
        raise NotImplementedError("not used by the MQTT intake")

    async def positions(self, member: str, account: str | None, business_date: date) -> Sequence[Position]:
        raise NotImplementedError("not used by the MQTT intake")


def _update(
    trade: Trade, status: ClearingStatusCode, at: datetime, source: str, seq: int = 1
) -> StatusUpdate:
    from gateway.clearing.ports import Channel

    return StatusUpdate(
        sequence=seq,
        submission_id=trade.identifiers.source_trade_id,
        source=source,
        channel=Channel.MQTT_FPML,
        status=status,
        trade=trade,
        at=at,
    )


@dataclass
class MemoryOutbox:
    items: list[OutboxItem] = field(default_factory=list)
    delivered: set[int] = field(default_factory=set)
    fail_next_pending: int = 0

    async def pending(self, channel: DeliveryChannel, limit: int) -> Sequence[OutboxItem]:
        if self.fail_next_pending:
            self.fail_next_pending -= 1
            raise ConnectionError("store unavailable")
        return [i for i in self.items if i.channel is channel and i.id not in self.delivered][:limit]

    async def mark_delivered(self, ids: Sequence[int]) -> None:
        self.delivered.update(ids)


def status_update(trade: Trade, status: ClearingStatusCode, at: datetime, seq: int) -> StatusUpdate:
    return _update(trade, status, at, "SRC", seq)
