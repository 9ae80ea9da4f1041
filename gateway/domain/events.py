"""Lifecycle events on a cleared trade: what a trade source asks for, what it did, what a status says of it.

Values only (no I/O). A channel reads a request (FpML ``requestConfirmation`` carrying ``termination``)
into ``EventTerms`` (handed to the clearing port as an ``EventRequest``, gateway/domain/clearing.py); the clearing core decides it (``gateway/clearing/lifecycle.py``) and records an
``EventRecord`` with its ``EventEffect``; every status about the event carries an ``EventNote`` so the
writers can say which event, on which cleared trades, with what effect.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from gateway.domain import codec
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade


class EventKind(StrEnum):
    """The lifecycle events the gateway takes on a cleared trade (values: FpML originating-event words)."""

    TERMINATION = "Termination"
    DECLEAR = "DeClear"  # the trade taken out of clearing (re-bilateralised)
    INCREASE = "Increase"  # a larger notional on the same terms
    REFERENCE_UPDATE = "TradeReferenceUpdate"  # non-economic: a party's own trade id
    AMENDMENT = "Amendment"  # economic: the trade as amended replaces the cleared one
    COMPRESSION = "Compression"  # terminated by a compression run (its risk carried by a residual trade)


# In an amendment one member proposes over FIX, the party of the other member (whose side the proposer may
# not name): the CCP puts that member's party and account in its place (``with_other_member``).
OTHER_MEMBER = "OTHER-MEMBER"


class EventOutcome(StrEnum):
    CONFIRMED = "CONFIRMED"
    REFUSED = "REFUSED"
    PENDING = "PENDING"  # short of collateral: waits for a lodgement (or end of day) and is decided again
    PROPOSED = "PROPOSED"  # proposed by one member over FIX, waiting for the other to accept or decline


@dataclass(frozen=True, slots=True)
class TradeRef:
    """How an event names a cleared trade: the CCP's trade id (either side), or the source's trade id
    (and version: None means the cleared version)."""

    ccp_trade_id: str | None = None
    source_trade_id: str | None = None
    version: int | None = None

    def __post_init__(self) -> None:
        if (self.ccp_trade_id is None) == (self.source_trade_id is None):
            raise InputRejected.of(
                ReasonCode.FPML_MISSING_FIELD,
                "tradeIdentifier",
                "an event names its trade by the CCP's trade id or by the source's trade id",
            )

    def describe(self) -> str:
        if self.ccp_trade_id is not None:
            return f"CCP trade {self.ccp_trade_id}"
        version = "" if self.version is None else f" version {self.version}"
        return f"source trade {self.source_trade_id}{version}"


@dataclass(frozen=True, slots=True)
class NamedTradeId:
    """A trade id as an event (or an answer to one) names its trade: whose id it is, in which scheme, and its version (written
    as a ``versionedTradeId`` when given)."""

    party_id: str
    trade_id: str
    scheme: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Fee:
    """A payment settling the event (FpML ``payment``): who pays whom, how much, when."""

    payer: str  # party id
    receiver: str  # party id
    amount: Money
    payment_date: date | None = None


@dataclass(frozen=True, slots=True)
class ProposedFee:
    """A fee as one member proposes it over FIX: how much, when, and whether the proposer pays it or
    receives it (the other member's party id is the CCP's to fill in, ``between``)."""

    amount: Money
    payment_date: date | None
    proposer_pays: bool

    def between(self, proposer: str, other: str) -> Fee:
        payer, receiver = (proposer, other) if self.proposer_pays else (other, proposer)
        return Fee(payer, receiver, self.amount, self.payment_date)


@dataclass(frozen=True, slots=True)
class NotionalChange:
    """A termination's or an increase's change of size (FpML ``changeInNotionalAmount`` /
    ``outstandingNotionalAmount``): ``outstanding`` zero is a full termination."""

    change: Money
    outstanding: Money

    @property
    def full(self) -> bool:
        return self.outstanding.amount == 0


@dataclass(frozen=True, slots=True)
class EventTerms:
    """What an event asks, as read from its message."""

    kind: EventKind
    trade: TradeRef
    parties: tuple[str, ...]  # the party ids the request names (both original counterparties)
    agreement_date: date  # a de-clear carries none: its effective date
    effective_date: date
    notional: NotionalChange | None  # a termination's or an increase's change of size; None for a de-clear
    fee: Fee | None = None
    event_id: str | None = None  # the source's own id of the event (``eventIdentifier``)
    reason: str | None = None  # why a de-clear is asked (``deClear/reason``)
    party_trade_ids: tuple[PartyTradeId, ...] = ()  # a reference update's new ids, each of its own party
    amended: Trade | None = None  # an amendment's trade as amended (between the two members, as submitted)
    # a compression: the residual carrying a terminated side's risk, if its bucket has one (party: the member
    # holding the residual, trade id: the residual's CCP trade id; named to that member only)
    replacement: PartyTradeId | None = None
    originating: tuple[str, ...] = ()  # a compression's residual: the CCP trade ids it replaces


@dataclass(frozen=True, slots=True)
class EventEffect:
    """What a confirmed event did to the trade (the same on both member sides)."""

    notional_before: Decimal
    notional_after: Decimal
    currency: str
    replaced: tuple[str, str] | None = (
        None  # an amendment's earlier CCP trade ids (the new ones are the note's)
    )


@dataclass(frozen=True, slots=True)
class EventNote:
    """What a status about an event carries: the event, and the two cleared trades (A-CCP, CCP-B) as they
    stand after it (as they stood, when it was refused)."""

    event_id: int  # the store's id of the event
    terms: EventTerms
    outcome: EventOutcome
    ccp_trade_ids: tuple[str, str]
    cleared: tuple[Trade, Trade]
    effect: EventEffect | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: its note, the trade's submission, and the request it answers."""

    note: EventNote
    submission_id: int
    source: str
    message_id: str
    correlation_id: str | None


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event waiting for collateral: which, on which trade, received when (its business date decides
    which end of day refuses it), and whether a lodgement asked for it to be decided again."""

    event_id: int
    submission_id: int
    received_at: datetime
    needs_recheck: bool


@dataclass(frozen=True, slots=True)
class SideState:
    """One member side of a cleared trade as stored: what an event is checked against and changes."""

    ccp_trade_id: str
    submission_id: int
    member_id: str
    account_id: str
    party_id: str  # the member's party in the cleared trade
    notional: Decimal  # the live notional (zero once fully terminated)
    status: PositionStatus
    trade: Trade  # the cleared trade (member - CCP) with its live terms


# ---------------------------------------------------------------- JSON form (the stored terms)


def with_other_member(amended: Trade, other: Party, template: Trade) -> Trade:
    """A proposed amendment completed by the CCP: ``other`` (the other member's party and account) in
    place of ``OTHER_MEMBER`` on its side and in the streams, and the identifiers and trade date of the
    cleared trade's registration (``template``)."""

    def party(p: str) -> str:
        return other.party_id if p == OTHER_MEMBER else p

    return dataclasses.replace(
        amended,
        identifiers=template.identifiers,
        trade_date=template.trade_date,
        parties=(
            other if amended.parties[0].party_id == OTHER_MEMBER else amended.parties[0],
            other if amended.parties[1].party_id == OTHER_MEMBER else amended.parties[1],
        ),
        streams=tuple(
            dataclasses.replace(s, payer=party(s.payer), receiver=party(s.receiver)) for s in amended.streams
        ),
    )


def terms_to_dict(t: EventTerms) -> dict[str, Any]:
    fee = t.fee
    return {
        "kind": t.kind.value,
        "trade": {
            "ccp_trade_id": t.trade.ccp_trade_id,
            "source_trade_id": t.trade.source_trade_id,
            "version": t.trade.version,
        },
        "parties": list(t.parties),
        "agreement_date": t.agreement_date.isoformat(),
        "effective_date": t.effective_date.isoformat(),
        "change": None if t.notional is None else _money_dict(t.notional.change),
        "outstanding": None if t.notional is None else _money_dict(t.notional.outstanding),
        "fee": None
        if fee is None
        else {
            "payer": fee.payer,
            "receiver": fee.receiver,
            "amount": _money_dict(fee.amount),
            "payment_date": None if fee.payment_date is None else fee.payment_date.isoformat(),
        },
        "event_id": t.event_id,
        "reason": t.reason,
        "party_trade_ids": [[p.party_id, p.trade_id, p.scheme] for p in t.party_trade_ids],
        "amended": None if t.amended is None else codec.trade_to_dict(t.amended),
        "replacement": None
        if t.replacement is None
        else [t.replacement.party_id, t.replacement.trade_id, t.replacement.scheme],
        "originating": list(t.originating),
    }


def _party_trade_id(stored: Any) -> PartyTradeId:
    party_id, trade_id, scheme = stored
    return PartyTradeId(str(party_id), str(trade_id), None if scheme is None else str(scheme))


def terms_from_dict(d: Any) -> EventTerms:
    """The terms stored by ``terms_to_dict``; InputRejected (REF_INVALID_INPUT) naming the bad field."""
    try:
        fee = d["fee"]
        trade = d["trade"]
        return EventTerms(
            kind=EventKind(d["kind"]),
            trade=TradeRef(trade["ccp_trade_id"], trade["source_trade_id"], trade["version"]),
            parties=tuple(str(p) for p in d["parties"]),
            agreement_date=date.fromisoformat(d["agreement_date"]),
            effective_date=date.fromisoformat(d["effective_date"]),
            notional=None
            if d["change"] is None
            else NotionalChange(_money(d["change"]), _money(d["outstanding"])),
            fee=None
            if fee is None
            else Fee(
                payer=str(fee["payer"]),
                receiver=str(fee["receiver"]),
                amount=_money(fee["amount"]),
                payment_date=None if fee["payment_date"] is None else date.fromisoformat(fee["payment_date"]),
            ),
            event_id=d["event_id"],
            reason=d.get("reason"),
            party_trade_ids=tuple(
                PartyTradeId(str(p), str(i), None if s is None else str(s))
                for p, i, s in d.get("party_trade_ids", [])
            ),
            amended=None if d.get("amended") is None else codec.trade_from_dict(d["amended"], "amended"),
            replacement=None if d.get("replacement") is None else _party_trade_id(d["replacement"]),
            originating=tuple(str(i) for i in d.get("originating", [])),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise InputRejected(
            [Issue(ReasonCode.REF_INVALID_INPUT, "trade_events.terms", f"stored event terms: {exc!r}")]
        ) from None


def _money_dict(m: Money) -> dict[str, str]:
    return {"amount": str(m.amount), "currency": m.currency}


def _money(d: Any) -> Money:
    return Money(Decimal(str(d["amount"])), str(d["currency"]))
