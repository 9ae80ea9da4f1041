"""The contract between intake channels (MQTT/FpML, FIX, CLI) and the clearing service.

Channels turn wire messages into ``Submission``s and hand them to a ``ClearingPort``; the service
decides and records every transition as a ``StatusUpdate``, which it writes to the outbox in the same
transaction as the state change. Publishers (MQTT, FIX) read the outbox and render each update in their
own format, so a broker or session outage delays a status but never loses it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from gateway.clearing.cash_flow_ports import CashFlowRepository
from gateway.clearing.eod_ports import EodRepository
from gateway.domain import codec
from gateway.domain.clearing import (
    Affirmation,
    Channel,
    CreditDecision,
    DeliveryChannel,
    EventProposal,
    EventRequest,
    NewEvent,
    OutboxItem,
    Position,
    RecipientRole,
    StatusUpdate,
    Submission,
)
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import (
    EventEffect,
    EventOutcome,
    EventTerms,
    PendingEvent,
    SideState,
    StoredEvent,
)
from gateway.domain.trade import Trade
from gateway.domain.workflow import (
    ClearedRow,
    EventStatuses,
    NewSubmission,
    Recipient,
    Stage,
    SubmissionRow,
    Transition,
    VersionRow,
)
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.model import Member

__all__ = [
    "AccountRepository",
    "Affirmation",
    "Channel",
    "ClearedRepository",
    "ClearingPort",
    "ClearingStore",
    "CreditDecision",
    "DeliveryChannel",
    "EodRepository",
    "EventPort",
    "EventProposal",
    "EventRepository",
    "EventRequest",
    "Outbox",
    "OutboxItem",
    "Position",
    "RecipientRole",
    "StatusRepository",
    "StatusUpdate",
    "Submission",
    "SubmissionRepository",
    "UnitOfWork",
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


class EventPort(Protocol):
    """What a channel may ask of the clearing service about a cleared trade's life after novation."""

    async def submit_event(self, request: EventRequest) -> list[StatusUpdate]:
        """Decide a lifecycle event on a cleared trade (a termination, ...) and store it with its statuses
        (acknowledgement, then confirmed or refused) in one transaction; a known message gets its last
        status again. GatewayError (LIFE_TRADE_UNKNOWN) when no cleared trade has the id it names."""
        ...

    async def propose_event(self, proposal: EventProposal) -> StatusUpdate:
        """Store a member's proposal (over FIX) and allege it to the other member; its AwaitingAcceptance
        status. GatewayError when the proposer is no member of the trade, names the other side or
        account, or the trade is unknown or not live."""
        ...

    async def answer_event(self, affirmation: Affirmation) -> StatusUpdate:
        """The other member's Accept (the event decided as ``submit_event`` decides it) or Decline of a
        proposal; the event's final status. GatewayError when no open proposal matches or the member is
        not the one it was proposed to."""
        ...


# ---------------------------------------------------------------- the store the clearing core writes to


