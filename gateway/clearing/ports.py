"""The contract between intake channels (MQTT/FpML, FIX, CLI) and the clearing service.

Channels turn wire messages into ``Submission``s and hand them to a ``ClearingPort``; the service
decides and records every transition as a ``StatusUpdate``, which it writes to the outbox in the same
transaction as the state change. Publishers (MQTT, FIX) read the outbox and render each update in their
own format, so a broker or session outage delays a status but never loses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from gateway.domain.clearing import (
    Affirmation,
    Channel,
    CreditDecision,
    DeliveryChannel,
    OutboxItem,
    Position,
    RecipientRole,
    StatusUpdate,
    Submission,
)
from gateway.domain.trade import Trade

__all__ = [
    "Affirmation",
    "Channel",
    "ClearingPort",
    "CreditDecision",
    "DeliveryChannel",
    "Outbox",
    "OutboxItem",
    "Position",
    "RecipientRole",
    "StatusUpdate",
    "Submission",
]


class Outbox(Protocol):
    """The transactional outbox, read by the publishers."""

    async def pending(self, channel: DeliveryChannel, limit: int) -> Sequence[OutboxItem]:
        """Undelivered items of a channel, oldest first."""
        ...

    async def mark_delivered(self, ids: Sequence[int]) -> None: ...


class ClearingPort(Protocol):
    """What every intake channel may ask of the clearing service."""

    async def submit(self, submission: Submission) -> StatusUpdate:
        """Store durably, then answer with the receipt (Received) or, for a duplicate, the existing outcome."""
        ...

    async def withdraw(self, source: str, source_trade_id: str, at: datetime, reason: str) -> StatusUpdate:
        """Withdraw a submitted trade that is not yet novated (FIX AE cancel, FpML requestClearingRetracted)."""
        ...

    async def affirm(self, affirmation: Affirmation) -> StatusUpdate:
        """Accept or decline a trade alleged against the affirming member (two-sided reporting)."""
        ...

    async def credit_check(self, member: str, account: str, trade: Trade, order_id: str) -> CreditDecision:
        """Pre-trade check; an approved check reserves headroom until released, matched or end of day."""
        ...

    async def release_credit(self, member: str, order_id: str) -> None: ...

    async def positions(
        self, member: str, account: str | None, business_date: date
    ) -> Sequence[Position]: ...
