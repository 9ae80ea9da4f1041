"""Business messages exchanged with trade sources and members, independent of FpML or FIX encoding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import EventKind, EventTerms, NamedTradeId
from gateway.domain.trade import PartyTradeId, Trade


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
    REQUEST_TRADE_REFERENCE_UPDATE = "requestTradeReferenceInformationUpdate"
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
    """``clearingStatus``/``clearingAcknowledgement``: where a submitted trade is in the workflow.

    A status may name the trade only by identifiers (``trade`` is then None and ``trade_ids`` says which);
    ``status_applies_to`` lists the party ids the status is about, when the message narrows it.
    """

    header: MessageHeader
    status: ClearingStatusCode
    trade: Trade | None
    correlation_id: str | None = None
    sequence_number: int | None = None
    reasons: tuple[Issue, ...] = ()
    trade_ids: tuple[PartyTradeId, ...] = ()
    status_applies_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClearingConfirmation:
    """``clearingConfirmed``: the submitted trade and the two trades that replace it at the CCP.

    A confirmation may carry only the cleared trade(s) (e.g. a swap created by a swaption exercise):
    ``submitted`` is then None and ``cleared`` holds what the message carries.
    """

    header: MessageHeader
    submitted: Trade | None
    cleared: tuple[Trade, ...]
    ccp_party_id: str
    correlation_id: str | None = None
    sequence_number: int | None = None
    originating_event: str | None = None


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


@dataclass(frozen=True, slots=True)
class CompressionActivity:
    """How a compression combined trades (FpML ``compressionActivity``): a terminated trade's replacement
    (the residual of its bucket, if any), or the trades a residual replaces."""

    replacement: NamedTradeId | None = None
    originating: tuple[NamedTradeId, ...] = ()


@dataclass(frozen=True, slots=True)
class EventConfirmation:
    """``clearingConfirmed`` of a lifecycle event: the event as taken (``termination``, ``deClear``), naming
    the trade by the ids its recipient knows it by; for an event FpML confirms by the resulting trade (an
    increase, a compression's residual), that ``trade`` as its recipient holds it now, whose own id is
    ``trade_source``'s."""

    header: MessageHeader
    terms: EventTerms
    trade_ids: tuple[NamedTradeId, ...]
    correlation_id: str | None = None
    sequence_number: int | None = None
    trade: Trade | None = None
    trade_source: str | None = None
    compression: CompressionActivity | None = None  # a compression: written before the event or trade


@dataclass(frozen=True, slots=True)
class EventRefusal:
    """``clearingRefused`` of a lifecycle event: every reason, with the recipient's cleared trade as it
    stands (``trade``, after ``originatingEvent`` naming the event) when the recipient is one of its members."""

    header: MessageHeader
    kind: EventKind
    reasons: tuple[Issue, ...]
    trade: Trade | None = None
    correlation_id: str | None = None
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class LifecycleRequest:
    """A post-trade event on a cleared trade: ``requestConfirmation`` carrying ``termination`` or
    ``increase``, ``requestClearing`` carrying ``deClear``, ``requestTradeReferenceInformationUpdate``."""

    header: MessageHeader
    terms: EventTerms
    correlation_id: str | None = None
    sequence_number: int | None = None
    is_correction: bool = False


InboundMessage = (
    ClearingRequest | ClearingStatusReport | ClearingConfirmation | TradeDocument | LifecycleRequest
)