class SubmissionRepository(Protocol):
    """Submissions as stored, with their place in the workflow. ``lock``: held until the unit of work ends
    (``get_many`` skips rows another unit of work holds)."""

    async def insert(self, new: Sequence[NewSubmission]) -> list[SubmissionRow | None]:
        """Store each submission Received (ALLEGED when it names a member to affirm it), or None for one whose
        message id or trade version is known, or whose UTI is live as another submission. The submissions
        must not repeat one another's keys."""
        ...

    async def get(self, row_id: int, *, lock: bool = False) -> SubmissionRow | None: ...

    async def get_many(
        self, row_ids: Sequence[int], *, lock: bool = False, trades: Mapping[int, Trade] | None = None
    ) -> list[SubmissionRow]:
        """These submissions, oldest first (``trades``: trades already known by id, not decoded again)."""
        ...

    async def find_known(
        self, source: str, message_id: str, source_trade_id: str, version: int
    ) -> SubmissionRow | None:
        """The submission with this message id, else the one with this trade version."""
        ...

    async def versions(self, source: str, source_trade_id: str) -> list[SubmissionRow]:
        """Every submission of one source trade, oldest first."""
        ...

    async def versions_of(
        self, trades: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[VersionRow]]: ...

    async def package_legs(
        self,
        packages: Iterable[tuple[str, str]],
        *,
        lock: bool = False,
        trades: Mapping[int, Trade] | None = None,
    ) -> dict[tuple[str, str], list[SubmissionRow]]:
        """Every submission of each ``(source, package_id)``, oldest first (a package is decided whole)."""
        ...

    async def live_by_uti(self, uti: str, *, lock: bool = False) -> SubmissionRow | None:
        """The one submission holding ``uti`` while it is neither refused nor withdrawn."""
        ...

    async def claim_uti(self, row_id: int, uti: str) -> None:
        """A stored correction takes its UTI (refused by the store if another live trade holds it)."""
        ...

    async def affirm(self, row_id: int, trade: Trade, at: datetime) -> None:
        """An alleged trade completed by its counterparty: RECEIVED, due now."""
        ...

    async def reported_for_affirmation(
        self, *, report_id: str | None, trade_id: str | None
    ) -> list[SubmissionRow]: ...

    async def set_stage(
        self,
        row_id: int,
        stage: Stage,
        at: datetime,
        *,
        due_at: datetime | None = None,
        business_date: date | None = None,
        backload: bool | None = None,
    ) -> None: ...

    async def due(self, now: datetime, *, open_now: bool, limit: int, after_id: int = 0) -> list[int]:
        """Ids of submissions to process now, oldest first."""
        ...

    async def unregistered(self, business_date: date) -> list[int]:
        """Live, non-backload submissions whose business date is ``business_date`` or earlier."""
        ...


class StatusRepository(Protocol):
    """Each submission's status history and the outbox: a status is written with the items owing it."""

    async def received(
        self, received: Sequence[tuple[SubmissionRow, datetime, Sequence[Recipient]]]
    ) -> list[StatusUpdate]:
        """The Received status of submissions just inserted, owed to their recipients, in the order given."""
        ...

    async def record(
        self,
        sub: SubmissionRow,
        status: ClearingStatusCode,
        at: datetime,
        recipients: Sequence[Recipient],
        *,
        reasons: Sequence[Issue] = (),
        business_date: date | None = None,
    ) -> StatusUpdate:
        """Append a status (the stage is unchanged) and owe it to every recipient."""
        ...

    async def write(self, transitions: Sequence[Transition]) -> None:
        """Each transition's stage, and its status (when it has one) owed to its recipients, in order."""
        ...

    async def owe_latest_again(self, row_id: int, recipient: Recipient, at: datetime) -> None:
        """The submission's last status (of its own workflow, not of a later event) owed once more."""
        ...

    async def record_event(
        self,
        sub: SubmissionRow,
        stored: StoredEvent,
        statuses: Sequence[tuple[ClearingStatusCode, Sequence[Issue]]],
        at: datetime,
        recipients: Sequence[Recipient],
    ) -> list[StatusUpdate]:
        """The statuses of a lifecycle event, appended to the trade's history in order and owed to every
        recipient; the submission's own status (Cleared) is unchanged."""
        ...

    async def record_events(self, told: Sequence[EventStatuses]) -> None:
        """``record_event`` for many events at once (a compression run's), in the order given: each
        submission's sequence moves on by its events' statuses, written in a few statements."""
        ...

    async def owe_event_again(self, event_id: int, recipient: Recipient, at: datetime) -> None:
        """An event's last status owed once more (its request arrived again)."""
        ...

    async def latest(self, row_id: int) -> StatusUpdate:
        """The submission's last status of its own workflow (statuses of later events left out)."""
        ...

    async def history(self, row_id: int) -> list[StatusUpdate]: ...

    async def pending(
        self,
        channel: DeliveryChannel,
        limit: int,
        *,
        trades: Mapping[int, Trade] | None = None,
        cleared: Mapping[int, tuple[Trade, Trade]] | None = None,
        exclude: Collection[str] = (),
    ) -> list[OutboxItem]:
        """Undelivered items of ``channel`` in outbox order, without the recipients in ``exclude``."""
        ...

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveSide:
    """A member side of a cleared trade live on a business date, as end of day values it."""

    submission_id: int
    ccp_trade_id: str
    member_id: str
    account_id: str
    party_id: str  # the member's party in ``trade``
    currency: str
    document: Mapping[str, Any]  # the member's trade with the CCP as stored (``codec.trade_to_dict``)

    def trade(self) -> Trade:
        """The trade decoded (each call decodes it again: end of day decodes a mirrored side not at all)."""
        return codec.trade_from_dict(self.document)


