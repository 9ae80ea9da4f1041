"""FpML message roots -> business messages (gateway.domain.messages), trades collected per message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.events import EventKind, EventTerms
from gateway.domain.messages import (
    ClearingConfirmation,
    ClearingRequest,
    ClearingStatusReport,
    InboundMessage,
    LifecycleRequest,
    MessageHeader,
    MessageType,
    TradeDocument,
)
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.formats.fpml.read import readers
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.events import (
    read_amendment,
    read_declear,
    read_reference_update,
    read_termination,
)
from gateway.formats.fpml.read.package import in_package, originating
from gateway.formats.fpml.read.problems import Problems, bounded
from gateway.formats.fpml.read.trades import read_trade
from gateway.formats.fpml.read.xml import (
    Element,
    child,
    child_text,
    children,
    group_children,
    parse_datetime,
    q,
    text_of,
)

_REASON_BY_FPML: dict[str, ReasonCode] = {}
for _code, _info in REASONS.items():
    _REASON_BY_FPML.setdefault(_info.fpml_reason, _code)


@dataclass(frozen=True, slots=True)
class TradeFailure:
    """One trade of a document that could not be read, with every reason."""

    index: int
    path: str
    issues: tuple[Issue, ...]


@dataclass(slots=True)
class Extracted:
    message: InboundMessage | None
    trades: list[Trade]
    failures: list[TradeFailure]
    atomic: bool  # all trades or none (a clearing request, a package, a confirmation)


_MESSAGE_ID, _SENT_BY, _SEND_TO = q("messageId"), q("sentBy"), q("sendTo")
_CREATED, _IN_REPLY_TO = q("creationTimestamp"), q("inReplyTo")


def _first_text(groups: dict[str, list[Element]], tag: str) -> str | None:
    found = groups.get(tag)
    return text_of(found[0]) if found else None


def header_of(root: Element, problems: Problems, ctx: DocContext | None = None) -> MessageHeader | None:
    header = child(root, "header") if ctx is None else ctx.first(root, "header")
    if header is None:
        return None
    fields = group_children(header)  # one pass over the header's children
    created = _first_text(fields, _CREATED)
    return MessageHeader(
        message_id=_first_text(fields, _MESSAGE_ID) or "",
        sent_by=_first_text(fields, _SENT_BY) or "",
        send_to=tuple(t for t in (text_of(e) for e in fields.get(_SEND_TO, ())) if t),
        creation_timestamp=parse_datetime(created) if created else None,
        in_reply_to=_first_text(fields, _IN_REPLY_TO),
    )


def _sequence(root: Element, ctx: DocContext, problems: Problems) -> int | None:
    return readers.int_value(ctx.first(root, "sequenceNumber"), problems)


class _Collector:
    """Reads trades one by one, keeping each trade's issues apart."""

    def __init__(self, ctx: DocContext) -> None:
        self.ctx = ctx
        self.trades: list[Trade] = []
        self.failures: list[TradeFailure] = []
        self.count = 0

    def read(self, trade_el: Element, package: Element | None = None, sequence: int = 0) -> Trade | None:
        problems = Problems()
        trade = read_trade(trade_el, self.ctx, problems, package)
        if trade is not None:  # the package it belongs to: around it, or named in its header
            header = child(trade_el, "tradeHeader")
            if package is not None:
                ref = in_package(package, sequence, problems)
            else:
                ref = None if header is None else originating(header, problems)
            if ref is not None:
                trade = replace(trade, package=ref)
        index = self.count
        self.count += 1
        if trade is None or problems.issues:
            from gateway.formats.fpml.read.xml import path_of

            issues = bounded(problems.issues, problems.dropped) or [
                Issue(ReasonCode.FPML_INVALID_VALUE, path_of(trade_el), "unreadable")
            ]
            self.failures.append(TradeFailure(index, path_of(trade_el), tuple(issues)))
            return None
        self.trades.append(trade)
        return trade

    def read_events(self, holder: Element) -> list[Trade]:
        """``trade`` or ``tradePackage/trade`` children of ``holder`` (TradingEvents.model)."""
        out = []
        for trade_el in self.ctx.every(holder, "trade"):
            t = self.read(trade_el)
            if t is not None:
                out.append(t)
        for package in self.ctx.every(holder, "tradePackage"):
            for sequence, trade_el in enumerate(children(package, "trade"), start=1):
                t = self.read(trade_el, package, sequence)
                if t is not None:
                    out.append(t)
        return out


def _package_id(root: Element, ctx: DocContext) -> str | None:
    """``tradeId`` of the first ``tradePackage/packageHeader/packageIdentifier`` in document order."""
    for package in ctx.every(root, "tradePackage"):
        for package_header in children(package, "packageHeader"):
            for ident in children(package_header, "packageIdentifier"):
                return child_text(ident, "tradeId")
    return None


