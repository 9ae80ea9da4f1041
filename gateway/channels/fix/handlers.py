"""What the CCP does with each inbound application message: the FIX side of the clearing pipeline.

``FixHandlers.handle(comp_id, raw)`` parses a message quickfix has already validated, asks the
``ClearingPort`` (submit, withdraw, credit check, release, positions) and returns the replies to send
on the same session. It never raises: every failure becomes a reply that names the field and the rule.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime

from gateway import security_log
from gateway.channels import events
from gateway.channels.fix.config import AcceptorConfig, FixSession
from gateway.channels.fix.event_handlers import EventHandlers
from gateway.channels.fix.identity import log_identity_refusals
from gateway.channels.fix.positions import positions
from gateway.clearing.ports import Affirmation, Channel, ClearingPort, CreditDecision, EventPort, Submission
from gateway.clock import Clock
from gateway.domain.errors import GatewayError, InputRejected, Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade, TradeIdentifiers
from gateway.formats.fix import codes, replies
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.event_read import is_event
from gateway.formats.fix.package import read_package
from gateway.formats.fix.reader import Reader
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_read import read_streams, read_trade
from gateway.formats.fix.wire import FieldSet, Out, Parsed, parse
from gateway.logs import event

log = logging.getLogger(__name__)
CHANNEL = "fix"

XmlReader = Callable[[bytes], Trade]
FPML_SCHEMA_HINT = "http://www.fpml.org/FpML-5/confirmation"
INBOUND = frozenset({"AE", "D", "F", "AN"})
ACCEPT, DECLINE = "2", "3"  # TradeReportType of a member's answer to a trade alleged against it


def default_xml_reader() -> XmlReader:
    """The FpML intake's reader for one trade (imported lazily: lxml and the schema load on first use)."""
    from gateway.formats.fpml.read import parse_trade_xml

    return parse_trade_xml


def _as_configured(_comp_id: str) -> bool | None:
    return None


