"""A member's lifecycle event on a cleared trade, as a TradeCaptureReport (AE), read into ``EventTerms``.

The report carries TradeContinuation (1937) naming the kind of change; TradeReportTransType (487) must
agree with it: Replace (2) for what the trade keeps living through (a partial termination, an increase, a
trade id update), Cancel (1) for what ends it in clearing (a full termination, a de-clear). The trade is
named by TradeID (1003): the member's CCP trade id (or its own trade id as it reported the trade); an
economic amendment (8) carries the trade as amended in the stream fields, the proposer's side only. The
member gives its own side only (NoSides: its party, optionally its account and, for a trade id update,
its new SideTradeID). Notional: LastQty (32) the outstanding notional after the event, LastQtyChanged
(2301) the amount terminated or added, Currency (15) theirs. A fee: one PaymentGrp entry. Every problem
is named by its field (docs/FIX_ROE.md, "Lifecycle events").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.domain.errors import InputRejected, Issue, TradeInvalid
from gateway.domain.events import (
    OTHER_MEMBER,
    EventKind,
    EventTerms,
    Money,
    NotionalChange,
    ProposedFee,
    TradeRef,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, Trade, TradeIdentifiers
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.reader import Reader
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_read import read_streams
from gateway.formats.fix.wire import FieldSet

# TradeContinuation (1937) -> (the event, the TradeReportTransType it comes with)
KIND: dict[str, tuple[EventKind, str]] = {
    "2": (EventKind.TERMINATION, "1"),  # trade unwind: a full termination
    "3": (EventKind.TERMINATION, "2"),  # partial trade unwind: a partial termination
    "8": (EventKind.AMENDMENT, "2"),  # economic: the trade as amended, in the stream fields
    "9": (EventKind.INCREASE, "2"),
    "15": (EventKind.DECLEAR, "1"),  # withdrawal from clearing
    "30": (EventKind.REFERENCE_UPDATE, "2"),  # a non-economic correction: the member's own trade id
}
FULL_TERMINATION, PARTIAL_TERMINATION = "2", "3"
# Written only, on a compression run's statuses (a member cannot ask for one over FIX): a trade the run
# terminated is fully netted away (a cancel), a residual it created is the netting's new trade.
FULL_NETTING, NETTING = "6", "5"
WRITTEN_ONLY = {FULL_NETTING: "1", NETTING: "0"}


def continuation_of(kind: EventKind, full: bool) -> str:
    """The TradeContinuation of an event (written back on its statuses)."""
    if kind is EventKind.TERMINATION:
        return FULL_TERMINATION if full else PARTIAL_TERMINATION
    if kind is EventKind.COMPRESSION:
        return FULL_NETTING if full else NETTING
    return next(code for code, (k, _) in KIND.items() if k is kind)


def trans_type_of(continuation: str) -> str:
    return WRITTEN_ONLY[continuation] if continuation in WRITTEN_ONLY else KIND[continuation][1]


@dataclass(frozen=True, slots=True)
class OwnSide:
    """The proposing member's side as its report gives it."""

    side: str  # Side (54): 1 or 2
    account: str | None
    side_trade_id: str | None


@dataclass(frozen=True, slots=True)
class EventReport:
    """What a member's event report asks: the terms (naming only the member's party), its side, its fee."""

    terms: EventTerms
    side: OwnSide
    fee: ProposedFee | None


def is_event(body: FieldSet) -> bool:
    """A report about a lifecycle event (it names the kind of change) rather than a trade."""
    return body.get(T.TradeContinuation) is not None


def read_event(body: FieldSet, d: Dictionary, participant: str) -> EventReport:
    """The event a member (``participant``) proposes; InputRejected naming each field at fault."""
    issues: list[Issue] = []
    r = Reader(body, d, issues)
    continuation = body.get(T.TradeContinuation) or ""
    kind, trans = KIND.get(continuation, (None, None))
    if kind is None:
        r.fail(
            ReasonCode.FIX_INVALID_VALUE,
            T.TradeContinuation,
            f"{continuation!r} is not one of {', '.join(KIND)}",
        )
    elif (body.get(T.TradeReportTransType) or "0") != trans:
        r.fail(
            ReasonCode.FIX_INVALID_VALUE,
            T.TradeReportTransType,
            f"TradeContinuation {continuation} comes with TradeReportTransType {trans}",
        )
    trade_id = r.text(T.TradeID, required=True)
    day = r.day(T.TradeDate, required=True)
    side = _own_side(body, d, participant, issues)
    notional = _notional(r, continuation, kind)
    fee = _fee(body, d, side, issues)
    if kind is EventKind.REFERENCE_UPDATE and side is not None and not side.side_trade_id:
        issues.append(
            Issue(
                ReasonCode.FIX_MISSING_FIELD,
                d.label(T.SideTradeID),
                "a trade id update gives your new trade id",
            )
        )
    amended = _amended(body, d, participant, side, issues) if kind is EventKind.AMENDMENT else None
    if issues or kind is None or trade_id is None or day is None or side is None:
        raise InputRejected(
            issues or [Issue(ReasonCode.FIX_MISSING_FIELD, d.label(T.NoSides), "is required")]
        )
    ids: tuple[PartyTradeId, ...] = ()
    if kind is EventKind.REFERENCE_UPDATE and side.side_trade_id:
        ids = (PartyTradeId(participant, side.side_trade_id, None),)
    terms = EventTerms(
        kind=kind,
        trade=TradeRef(ccp_trade_id=trade_id),
        parties=(participant,),
        agreement_date=day,
        effective_date=day,
        notional=notional,
        event_id=body.get(T.TradeReportID),
        reason=body.get(T.TradeContinuationText) if kind is EventKind.DECLEAR else None,
        party_trade_ids=ids,
        amended=amended,
    )
    return EventReport(terms, side, fee)