class ClearedRepository(Protocol):
    """Novated trades, one row per member side, and the positions they make."""

    async def insert(
        self, rows: Sequence[tuple[int, ClearedRow]], business_date_of: Mapping[int, date], at: datetime
    ) -> None: ...

    async def ccp_trade_ids_of(self, row_id: int) -> list[str]: ...

    async def positions(
        self, member_id: str | None, account_id: str | None, business_date: date
    ) -> list[Position]: ...

    async def accounts(self, business_date: date) -> list[tuple[str, str]]:
        """(member, account) of every account with cleared trades live on ``business_date``."""
        ...

    async def in_account(
        self, member_id: str, account_id: str, business_date: date
    ) -> list[tuple[str, str, Trade]]:
        """(CCP trade id, the member's party id, cleared trade) of an account's live cleared trades."""
        ...

    async def live_sides(
        self, business_date: date, after: tuple[int, str] | None, limit: int
    ) -> list[LiveSide]:
        """Up to ``limit`` sides live on ``business_date`` in (submission id, CCP trade id) order, from
        after ``after`` (the last side of the previous page): a novation's two sides come together."""
        ...

    async def set_npvs(self, npvs: Sequence[tuple[str, Decimal | None]]) -> None: ...

    async def mature(self, business_date: date) -> int: ...

    async def submission_of(self, ccp_trade_id: str) -> int | None:
        """The submission a cleared trade (either side) was novated from."""
        ...

    async def sides(self, row_id: int, *, lock: bool = False) -> list[SideState]:
        """The member sides of a novated submission, A-CCP then CCP-B (``lock``: held until the unit of
        work ends)."""
        ...

    async def sides_named(self, ccp_trade_ids: Sequence[str], *, lock: bool = False) -> list[SideState]:
        """Every side of each trade one of ``ccp_trade_ids`` names (either side), by submission then CCP
        trade id, read in a few statements; ``lock`` as ``sides``."""
        ...

    async def update_sides(self, sides: Sequence[SideState]) -> None:
        """Each side's notional, status and live terms as an event left them."""
        ...

    async def mark_event(self, ccp_trade_ids: Sequence[str], kind: str, business_date: date) -> None:
        """The sides an event confirmed on ``business_date`` changed or created carry it as their last."""
        ...