def _request(root: Element, ctx: DocContext, problems: Problems, *, retracted: bool) -> Extracted:
    collector = _Collector(ctx)
    trades = collector.read_events(root)
    if collector.count == 0 and not retracted:
        problems.add(ReasonCode.SCOPE_NO_TRADE, root, "the clearing request carries no trade")
    header = header_of(root, problems, ctx)
    message = None
    if header is not None:
        message = ClearingRequest(
            header=header,
            trades=tuple(trades),
            correlation_id=ctx.correlation_id,
            sequence_number=_sequence(root, ctx, problems),
            is_correction=text_of(ctx.first(root, "isCorrection")) == "true",
            package_id=_package_id(root, ctx),
            retracted=retracted,
        )
    return Extracted(message, collector.trades, collector.failures, atomic=True)


def _status(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
    collector = _Collector(ctx)
    item = ctx.first(root, "clearingStatusItem")
    header = header_of(root, problems, ctx)
    if item is None:
        problems.missing(root, "clearingStatusItem", "a clearing status item")
        return Extracted(None, [], [], atomic=True)
    value_el = readers.required(item, "clearingStatusValue", problems)
    raw = text_of(value_el) or ""
    try:
        status = ClearingStatusCode(raw)
    except ValueError:
        problems.add(
            ReasonCode.FPML_UNKNOWN_CODE,
            value_el if value_el is not None else item,
            f"clearing status {raw!r} is not supported",
        )
        status = None
    trades = collector.read_events(item)
    trade_ids = []
    for ident in children(item, "tradeIdentifier"):
        ref = child(ident, "partyReference")
        target = None if ref is None else ctx.target(ref, problems, "party")
        party = None if target is None else ctx.party(target, problems)
        for tid in ident.iter(q("tradeId")):
            value = text_of(tid)
            if value:
                trade_ids.append(
                    PartyTradeId(party.party_id if party else "", value, tid.get("tradeIdScheme"))
                )
    applies = []
    for ref in children(item, "statusAppliesTo"):
        target = ctx.target(ref, problems, "party")
        party = None if target is None else ctx.party(target, problems)
        if party is not None:
            applies.append(party.party_id)
    reasons = []
    for reason in children(item, "reason"):
        code_text = child_text(reason, "reasonCode") or ""
        code = _exact_code(reason) or _REASON_BY_FPML.get(code_text)
        if code is None:
            problems.add(
                ReasonCode.FPML_UNKNOWN_CODE,
                reason,
                f"reason code {code_text!r} is not one this gateway knows",
            )
            continue
        location = reason.find(q("location"))
        reasons.append(
            Issue(code, text_of(location) or "", child_text(reason, "description") or REASONS[code].text)
        )
    message = None
    if header is not None and status is not None:
        message = ClearingStatusReport(
            header=header,
            status=status,
            trade=trades[0] if trades else None,
            correlation_id=ctx.correlation_id,
            sequence_number=_sequence(root, ctx, problems),
            reasons=tuple(reasons),
            trade_ids=tuple(trade_ids),
            status_applies_to=tuple(applies),
        )
    return Extracted(message, collector.trades, collector.failures, atomic=True)


def _confirmed(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
    collector = _Collector(ctx)
    submitted: Trade | None = None
    cleared: list[Trade] = []
    clearing = ctx.first(root, "clearing")
    if clearing is not None:
        sub = child(clearing, "submitted")
        if sub is not None:
            found = collector.read_events(sub)
            submitted = found[0] if found else None
        for wrapper in children(clearing, "cleared"):
            cleared.extend(collector.read_events(wrapper))
    else:
        cleared.extend(collector.read_events(root))
    if collector.count == 0:
        problems.add(ReasonCode.SCOPE_NO_TRADE, root, "the confirmation carries no trade")
    header = header_of(root, problems, ctx)
    message = None
    if header is not None and cleared and not collector.failures:
        ccp = _ccp_party(cleared, header)
        if ccp is None:
            problems.add(ReasonCode.FPML_MISSING_FIELD, root, "cannot tell which party is the clearing house")
        else:
            message = ClearingConfirmation(
                header=header,
                submitted=submitted,
                cleared=tuple(cleared),
                ccp_party_id=ccp,
                correlation_id=ctx.correlation_id,
                sequence_number=_sequence(root, ctx, problems),
                originating_event=_originating_event(root, clearing, ctx),
            )
    return Extracted(message, collector.trades, collector.failures, atomic=True)


ISSUE_CODE_SCHEME = "urn:clearing-gateway:issue-code"  # where our writers put the exact ReasonCode


def _exact_code(reason: Element) -> ReasonCode | None:
    """The ReasonCode a gateway wrote in ``validationRuleId`` (several codes share one FpML reasonCode)."""
    for rule in children(reason, "validationRuleId"):
        if rule.get("validationScheme") == ISSUE_CODE_SCHEME:
            try:
                return ReasonCode(text_of(rule) or "")
            except ValueError:
                return None
    return None


def _originating_event(root: Element, clearing: Element | None, ctx: DocContext) -> str | None:
    event = text_of(ctx.first(root, "originatingEvent"))
    if event is None and clearing is not None:
        first = child(clearing, "cleared")
        event = None if first is None else child_text(first, "originatingEvent")
    return event


def _ccp_party(cleared: list[Trade], header: MessageHeader) -> str | None:
    """The party present in every cleared trade; when that is ambiguous, the one that sent the message."""
    common = {p.party_id for p in cleared[0].parties}
    for t in cleared[1:]:
        common &= {p.party_id for p in t.parties}
    if len(common) == 1:
        return next(iter(common))
    if header.sent_by in common:
        return header.sent_by
    return None


def _document(kind: MessageType) -> Callable[[Element, DocContext, Problems], Extracted]:
    def read(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
        collector = _Collector(ctx)
        collector.read_events(root)
        if collector.count == 0:
            problems.add(ReasonCode.SCOPE_NO_TRADE, root, f"the {kind.value} carries no trade")
        header = header_of(root, problems, ctx)
        message = TradeDocument(kind, tuple(collector.trades), header)
        atomic = kind is not MessageType.DATA_DOCUMENT
        return Extracted(message, collector.trades, collector.failures, atomic=atomic)

    return read


def _confirmation_request(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
    """``requestConfirmation``: a post-trade event on a cleared trade (``termination``, ``increase``,
    ``amendment``), else
    the trades it carries as a document."""
    termination = ctx.first(root, "termination")
    if termination is not None:
        return _event(root, ctx, problems, read_termination(termination, ctx, problems))
    increase = ctx.first(root, "increase")
    if increase is not None:
        return _event(root, ctx, problems, read_termination(increase, ctx, problems, EventKind.INCREASE))
    amendment = ctx.first(root, "amendment")
    if amendment is not None:
        return _event(root, ctx, problems, read_amendment(amendment, ctx, problems))
    return _document(MessageType.REQUEST_CONFIRMATION)(root, ctx, problems)


def _clearing_request(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
    """``requestClearing``: a trade (or package) to clear, or ``deClear`` of a cleared trade."""
    declear = ctx.first(root, "deClear")
    if declear is None:
        return _request(root, ctx, problems, retracted=False)
    return _event(root, ctx, problems, read_declear(declear, ctx, problems))


def _reference_update(root: Element, ctx: DocContext, problems: Problems) -> Extracted:
    """``requestTradeReferenceInformationUpdate``: a party's own id of a cleared trade."""
    info = ctx.first(root, "tradeReferenceInformation")
    if info is None:
        problems.missing(root, "tradeReferenceInformation")
        return Extracted(None, [], [], atomic=True)
    return _event(root, ctx, problems, read_reference_update(info, ctx, problems))


def _event(root: Element, ctx: DocContext, problems: Problems, terms: EventTerms | None) -> Extracted:
    header = header_of(root, problems, ctx)
    message = None
    if header is not None and terms is not None:
        message = LifecycleRequest(
            header=header,
            terms=terms,
            correlation_id=ctx.correlation_id,
            sequence_number=_sequence(root, ctx, problems),
            is_correction=text_of(ctx.first(root, "isCorrection")) == "true",
        )
    return Extracted(message, [], [], atomic=True)


READERS: dict[MessageType, Callable[[Element, DocContext, Problems], Extracted]] = {
    MessageType.REQUEST_CLEARING: _clearing_request,
    MessageType.REQUEST_CLEARING_RETRACTED: lambda r, c, p: _request(r, c, p, retracted=True),
    MessageType.CLEARING_STATUS: _status,
    MessageType.CLEARING_CONFIRMED: _confirmed,
    MessageType.REQUEST_CONSENT: _document(MessageType.REQUEST_CONSENT),
    MessageType.EXECUTION_NOTIFICATION: _document(MessageType.EXECUTION_NOTIFICATION),
    MessageType.REQUEST_CONFIRMATION: _confirmation_request,
    MessageType.REQUEST_TRADE_REFERENCE_UPDATE: _reference_update,
    MessageType.DATA_DOCUMENT: _document(MessageType.DATA_DOCUMENT),
}