class FixHandlers:
    def __init__(
        self,
        port: ClearingPort,
        config: AcceptorConfig,
        dictionary: Dictionary,
        clock: Clock,
        xml_reader: XmlReader | None = None,
        events: EventPort | None = None,
    ) -> None:
        self.port = port
        self.events = EventHandlers(events, dictionary)
        self.config = config
        self.d = dictionary
        self.clock = clock
        self.xml_reader = xml_reader
        # a source session's status as the reference data says it now (the acceptor sets it; None: as
        # configured at start): a source suspended while logged on has its messages refused
        self.source_active: Callable[[str], bool | None] = _as_configured

    async def handle(self, comp_id: str, raw: str) -> list[Out]:
        """Replies to one inbound application message from the session of ``comp_id``."""
        member = self.config.session(comp_id)
        msg_type = _msg_type(raw)
        seq = _header_value(raw, "34")
        ref_id = _business_id(raw, msg_type)
        if member is None:  # quickfix only creates sessions for configured members; defensive
            return [
                replies.business_reject(
                    ref_msg_type=msg_type, ref_seq_num=seq, ref_id=ref_id, reason="6", text="unknown session"
                )
            ]
        if member.trade_source:
            active = self.source_active(comp_id)
            if not (member.enabled if active is None else active):
                security_log.refused(
                    "fix",
                    comp_id,
                    ReasonCode.AUTH_SOURCE_SUSPENDED,
                    f"{msg_type}: the trade source is suspended",
                )
                return [
                    replies.business_reject(
                        ref_msg_type=msg_type,
                        ref_seq_num=seq,
                        ref_id=ref_id,
                        reason="6",  # not authorised
                        text=f"{ReasonCode.AUTH_SOURCE_SUSPENDED}: SenderCompID {comp_id} is a suspended trade source",
                    )
                ]
        if not raw:  # the bridge could not read the message out of quickfix
            return [
                replies.business_reject(
                    ref_msg_type=msg_type,
                    ref_seq_num=None,
                    ref_id=ref_id,
                    reason="0",
                    text="the last message could not be read; send it again with PossResend=Y",
                )
            ]
        if len(raw) > self.config.max_message_bytes:
            return [
                replies.business_reject(
                    ref_msg_type=msg_type,
                    ref_seq_num=seq,
                    ref_id=ref_id,
                    reason="0",
                    text=f"message of {len(raw)} bytes exceeds the limit of {self.config.max_message_bytes}",
                )
            ]
        if msg_type not in INBOUND:
            return [
                replies.business_reject(
                    ref_msg_type=msg_type,
                    ref_seq_num=seq,
                    ref_id=ref_id,
                    reason="3",
                    text=f"MsgType {msg_type} is sent by the CCP, not accepted from members",
                )
            ]
        try:
            parsed = parse(raw, self.d)
        except InputRejected as exc:
            return [
                replies.business_reject(
                    ref_msg_type=msg_type,
                    ref_seq_num=seq,
                    ref_id=ref_id,
                    reason="0",
                    text=replies.explain(exc.issues),
                )
            ]
        try:
            if msg_type == "AE":
                return [await self._trade_report(member, parsed, raw)]
            if msg_type == "D":
                return [await self._order(member, parsed)]
            if msg_type == "F":
                return [await self._cancel_order(member, parsed)]
            return await positions(self.port, self.d, member, parsed.body)
        except Exception:
            log.exception(
                "FIX %s from %s failed",
                msg_type,
                comp_id,
                extra=event("fix.message_failed", channel=CHANNEL, identity=comp_id, msg_type=msg_type),
            )
            return [
                replies.business_reject(
                    ref_msg_type=msg_type,
                    ref_seq_num=seq,
                    ref_id=ref_id,
                    reason="4",
                    text="internal error; the message was not processed, send it again with PossResend=Y",
                )
            ]

    # --- TradeCaptureReport ---------------------------------------------------------------------------

    async def _trade_report(self, member: FixSession, parsed: Parsed, raw: str) -> Out:
        body = parsed.body
        report_id = body.get(T.TradeReportID) or ""
        trade_id = body.get(T.TradeID)
        trans = body.get(T.TradeReportTransType) or "0"
        now = self.clock.now()

        report_type = body.get(T.TradeReportType) or "0"

        def rejected(issues: Sequence[Issue]) -> Out:
            return replies.trade_report_ack(
                report_id=report_id,
                trade_id=trade_id,
                trans_type=trans,
                at=now,
                issues=issues,
                report_type=report_type,
            )

        if is_event(body):  # a lifecycle event on a cleared trade (TradeContinuation)
            return await self.events.report(member, body, raw, now, rejected)
        if trans == "1":
            if not trade_id:
                return rejected(
                    [
                        Issue(
                            ReasonCode.FIX_MISSING_FIELD, self.d.label(T.TradeID), "names the trade to cancel"
                        )
                    ]
                )
            try:
                update = await self.port.withdraw(
                    member.comp_id, trade_id, now, f"cancelled by {member.comp_id}"
                )
            except GatewayError as exc:  # named by the field the member gave, whatever the port calls it
                label = self.d.label(T.TradeID)
                return rejected([Issue(i.code, label, i.message) for i in exc.issues])
            return replies.trade_report_ack(
                report_id=report_id,
                trade_id=trade_id,
                trans_type=trans,
                at=now,
                update=update,
                report_type=report_type,
            )
        if trans == "0" and report_type in (ACCEPT, DECLINE):
            return await self._affirm(member, body, report_id, trade_id, now, rejected)
        if report_type != "0":
            return rejected(
                [
                    Issue(
                        ReasonCode.FIX_INVALID_VALUE,
                        self.d.label(T.TradeReportType),
                        "a new report is a Submit (0), or the Accept (2) or Decline (3) of a trade alleged "
                        "against you; a replacement is a Submit (0)",
                    )
                ]
            )
        try:
            trade = self._trade_of(body)
            if (package := read_package(body, self.d, member.comp_id)) is not None:
                trade = dataclasses.replace(trade, package=package)
            self._authorise(member, trade)
        except InputRejected as exc:
            log_identity_refusals(member, exc.issues)
            return rejected(exc.issues)
        if trans == "2" and trade.identifiers.source_version < 2:
            return rejected(
                [
                    Issue(
                        ReasonCode.FIX_MISSING_FIELD,
                        self.d.label(T.TradeVersion),
                        "a replacement carries the new version (2 or more)",
                    )
                ]
            )
        submission = Submission(
            channel=Channel.FIX,
            source=member.comp_id,
            message_id=report_id,
            received_at=now,
            trade=trade,
            is_correction=trans == "2",
            package_id=None if trade.package is None else trade.package.package_id,
            raw=raw.encode("utf-8", "surrogateescape"),
            orders=_orders_of(body, member),
            # a member's own report is alleged to the other side; an approved source's is affirmed already
            reporter_party=None if member.trade_source else member.participant,
        )
        try:
            update = await self.port.submit(submission)
        except GatewayError as exc:
            log_identity_refusals(member, exc.issues)
            events.refused(CHANNEL, member.comp_id, trade, report_id, exc.issues)
            return rejected(exc.issues)
        events.received(CHANNEL, update, report_id)
        return replies.trade_report_ack(
            report_id=report_id, trade_id=trade_id, trans_type=trans, at=now, update=update
        )

    async def _affirm(
        self,
        member: FixSession,
        body: FieldSet,
        report_id: str,
        trade_id: str | None,
        now: datetime,
        rejected: Callable[[Sequence[Issue]], Out],
    ) -> Out:
        """Accept (856=2) or Decline (856=3) of a trade alleged against the member: named by
        TradeReportRefID (the alleged report's TradeReportID) or TradeID; an Accept gives the member's own
        side (its Account, none for its house account, and its SideTradeID) and nothing of the other's."""
        report_type = body.get(T.TradeReportType) or ""
        account: str | None = None
        side_trade_id: str | None = None
        for side in body.group(T.NoSides):
            firms = {p.get(T.PartyID) for p in side.group(T.NoPartyIDs)}
            if member.participant in firms:
                account = side.get(T.Account)
                side_trade_id = side.get(T.SideTradeID)
            elif side.get(T.Account):
                issue = Issue(
                    ReasonCode.ELIG_ACCOUNT_NOT_YOURS,
                    self.d.label(T.Account),
                    f"{member.comp_id} may name only the accounts of {member.participant}",
                )
                log_identity_refusals(member, [issue])
                return rejected([issue])
        if account and member.accounts and account not in member.accounts:
            return rejected(
                [
                    Issue(
                        ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                        self.d.label(T.Account),
                        f"{account!r} is not an account of {member.participant}",
                    )
                ]
            )
        affirmation = Affirmation(
            comp_id=member.comp_id,
            party_id=member.participant,
            accept=report_type == ACCEPT,
            at=now,
            report_id=body.get(T.TradeReportRefID),
            trade_id=trade_id,
            account=account,
            side_trade_id=side_trade_id,
        )
        try:
            update = await self.port.affirm(affirmation)
        except GatewayError as exc:
            label = self.d.label(T.TradeReportRefID if affirmation.report_id else T.TradeID)
            issues = [Issue(i.code, label, i.message) for i in exc.issues]
            log_identity_refusals(member, issues)
            return rejected(issues)
        return replies.trade_report_ack(
            report_id=report_id,
            trade_id=trade_id,
            trans_type="0",
            at=now,
            update=update,
            report_type=report_type,
        )

    def _trade_of(self, body: FieldSet) -> Trade:
        xml = body.get(T.SecurityXML)
        if xml is None:
            return read_trade(body, self.d)
        issues: list[Issue] = []
        r = Reader(body, self.d, issues)
        if body.group(T.NoStreams):
            r.fail(
                ReasonCode.FIX_INVALID_VALUE,
                T.NoStreams,
                "send the swap either in SecurityXML or in streams, not both",
            )
        schema = body.get(T.SecurityXMLSchema)
        if schema is not None and schema != FPML_SCHEMA_HINT:
            r.fail(ReasonCode.FIX_INVALID_VALUE, T.SecurityXMLSchema, f"must be {FPML_SCHEMA_HINT}")
        if issues:
            raise InputRejected(issues)
        reader = self.xml_reader or default_xml_reader()
        try:
            trade = reader(xml.encode("utf-8", "surrogateescape"))
        except InputRejected as exc:
            raise InputRejected(
                [Issue(i.code, f"{self.d.label(T.SecurityXML)}{i.path}", i.message) for i in exc.issues]
            ) from None
        trade_id = body.get(T.TradeID)
        if trade_id != trade.identifiers.source_trade_id:
            raise InputRejected(
                [
                    Issue(
                        ReasonCode.FIX_INVALID_VALUE,
                        self.d.label(T.TradeID),
                        f"{trade_id!r} differs from the FpML trade's id {trade.identifiers.source_trade_id!r}",
                    )
                ]
            )
        return trade

    def _authorise(self, member: FixSession, trade: Trade) -> None:
        """A member reports only its own trades, on its own accounts; a trade source any members' trades."""
        if member.trade_source:
            return
        own = [p for p in trade.parties if p.party_id == member.participant]
        if not own:
            raise InputRejected(
                [
                    Issue(
                        ReasonCode.ELIG_UNKNOWN_PARTY,
                        self.d.label(T.PartyID),
                        f"SenderCompID {member.comp_id} reports for {member.participant}, which is neither side",
                    )
                ]
            )
        for other in trade.parties:
            if other.party_id != member.participant and other.account:
                raise InputRejected(
                    [
                        Issue(
                            ReasonCode.ELIG_ACCOUNT_NOT_YOURS,
                            self.d.label(T.Account),
                            f"{member.comp_id} may name only the accounts of {member.participant}, "
                            f"not {other.account!r} of {other.party_id}",
                        )
                    ]
                )
        account = own[0].account
        if member.accounts and account not in member.accounts:
            raise InputRejected(
                [
                    Issue(
                        ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                        self.d.label(T.Account),
                        f"{account!r} is not an account of {member.participant}",
                    )
                ]
            )

    # --- NewOrderSingle / OrderCancelRequest -------------------------------------------------------------

    def _order_id(self, member: FixSession, cl_ord_id: str) -> str:
        return f"{member.comp_id}-{cl_ord_id}"

    async def _order(self, member: FixSession, parsed: Parsed) -> Out:
        body = parsed.body
        cl_ord_id = body.get(T.ClOrdID) or ""
        side = body.get(T.Side) or "1"
        account = body.get(T.Account) or ""
        qty = body.get(T.OrderQty)
        now = self.clock.now()
        order_id = self._order_id(member, cl_ord_id)

        def report(decision: CreditDecision | None = None, issues: Sequence[Issue] = ()) -> Out:
            return replies.execution_report(
                order_id=order_id,
                cl_ord_id=cl_ord_id,
                side=side,
                account=account,
                order_qty=qty,
                at=now,
                decision=decision,
                issues=issues,
            )

        try:
            trade = self._order_trade(member, body, side, account, now.date())
        except InputRejected as exc:
            return report(issues=exc.issues)
        try:
            decision = await self.port.credit_check(member.participant, account, trade, cl_ord_id)
        except GatewayError as exc:
            return report(issues=exc.issues)
        return report(decision=decision)

    def _order_trade(self, member: FixSession, body: FieldSet, side: str, account: str, today: date) -> Trade:
        """The swap of an order as a trade between the member (on ``side``) and the CCP."""
        issues: list[Issue] = []
        r = Reader(body, self.d, issues)
        if member.accounts and account not in member.accounts:
            r.fail(
                ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                T.Account,
                f"{account!r} is not an account of {member.participant}",
            )
        other = "2" if side == "1" else "1"
        parties = {
            side: Party(member.participant, scheme=codes.LEI_SCHEME, account=account),
            other: Party(self.config.ccp_party_id),
        }
        product = r.coded(T.SecuritySubType, codes.PRODUCT, required=True)
        trade_date = r.day(T.TradeDate) or today
        quantity = r.decimal(T.OrderQty, required=True)
        streams = read_streams(body, self.d, parties, issues)
        first = next((s for s in streams if s is not None), None)
        if quantity is not None and first is not None and quantity != first.notional:
            r.fail(
                ReasonCode.FIX_INVALID_VALUE,
                T.OrderQty,
                f"{quantity} differs from the swap's notional {first.notional}",
            )
        if issues or product is None:
            raise InputRejected(
                issues
                or [Issue(ReasonCode.FIX_MISSING_FIELD, self.d.label(T.SecuritySubType), "is required")]
            )

        try:
            return Trade(
                identifiers=TradeIdentifiers(body.get(T.ClOrdID) or "?"),
                trade_date=trade_date,
                product=product,
                parties=(parties["1"], parties["2"]),
                streams=tuple(s for s in streams if s is not None),
            )
        except TradeInvalid as exc:
            raise InputRejected(
                [Issue(i.code, f"{body.path}: {i.path}", i.message) for i in exc.issues]
            ) from None

    async def _cancel_order(self, member: FixSession, parsed: Parsed) -> Out:
        body = parsed.body
        cl_ord_id = body.get(T.ClOrdID) or ""
        orig = body.get(T.OrigClOrdID) or ""
        now = self.clock.now()
        try:
            await self.port.release_credit(member.participant, orig)
        except GatewayError as exc:
            return replies.order_cancel_reject(
                cl_ord_id=cl_ord_id, orig_cl_ord_id=orig, at=now, issues=exc.issues
            )
        return replies.execution_report(
            order_id=self._order_id(member, orig),
            cl_ord_id=cl_ord_id,
            side=body.get(T.Side) or "1",
            account=body.get(T.Account) or "",
            order_qty=None,
            at=now,
            cancelled_from=orig,
        )


