"""Lifecycle events over FIX: a member's proposal on a cleared trade of its own, and the other member's answer.

A TradeCaptureReport carrying TradeContinuation (1937) is about an event, not a trade. Submitted (856=0)
it is a proposal: read (``gateway/formats/fix/event_read.py``), checked to name only the member's own
side and account, and handed to ``EventPort.propose_event``, which alleges it to the other member. An
Accept (856=2) or Decline (856=3) naming the proposal by TradeReportRefID (572, the proposal's
TradeReportID as the alleged report carried it) and/or TradeID goes to ``EventPort.answer_event``. Either
is acknowledged with an AR; a refusal names the field and the rule, and a refusal of who the member is
leaves a security log line. A trade source's session sends its events in FpML (``requestConfirmation``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from gateway.channels.fix.config import FixSession
from gateway.channels.fix.identity import log_identity_refusals
from gateway.clearing.ports import Affirmation, Channel, EventPort, EventProposal, EventRequest
from gateway.domain.errors import GatewayError, InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix import replies
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.event_read import read_event
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet, Out

ACCEPT, DECLINE = "2", "3"
Rejected = Callable[[Sequence[Issue]], Out]


class EventHandlers:
    def __init__(self, events: EventPort | None, dictionary: Dictionary) -> None:
        self.events = events
        self.d = dictionary

    def _relabel(self, issues: Sequence[Issue], tag: int) -> list[Issue]:
        """The port's issues named by the field the member gave (whatever the port calls it)."""
        return [Issue(i.code, self.d.label(tag), i.message) for i in issues]

    async def report(
        self, member: FixSession, body: FieldSet, raw: str, now: datetime, rejected: Rejected
    ) -> Out:
        report_id = body.get(T.TradeReportID) or ""
        trade_id = body.get(T.TradeID)
        trans = body.get(T.TradeReportTransType) or "0"
        report_type = body.get(T.TradeReportType) or "0"
        if self.events is None or member.trade_source:
            return rejected(
                [
                    Issue(
                        ReasonCode.FIX_INVALID_VALUE,
                        self.d.label(T.TradeContinuation),
                        "lifecycle events over FIX are proposed and accepted by the trade's two members; "
                        "a trade source sends them in FpML",
                    )
                ]
            )
        if report_type in (ACCEPT, DECLINE):
            return await self._answer(member, body, report_id, trade_id, trans, report_type, now, rejected)
        if report_type != "0":
            return rejected(
                [
                    Issue(
                        ReasonCode.FIX_INVALID_VALUE,
                        self.d.label(T.TradeReportType),
                        "an event is proposed with Submit (0) and answered with Accept (2) or Decline (3)",
                    )
                ]
            )
        try:
            read = read_event(body, self.d, member.participant)
        except InputRejected as exc:
            log_identity_refusals(member, exc.issues)
            return rejected(exc.issues)
        account = read.side.account
        if account is not None and member.accounts and account not in member.accounts:
            return rejected(
                [
                    Issue(
                        ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                        self.d.label(T.Account),
                        f"{account!r} is not an account of {member.participant}",
                    )
                ]
            )
        request = EventRequest(
            Channel.FIX,
            member.comp_id,
            report_id,
            now,
            read.terms,
            raw=raw.encode("utf-8", "surrogateescape"),
        )
        proposal = EventProposal(request, member.participant, account, read.fee)
        try:
            update = await self.events.propose_event(proposal)
        except GatewayError as exc:
            issues = [
                dataclasses.replace(i, path=self.d.label(T.Account if i.path == "account" else T.TradeID))
                for i in exc.issues
            ]
            log_identity_refusals(member, issues)
            return rejected(issues)
        return replies.trade_report_ack(
            report_id=report_id, trade_id=trade_id, trans_type=trans, at=now, update=update
        )

    async def _answer(
        self,
        member: FixSession,
        body: FieldSet,
        report_id: str,
        trade_id: str | None,
        trans: str,
        report_type: str,
        now: datetime,
        rejected: Rejected,
    ) -> Out:
        assert self.events is not None
        ref = body.get(T.TradeReportRefID)
        if not ref and not trade_id:
            return rejected(
                [
                    Issue(
                        ReasonCode.FIX_MISSING_FIELD,
                        self.d.label(T.TradeReportRefID),
                        "names the proposal to accept or decline",
                    )
                ]
            )
        for side in body.group(T.NoSides):  # an answer gives nothing of the other member's side
            firms = {p.get(T.PartyID) for p in side.group(T.NoPartyIDs)}
            if firms - {member.participant}:
                issue = Issue(
                    ReasonCode.ELIG_ACCOUNT_NOT_YOURS
                    if side.get(T.Account)
                    else ReasonCode.ELIG_UNKNOWN_PARTY,
                    self.d.label(T.NoSides),
                    f"an answer names only {member.participant}'s own side",
                )
                log_identity_refusals(member, [issue])
                return rejected([issue])
        affirmation = Affirmation(
            comp_id=member.comp_id,
            party_id=member.participant,
            accept=report_type == ACCEPT,
            at=now,
            report_id=ref,
            trade_id=trade_id,
        )
        try:
            update = await self.events.answer_event(affirmation)
        except GatewayError as exc:
            issues = self._relabel(exc.issues, T.TradeReportRefID if ref else T.TradeID)
            log_identity_refusals(member, issues)
            return rejected(issues)
        return replies.trade_report_ack(
            report_id=report_id,
            trade_id=trade_id,
            trans_type=trans,
            at=now,
            update=update,
            report_type=report_type,
        )