class EventRepository(Protocol):
    """Lifecycle events taken on cleared trades, one per request, confirmed or refused (or waiting for
    collateral, PENDING, until decided again)."""

    async def find(self, source: str, message_id: str) -> StoredEvent | None: ...

    async def insert(
        self,
        request: EventRequest,
        submission_id: int,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        """Store the event (``cleared``: both cleared trades after it) with a new id."""
        ...

    async def insert_many(self, new: Sequence[NewEvent]) -> list[StoredEvent]:
        """Store the events in the order given, each with a new id, in a few statements."""
        ...

    async def of_submission(self, submission_id: int) -> list[StoredEvent]:
        """Every event taken on the trade, in order."""
        ...

    async def pending(self, *, flagged_only: bool) -> list[PendingEvent]:
        """Events waiting for collateral, oldest first (``flagged_only``: those a lodgement flagged since
        they were last decided)."""
        ...

    async def pending_request(self, event_id: int) -> tuple[int, EventRequest] | None:
        """A waiting event's submission and its request as received; None once it is decided."""
        ...

    async def settle(
        self,
        event_id: int,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        """Decide a waiting event at last (confirmed or refused): its outcome, trades and effect."""
        ...

    async def unflag(self, event_id: int) -> None:
        """A waiting event decided again and still short: it waits for the next lodgement."""
        ...

    async def proposed(
        self, *, message_id: str | None = None, lock: bool = False
    ) -> list[tuple[StoredEvent, datetime]]:
        """Events a member proposed that its counterparty has not answered (each with when it was
        received), oldest first; ``message_id``: only those proposed by a message with that id."""
        ...

    async def settle_proposal(
        self,
        event: StoredEvent,
        terms: EventTerms,
        outcome: EventOutcome,
        ccp_trade_ids: tuple[str, str],
        cleared: tuple[Trade, Trade],
        effect: EventEffect | None,
        at: datetime,
    ) -> StoredEvent:
        """A proposed event answered: stored with its terms as agreed, its outcome and its effect."""
        ...


class AccountRepository(Protocol):
    """Members as the clearing core reads them, the accounts' risk state and credit reservations."""

    async def member(self, member: str) -> Member | None:
        """The member a channel names: by member id, else by one of its party ids."""
        ...

    async def member_by_party(self, party_id: str) -> Member | None: ...

    async def members_by_party(self, party_ids: Iterable[str]) -> dict[str, Member]: ...

    async def parties_and_comp_ids(
        self, party_ids: Iterable[str]
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Each known party id's member id, and those members' CompIDs in CompID order."""
        ...

    async def comp_ids_by_member(self, member_ids: Iterable[str]) -> dict[str, list[str]]: ...

    async def risk(self, member_id: str, account_id: str, *, lock: bool = False) -> RiskRow: ...

    async def risk_many(
        self, keys: Iterable[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], RiskRow]:
        """The stored risk of these accounts (those that have one)."""
        ...

    async def put_risk(self, member_id: str, account_id: str, risk: RiskRow, at: datetime) -> None: ...

    async def put_risk_many(
        self, states: Mapping[tuple[str, str], RiskRow], existing: Iterable[tuple[str, str]], at: datetime
    ) -> None:
        """Store these accounts' risk (``existing``: those already stored, updated rather than inserted)."""
        ...

    async def figures(self, member_ids: Iterable[str]) -> dict[str, MemberFigures]: ...

    async def tolerance_pool(self) -> dict[str, Decimal]:
        """Every active member's tolerance limit, summed per the members' base currencies."""
        ...

    async def reservation(self, member_id: str, order_id: str) -> Decimal | None: ...

    async def reserve(
        self,
        member_id: str,
        account_id: str,
        order_id: str,
        amount: Decimal,
        business_date: date,
        at: datetime,
    ) -> None: ...

    async def release(self, member_id: str, order_id: str) -> bool:
        """Drop an open reservation; False when there was none."""
        ...

    async def expire_reservations(self, business_date: date) -> int: ...


class UnitOfWork(Protocol):
    """One transaction of the store: what is written through it is committed together or not at all."""

    @property
    def submissions(self) -> SubmissionRepository: ...

    @property
    def statuses(self) -> StatusRepository: ...

    @property
    def cleared(self) -> ClearedRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def eod(self) -> EodRepository: ...

    @property
    def cashflows(self) -> CashFlowRepository: ...


class ClearingStore(Protocol):
    """Where the clearing core keeps its state: ``async with store.begin() as uow`` commits on success and
    rolls back on any exception; ``read`` is for reads only (``snapshot``: one consistent view)."""

    def begin(self) -> AbstractAsyncContextManager[UnitOfWork]: ...

    def read(self, *, snapshot: bool = True) -> AbstractAsyncContextManager[UnitOfWork]: ...

    async def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        """Outbox items delivered, in a transaction of their own (the cheapest the store has)."""
        ...

    def eod_lock(self, business_date: date) -> AbstractAsyncContextManager[bool]:
        """Held while one end of day of ``business_date`` runs: True if this caller got it, False if another
        process (or task) holds it. Released on exit, and by the database if the process dies."""
        ...

    def oversized(self, sub: Submission) -> list[Issue]:
        """Identifiers longer than the store keeps: refused up front, never truncated or half-stored."""
        ...