def _header_value(raw: str, tag: str) -> str | None:
    start = raw.find(f"\x01{tag}=")
    if start < 0:
        return None
    start += len(tag) + 2
    end = raw.find("\x01", start)
    return raw[start:end] if end >= 0 else raw[start:]


_BUSINESS_ID_TAG = {"AE": "571", "D": "11", "F": "11", "AN": "710"}


def _business_id(raw: str, msg_type: str) -> str | None:
    """The message's own id (TradeReportID, ClOrdID, PosReqID) for BusinessRejectRefID."""
    tag = _BUSINESS_ID_TAG.get(msg_type)
    return _header_value(raw, tag) if tag else None


def _msg_type(raw: str) -> str:
    return _header_value(raw, "35") or "?"


def _orders_of(body: FieldSet, member: FixSession) -> tuple[tuple[str, str], ...]:
    """(party, ClOrdID) of each side that names the order it was executed from: the pre-trade reservations
    the trade releases. A member names only its own side's order; a trade source any side's."""
    out: list[tuple[str, str]] = []
    for side in body.group(T.NoSides):
        order = side.get(T.ClOrdID)
        if not order:
            continue
        firm = next(
            (
                p.get(T.PartyID)
                for p in side.group(T.NoPartyIDs)
                if p.get(T.PartyRole) == codes.ROLE_EXECUTING_FIRM
            ),
            None,
        )
        if firm and (member.trade_source or firm == member.participant):
            out.append((firm, order))
    return tuple(out)
