"""What the clearing core exchanges with the channels and the publishers: submissions, statuses, outbox items.

Values only (no I/O). A channel turns a wire message into a ``Submission``; the core answers and records
each transition as a ``StatusUpdate``, owed to each recipient as an ``OutboxItem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Protocol

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import EventEffect, EventNote, EventOutcome, EventTerms, ProposedFee
from gateway.domain.trade import Trade


class Channel(StrEnum):
    MQTT_FPML = "mqtt-fpml"
    FIX = "fix"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Submission:
    """One inbound request to clear one trade (a package arrives as one submission per trade, same package_id)."""

    channel: Channel
    source: str  # trade source id (MQTT topic segment) or FIX SenderCompID
    message_id: str  # FpML messageId / FIX TradeReportID; (source, message_id) is the transport de-dup key
    received_at: datetime
    trade: Trade  # (source, trade.identifiers.source_trade_id, source_version) is the business de-dup key
    is_correction: bool = False
    correlation_id: str | None = None
    package_id: str | None = None
    raw: bytes = b""  # the message as received, kept for audit
    # (member, order id) of the pre-trade credit checks the trade was executed from (FIX side ClOrdID):
    # their reservations are released when the trade is stored
    orders: tuple[tuple[str, str], ...] = ()
    # Two-sided reporting: the reporter's party id when a clearing member reports its own trade (a FIX
    # session that is not an approved trade source). The trade is then alleged to the other side and
    # registered only once that member affirms it. None: an approved source, whose trades are affirmed.
    reporter_party: str | None = None


@dataclass(frozen=True, slots=True)
class EventRequest:
    """One lifecycle event on a cleared trade (a termination, ...) from a trade source."""

    channel: Channel
    source: str
    message_id: str  # (source, message_id) is the de-duplication key
    received_at: datetime
    terms: EventTerms
    correlation_id: str | None = None
    raw: bytes = b""  # the message as received, kept for audit
    # a member's proposal over FIX that the other member accepted: that member's CompID. The two members
    # agreeing is what makes the request theirs (in place of the trade's source or an approved source).
    accepted_by: str | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to store with others in one statement (``EventRepository.insert_many``)."""

    request: EventRequest
    submission_id: int
    outcome: EventOutcome
    ccp_trade_ids: tuple[str, str]
    cleared: tuple[Trade, Trade]
    effect: EventEffect | None
    at: datetime


@dataclass(frozen=True, slots=True)
class EventProposal:
    """A lifecycle event a clearing member proposes over FIX on a cleared trade of its own: alleged to the
    other member, decided only once that member accepts it (two-sided, as a member's own trade report)."""

    request: EventRequest  # source: the proposing CompID; terms.parties: the proposing member's party
    party_id: str  # the proposing member's party id
    account: str | None = None  # the account the proposal names for the member's side (None: none named)
    fee: ProposedFee | None = None  # its fee, paid or received by the proposer


