"""Business messages exchanged with trade sources and members, independent of FpML or FIX encoding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.trade import Trade


class MessageType(StrEnum):
    """FpML root elements the gateway reads or writes."""

    REQUEST_CLEARING = "requestClearing"
    REQUEST_CLEARING_RETRACTED = "requestClearingRetracted"
    CLEARING_ACKNOWLEDGEMENT = "clearingAcknowledgement"
    CLEARING_STATUS = "clearingStatus"
    CLEARING_CONFIRMED = "clearingConfirmed"
    CLEARING_REFUSED = "clearingRefused"
    REQUEST_CONSENT = "requestConsent"
    EXECUTION_NOTIFICATION = "executionNotification"
    REQUEST_CONFIRMATION = "requestConfirmation"
    DATA_DOCUMENT = "dataDocument"


@dataclass(frozen=True, slots=True)
class MessageHeader:
    message_id: str
    sent_by: str
    send_to: tuple[str, ...] = ()
    creation_timestamp: datetime | None = None
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class ClearingRequest:
    """``requestClearing`` (one trade, or several as a package) or its retraction."""

    header: MessageHeader
    trades: tuple[Trade, ...]
    correlation_id: str | None = None
    sequence_number: int | None = None
    is_correction: bool = False
    package_id: str | None = None
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class ClearingStatusReport:
    """``clearingStatus``/``clearingAcknowledgement``: where a submitted trade is in the workflow."""

    header: MessageHeader
    status: ClearingStatusCode
    trade: Trade
    correlation_id: str | None = None
    sequence_number: int | None = None
    reasons: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class ClearingConfirmation:
    """``clearingConfirmed``: the submitted trade and the two trades that replace it at the CCP."""

    header: MessageHeader
    submitted: Trade
    cleared: tuple[Trade, Trade]
    ccp_party_id: str
    correlation_id: str | None = None
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class ClearingRefusal:
    """``clearingRefused``: the trade is not cleared, with every reason."""

    header: MessageHeader
    trade: Trade
    reasons: tuple[Issue, ...]
    correlation_id: str | None = None
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class TradeDocument:
    """Any other accepted document that carries trades (dataDocument, executionNotification, ...)."""

    message_type: MessageType
    trades: tuple[Trade, ...]
    header: MessageHeader | None = None


InboundMessage = ClearingRequest | ClearingStatusReport | ClearingConfirmation | TradeDocument