def _amended(
    body: FieldSet, d: Dictionary, participant: str, side: OwnSide | None, issues: list[Issue]
) -> Trade | None:
    """An amendment's trade as amended: the product and streams of the report, the proposer on its own
    Side and ``OTHER_MEMBER`` on the other (the CCP fills in that member's party and account)."""
    if side is None or side.side not in codes.SIDES:
        return None
    r = Reader(body, d, issues)
    product = r.coded(T.SecuritySubType, codes.PRODUCT, required=True)
    other = "2" if side.side == "1" else "1"
    parties = {
        side.side: Party(participant, scheme=codes.LEI_SCHEME, account=side.account),
        other: Party(OTHER_MEMBER),
    }
    streams = read_streams(body, d, parties, issues)
    if issues or product is None:
        return None
    try:
        return Trade(
            identifiers=TradeIdentifiers(body.get(T.TradeID) or "?"),
            trade_date=r.day(T.TradeDate) or date.min,
            product=product,
            parties=(parties["1"], parties["2"]),
            streams=tuple(s for s in streams if s is not None),
        )
    except TradeInvalid as exc:
        issues.extend(Issue(i.code, f"{body.path}: {i.path}", i.message) for i in exc.issues)
        return None


def _own_side(body: FieldSet, d: Dictionary, participant: str, issues: list[Issue]) -> OwnSide | None:
    """The member's own side: the only side it may name (another party's side is refused, with its account
    named ELIG_ACCOUNT_NOT_YOURS, without ELIG_UNKNOWN_PARTY)."""
    own: OwnSide | None = None
    for side in body.group(T.NoSides):
        firms = {p.get(T.PartyID) for p in side.group(T.NoPartyIDs)}
        if firms == {participant}:
            own = OwnSide(side.get(T.Side) or "1", side.get(T.Account), side.get(T.SideTradeID))
            continue
        code = ReasonCode.ELIG_ACCOUNT_NOT_YOURS if side.get(T.Account) else ReasonCode.ELIG_UNKNOWN_PARTY
        named = ", ".join(sorted(f for f in firms if f)) or "no party"
        issues.append(
            Issue(
                code, d.label(T.NoSides), f"an event report names only {participant}'s own side, not {named}"
            )
        )
    if own is None and not issues:
        issues.append(
            Issue(ReasonCode.FIX_MISSING_FIELD, d.label(T.NoSides), f"give {participant}'s own side")
        )
    return own


def _notional(r: Reader, continuation: str, kind: EventKind | None) -> NotionalChange | None:
    if kind not in (EventKind.TERMINATION, EventKind.INCREASE):
        return None
    full = continuation == FULL_TERMINATION
    outstanding = r.decimal(T.LastQty, required=not full)
    change = r.decimal(T.LastQtyChanged, required=True)
    currency = r.text(T.Currency, required=True)
    if change is None or currency is None or (outstanding is None and not full):
        return None
    after = Decimal(0) if outstanding is None else outstanding
    if full and after != 0:
        r.fail(ReasonCode.FIX_INVALID_VALUE, T.LastQty, "a full termination (TradeContinuation 2) leaves 0")
    return NotionalChange(Money(change, currency), Money(after, currency))


def _fee(body: FieldSet, d: Dictionary, side: OwnSide | None, issues: list[Issue]) -> ProposedFee | None:
    payments = body.group(T.NoPayments)
    if not payments:
        return None
    if len(payments) > 1:
        issues.append(Issue(ReasonCode.FIX_INVALID_VALUE, d.label(T.NoPayments), "an event carries one fee"))
        return None
    r = Reader(payments[0], d, issues)
    amount = r.decimal(T.PaymentAmount, required=True)
    currency = r.text(T.PaymentCurrency, required=True)
    pays = r.text(T.PaymentPaySide, required=True)
    when: date | None = r.day(T.PaymentDateUnadjusted)
    if amount is None or currency is None or pays is None or side is None:
        return None
    if pays not in codes.SIDES:
        r.fail(
            ReasonCode.FIX_INVALID_VALUE, T.PaymentPaySide, f"{pays!r} is not one of {', '.join(codes.SIDES)}"
        )
        return None
    return ProposedFee(Money(amount, currency), when, proposer_pays=pays == side.side)