@dataclass(frozen=True, slots=True)
class Affirmation:
    """A member's answer to a trade alleged against it: accept (with its own side) or decline.

    The trade is named by the reporter's TradeReportID (``report_id``), else by its trade id as the
    alleged report carried it (``trade_id``)."""

    comp_id: str  # the session that answers
    party_id: str  # the answering member's party id (its side of the trade)
    accept: bool
    at: datetime
    report_id: str | None = None
    trade_id: str | None = None
    account: str | None = None  # the member's own clearing account; None: its house account
    side_trade_id: str | None = None  # the member's own id for the trade
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One transition of a submitted trade, as every interested party is told of it."""

    sequence: int  # increases per trade: statuses of one trade are delivered in this order
    submission_id: str  # the service's id of the submission
    source: str
    channel: Channel
    status: ClearingStatusCode
    trade: Trade
    at: datetime
    reasons: tuple[Issue, ...] = ()
    ccp_trade_ids: tuple[str, ...] = ()  # (A-CCP id, CCP-B id) once novated
    cleared: tuple[Trade, Trade] | None = None
    clearing_business_date: date | None = None
    correlation_id: str | None = None
    in_reply_to: str | None = None  # the submission's message_id (the event's, for a status of an event)
    event: EventNote | None = None  # set when the status is about a lifecycle event on the cleared trade


@dataclass(frozen=True, slots=True)
class CreditDecision:
    """Answer to a pre-trade credit check (FIX NewOrderSingle) or to the registration credit check."""

    approved: bool
    member: str
    account: str
    incremental_margin: Decimal
    headroom_before: Decimal  # excess collateral + unused tolerance before this trade
    shortfall: Decimal = Decimal(0)
    reasons: tuple[Issue, ...] = ()
    # False when refused before any margin was computed (no such account, member suspended, not a party,
    # the trade could not be valued): the figures above are then not figures and are not shown
    assessed: bool = True


@dataclass(frozen=True, slots=True)
class Position:
    """One cleared trade seen from a member's side (the reconciliation position layout).

    Its fields, in order, are the position file's columns (``POSITION_COLUMNS``) and the columns of the
    database view ``member_positions`` (``MEMBER_POSITIONS_VIEW``)."""

    trade_id: str  # CCP trade id
    uti: str | None
    member: str
    account: str
    product: str
    currency: str
    notional: Decimal
    direction: str  # PAY or RECEIVE: the member's side of the fixed leg (leg 1 for basis)
    fixed_rate: Decimal | None
    floating_index: str | None
    index_tenor: str | None
    spread: Decimal | None
    effective_date: date
    maturity_date: date
    status: str  # a PositionStatus in the gateway's database; the CCP's code in another CCP's file
    npv: Decimal | None
    # the side's lifecycle (LIFECYCLE_COLUMNS): its last event (an EventKind value, e.g. Termination) and
    # that event's business date, none before any; the notional it was novated with
    last_event: str | None = None
    last_event_date: date | None = None
    original_notional: Decimal | None = None

    @classmethod
    def of(
        cls,
        side: ClearedSide,
        status: str,
        npv: Decimal | None,
        lifecycle: tuple[str | None, date | None, Decimal | None] = (None, None, None),
    ) -> Position:
        """The position of one stored member side (the in-memory store's cleared rows)."""
        values = {column: getattr(side, name) for column, name in SIDE_ATTRIBUTES.items()}
        last_event, last_event_date, original_notional = lifecycle
        return cls(
            **values,
            status=status,
            npv=npv,
            last_event=last_event,
            last_event_date=last_event_date,
            original_notional=original_notional,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Position:
        """The position of one row keyed by the position columns (a row of ``member_positions``); the
        lifecycle columns may be absent."""
        values: dict[str, Any] = {column: row[column] for column in POSITION_COLUMNS}
        values.update({column: row.get(column) for column in LIFECYCLE_COLUMNS})
        return cls(**values)


# A position's lifecycle: the columns after the standard ones in the view ``member_positions`` and the
# CCP position file; optional in any other book (docs/RECON_FORMATS.md).
LIFECYCLE_COLUMNS: Final[tuple[str, ...]] = ("last_event", "last_event_date", "original_notional")

# The standard position layout, in order: the sixteen columns every book carries (the position file's,
# the view ``member_positions``'s and recon's). Published to clearing-recon (docs/RECON_FORMATS.md).
POSITION_COLUMNS: Final[tuple[str, ...]] = tuple(
    f.name for f in fields(Position) if f.name not in LIFECYCLE_COLUMNS
)

# The gateway database's view of positions: one row per cleared member side, exactly MEMBER_POSITION_COLUMNS.
MEMBER_POSITIONS_VIEW: Final = "member_positions"
MEMBER_POSITION_COLUMNS: Final[tuple[str, ...]] = POSITION_COLUMNS + LIFECYCLE_COLUMNS

# Where each position column comes from: the attribute of a stored member side (``ClearedSide``), which is
# also the column of ``cleared_trades`` the view selects; ``status`` and ``npv`` keep their names.
SIDE_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "trade_id": "ccp_trade_id",
        "uti": "uti",
        "member": "member_id",
        "account": "account_id",
        "product": "product",
        "currency": "currency",
        "notional": "notional",
        "direction": "direction",
        "fixed_rate": "fixed_rate",
        "floating_index": "floating_index",
        "index_tenor": "index_tenor",
        "spread": "spread",
        "effective_date": "effective_date",
        "maturity_date": "maturity_date",
    }
)


class ClearedSide(Protocol):
    """What a stored member side of a cleared trade carries, as ``Position.of`` reads it."""

    @property
    def ccp_trade_id(self) -> str: ...
    @property
    def uti(self) -> str | None: ...
    @property
    def member_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def product(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def notional(self) -> Decimal: ...
    @property
    def direction(self) -> str: ...
    @property
    def fixed_rate(self) -> Decimal | None: ...
    @property
    def floating_index(self) -> str | None: ...
    @property
    def index_tenor(self) -> str | None: ...
    @property
    def spread(self) -> Decimal | None: ...
    @property
    def effective_date(self) -> date: ...
    @property
    def maturity_date(self) -> date: ...


class DeliveryChannel(StrEnum):
    MQTT = "mqtt"
    FIX = "fix"


class RecipientRole(StrEnum):
    SOURCE = "source"  # the trade source that submitted
    MEMBER = "member"  # a clearing member on either side


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One status update owed to one recipient over one channel; delivered in ``id`` order per recipient."""

    id: int
    channel: DeliveryChannel
    role: RecipientRole
    recipient: str  # trade source id, member id (MQTT topics) or the member's FIX SenderCompID
    update: StatusUpdate
