"""Where a submitted trade is in the clearing workflow, and what a clearing pass decides for it. Values only.

``SubmissionRow`` is a submission as stored, with its workflow state; ``Transition`` is one decision for
it (its new stage and, when the published status changes, the status owed to each ``Recipient``);
``ClearedRow`` is one side of a novated trade with the columns of the position layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from gateway.domain.clearing import Channel, DeliveryChannel, RecipientRole, Submission
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import StoredEvent
from gateway.domain.trade import Trade


class Stage(StrEnum):
    """Where a submission is in the workflow (finer than the published status)."""

    RECEIVED = "RECEIVED"  # stored, not yet processed
    ALLEGED = "ALLEGED"  # reported by one member, waiting for the other to affirm it (not processed)
    QUEUED_HOURS = "QUEUED_HOURS"  # eligible, waiting for the service to open
    QUEUED_BACKLOAD = "QUEUED_BACKLOAD"  # eligible, waiting for its backload date
    PENDING_COLLATERAL = "PENDING_COLLATERAL"  # short of collateral, re-checked on lodgement
    QUEUED_PACKAGE = "QUEUED_PACKAGE"  # a package's leg waiting for its other legs (until its due time)
    CLEARED = "CLEARED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


TERMINAL = frozenset({Stage.CLEARED, Stage.REJECTED, Stage.WITHDRAWN})
LIVE = frozenset(Stage) - TERMINAL


def submission_ref(row_id: int) -> str:
    return f"S{row_id:010d}"


def parse_submission_ref(ref: str) -> int | None:
    if len(ref) == 11 and ref[0] == "S" and ref[1:].isdigit():
        return int(ref[1:])
    return None


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    id: int
    source: str
    channel: Channel
    message_id: str
    source_trade_id: str
    source_version: int
    is_correction: bool
    correlation_id: str | None
    received_at: datetime
    trade: Trade
    member_a: str | None
    member_b: str | None
    sub_block: bool
    stage: Stage
    status: ClearingStatusCode
    last_sequence: int
    due_at: datetime | None
    business_date: date | None
    backload: bool
    affirm_member: str | None = None  # the member that must affirm a member's report (two-sided FIX)
    package_id: str | None = None  # the package it is a leg of: (source, package_id) names the package

    @property
    def ref(self) -> str:
        return submission_ref(self.id)

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for m in (self.member_a, self.member_b) if m is not None))


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One submitted version of a source trade, as the version rules need it."""

    id: int
    source_version: int
    stage: Stage

    @property
    def ref(self) -> str:
        return submission_ref(self.id)


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: DeliveryChannel
    role: RecipientRole
    recipient: str


@dataclass(frozen=True, slots=True)
class EventStatuses:
    """The statuses of one stored event on one submission, owed to its recipients (written with others)."""

    sub: SubmissionRow
    stored: StoredEvent
    statuses: Sequence[tuple[ClearingStatusCode, Sequence[Issue]]]
    at: datetime
    recipients: Sequence[Recipient]


@dataclass(frozen=True, slots=True)
class Transition:
    """What one pass decided for one submission: its new stage and, when the published status changes,
    the status to append to the history and owe to every recipient. Written with the others of its batch."""

    sub: SubmissionRow
    stage: Stage
    at: datetime
    due_at: datetime | None
    business_date: date | None
    backload: bool
    status: ClearingStatusCode | None = None  # None: stage only, no new status
    reasons: Sequence[Issue] = ()
    ccp_trade_ids: tuple[str, ...] = ()
    recipients: Sequence[Recipient] = ()


@dataclass(frozen=True, slots=True)
class ClearedRow:
    ccp_trade_id: str
    member_id: str
    account_id: str
    party_id: str
    trade: Trade
    uti: str | None
    product: str
    currency: str
    notional: Decimal
    direction: str
    fixed_rate: Decimal | None
    floating_index: str | None
    index_tenor: str | None
    spread: Decimal | None
    effective_date: date
    maturity_date: date


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """One submission to store: who its members are, its business date, when it is stored, and (for a
    member's own report) the member that must affirm it."""

    sub: Submission
    member_a: str | None
    member_b: str | None
    business_date: date
    at: datetime
    affirm_member: str | None = None
