"""Business messages -> FpML 5.10 clearing messages (``clearingAcknowledgement``, ``clearingStatus``,
``clearingConfirmed``, ``clearingRefused``), each valid against the official confirmation-view schema.

Every writer is a pure function of its message: the creation timestamp is the message's, never the
clock's, and the same message always gives the same bytes. ``source`` is the trade source whose
trade id the trades carry (see ``gateway.formats.fpml.write.render``).

A reason (``Issue``) is written as ``reason``: ``reasonCode`` is the FpML reason of the REASONS table,
``location`` the offending path (``locationType="xpath"``), ``description`` the message, and
``validationRuleId`` (scheme ``urn:clearing-gateway:issue-code``) the gateway's own ``ReasonCode``, so
a reader gets the exact code back even where two codes share an FpML reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from gateway.domain.errors import Issue
from gateway.domain.events import EventKind
from gateway.domain.messages import (
    ClearingConfirmation,
    ClearingRefusal,
    ClearingStatusReport,
    EventConfirmation,
    EventRefusal,
    MessageHeader,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId
from gateway.formats.fpml.write import render, schemes
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.render import Emit, attr, inner, text
from gateway.formats.fpml.write.xml import prose, timestamp_text, write_error, xml_text

ISSUE_CODE_SCHEME = "urn:clearing-gateway:issue-code"
CLEARING_EVENT = "Clearing"  # originatingEvent of each cleared trade (scheme originating-event)


def clearing_acknowledgement(
    report: ClearingStatusReport, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingAcknowledgement``: the request ``report.header.in_reply_to`` was received.

    The schema requires ``inReplyTo`` and a ``correlationId``; without a correlation id of its own the
    acknowledgement correlates on the source's trade id (or the first trade id it names).
    """

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, report.header, response=True)
        trade = report.trade
        correlation = report.correlation_id
        if correlation is None:
            if trade is not None:
                correlation = trade.identifiers.source_trade_id
            elif report.trade_ids:
                correlation = report.trade_ids[0].trade_id
            else:
                raise write_error(
                    ReasonCode.FPML_MISSING_FIELD, "correlationId", "nothing to correlate the receipt on"
                )
        _correlation(emit, ind, correlation, report.sequence_number)
        parties = PartyTable()
        i2 = inner(ind)
        if trade is not None:
            for party in trade.parties:
                parties.add(party)
            emit(f"{ind}<tradeReferenceInformation>")
            render.identifiers(emit, i2, trade, parties, source)
            emit(f"{ind}</tradeReferenceInformation>")
        elif report.trade_ids:
            emit(f"{ind}<tradeReferenceInformation>")
            for index, pti in enumerate(report.trade_ids):
                _trade_id(
                    emit, i2, "partyTradeIdentifier", pti, parties, f"tradeReferenceInformation[{index}]"
                )
            emit(f"{ind}</tradeReferenceInformation>")
        _finish_parties(emit, ind, parties, extra_parties)

    return render.document("clearingAcknowledgement", body, pretty=pretty)


def clearing_status(
    report: ClearingStatusReport, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingStatus`` with the whole trade (or its identifiers), its status and any reasons.

    The status value comes from ``schemes.CLEARING_STATUS``; ``status_applies_to`` becomes
    ``statusAppliesTo`` (at most two parties, as the schema allows).
    """

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, report.header, response=False)
        _correlation(emit, ind, report.correlation_id, report.sequence_number)
        parties = PartyTable()
        i2 = inner(ind)
        emit(f"{ind}<clearingStatusItem>")
        if report.trade is not None:
            render.trade(emit, i2, report.trade, parties, source=source)
        elif report.trade_ids:
            for index, pti in enumerate(report.trade_ids):
                _trade_id(emit, i2, "tradeIdentifier", pti, parties, f"tradeIdentifier[{index}]")
        else:
            raise write_error(
                ReasonCode.SCOPE_NO_TRADE, "clearingStatusItem", "a status names a trade or its ids"
            )
        emit(f"{i2}<clearingStatusValue>{schemes.CLEARING_STATUS[report.status]}</clearingStatusValue>")
        _reasons(emit, i2, report.reasons)
        if len(report.status_applies_to) > 2:
            raise write_error(
                ReasonCode.FPML_INVALID_VALUE, "statusAppliesTo", "a status applies to at most two parties"
            )
        for index, party_id in enumerate(report.status_applies_to):
            href = parties.ref(xml_text(party_id, f"statusAppliesTo[{index}]", coded=True))
            emit(f'{i2}<statusAppliesTo href="{href}"/>')
        emit(f"{ind}</clearingStatusItem>")
        _finish_parties(emit, ind, parties, extra_parties)

    return render.document("clearingStatus", body, pretty=pretty)


def _trade_id(emit: Emit, ind: str, tag: str, pti: PartyTradeId, parties: PartyTable, path: str) -> None:
    i2 = inner(ind)
    href = parties.ref(xml_text(pti.party_id, f"{path}.partyReference", coded=True))
    value = text(xml_text(pti.trade_id, f"{path}.tradeId", coded=True))
    scheme = attr(pti.scheme or schemes.PARTY_TRADE_ID)
    emit(
        f'{ind}<{tag}>{i2}<partyReference href="{href}"/>'
        f'{i2}<tradeId tradeIdScheme="{scheme}">{value}</tradeId>{ind}</{tag}>'
    )


def clearing_confirmed(
    confirmation: ClearingConfirmation,
    *,
    source: str,
    cleared_date: date | None = None,
    extra_parties: Sequence[Party] = (),
    pretty: bool = True,
) -> bytes:
    """``clearingConfirmed``: the submitted trade and the two CCP-facing trades that replace it.

    With a submitted trade there must be exactly two cleared trades (the schema's ``clearing``); each is
    written with ``originatingEvent`` (the confirmation's, else ``Clearing``). Without one, a single
    cleared trade is written on its own (e.g. a swap created by exercise), after its ``originatingEvent``
    if the confirmation names one. Each cleared trade must face the CCP (``ccp_party_id``). ``source`` owns
    the submitted trade's id; a cleared trade's own id (its ``source_trade_id``, set at novation) is the
    CCP's, so it is written as the CCP's ``versionedTradeId``, followed by the trade's party trade ids.
    ``cleared_date`` becomes each cleared trade's ``clearedDate``.
    """
    for index, trade in enumerate(confirmation.cleared):
        if confirmation.ccp_party_id not in (p.party_id for p in trade.parties):
            raise write_error(
                ReasonCode.FPML_PARTIES_NOT_DISTINCT,
                f"clearing.cleared[{index}]",
                f"cleared trade is not facing the CCP {confirmation.ccp_party_id}",
            )

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, confirmation.header, response=False)
        _correlation(emit, ind, confirmation.correlation_id, confirmation.sequence_number)
        parties = PartyTable()
        event = confirmation.originating_event
        ccp = confirmation.ccp_party_id
        if confirmation.submitted is not None:
            if len(confirmation.cleared) != 2:
                raise write_error(
                    ReasonCode.FPML_INVALID_VALUE,
                    "clearing.cleared",
                    f"novation gives two cleared trades, not {len(confirmation.cleared)}",
                )
            i2 = inner(ind)
            i3 = inner(i2)
            emit(f"{ind}<clearing>{i2}<submitted>")
            render.trade(emit, i3, confirmation.submitted, parties, source=source, prefix="submitted-")
            emit(f"{i2}</submitted>")
            for index, trade in enumerate(confirmation.cleared, start=1):
                value = text(xml_text(event or CLEARING_EVENT, "originatingEvent", coded=True))
                emit(f"{i2}<cleared>{i3}<originatingEvent>{value}</originatingEvent>")
                render.trade(
                    emit, i3, trade, parties, source=ccp, prefix=f"cleared{index}-", cleared_date=cleared_date
                )
                emit(f"{i2}</cleared>")
            emit(f"{ind}</clearing>")
        elif len(confirmation.cleared) == 1:
            if event is not None:
                value = text(xml_text(event, "originatingEvent", coded=True))
                emit(f"{ind}<originatingEvent>{value}</originatingEvent>")
            render.trade(emit, ind, confirmation.cleared[0], parties, source=ccp, cleared_date=cleared_date)
        else:
            raise write_error(
                ReasonCode.FPML_INVALID_VALUE,
                "clearing.cleared",
                f"without the submitted trade a confirmation carries one trade, not {len(confirmation.cleared)}",
            )
        parties.ref(confirmation.ccp_party_id)
        _finish_parties(emit, ind, parties, extra_parties)

    return render.document("clearingConfirmed", body, pretty=pretty)


def clearing_refused(
    refusal: ClearingRefusal, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingRefused``: the trade and every reason it is not cleared."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, refusal.header, response=False)
        _correlation(emit, ind, refusal.correlation_id, refusal.sequence_number)
        parties = PartyTable()
        render.trade(emit, ind, refusal.trade, parties, source=source)
        _finish_parties(emit, ind, parties, extra_parties)
        _reasons(emit, ind, refusal.reasons)

    return render.document("clearingRefused", body, pretty=pretty)


def event_confirmed(
    confirmation: EventConfirmation, *, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingConfirmed`` of a lifecycle event: the event as taken (a ``termination`` with the trade ids,
    dates, fee, change and outstanding notional; a ``deClear`` with the trade ids and effective date), or
    for an increase, a reference update, an amendment or a compression's residual (no element of FpML's
    clearing results) ``originatingEvent`` and the trade as its recipient now holds it. A compression's
    answer opens with its ``compressionActivity`` (a terminated trade's replacement, or the trades a
    residual replaces)."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, confirmation.header, response=False)
        _correlation(emit, ind, confirmation.correlation_id, confirmation.sequence_number)
        parties = PartyTable()
        terms = confirmation.terms
        activity = confirmation.compression
        if activity is not None:
            render.compression_activity(emit, ind, activity.replacement, activity.originating, parties)
        if terms.kind is EventKind.DECLEAR:
            render.de_clear(emit, ind, confirmation.trade_ids, terms, parties)
        elif terms.kind in (EventKind.INCREASE, EventKind.REFERENCE_UPDATE, EventKind.AMENDMENT) or (
            terms.kind is EventKind.COMPRESSION and terms.originating
        ):
            if confirmation.trade is None or confirmation.trade_source is None:
                raise write_error(
                    ReasonCode.FPML_MISSING_FIELD, "trade", "the event is confirmed by its trade"
                )
            emit(f"{ind}<originatingEvent>{text(terms.kind.value)}</originatingEvent>")
            render.trade(emit, ind, confirmation.trade, parties, source=confirmation.trade_source)
        else:
            render.notional_change(emit, ind, "termination", confirmation.trade_ids, terms, parties)
        _finish_parties(emit, ind, parties, extra_parties)

    return render.document("clearingConfirmed", body, pretty=pretty)


def event_refused(
    refusal: EventRefusal, *, ccp_party_id: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingRefused`` of a lifecycle event: the cleared trade as it stands (when given, after
    ``originatingEvent``), then every reason."""

    def body(emit: Emit, ind: str) -> None:
        _header(emit, ind, refusal.header, response=False)
        _correlation(emit, ind, refusal.correlation_id, refusal.sequence_number)
        parties = PartyTable()
        if refusal.trade is not None:
            emit(f"{ind}<originatingEvent>{text(refusal.kind.value)}</originatingEvent>")
            render.trade(emit, ind, refusal.trade, parties, source=ccp_party_id)
        _finish_parties(emit, ind, parties, extra_parties)
        _reasons(emit, ind, refusal.reasons)

    return render.document("clearingRefused", body, pretty=pretty)


def _reasons(emit: Emit, ind: str, issues: Sequence[Issue]) -> None:
    i2 = inner(ind)
    for issue in issues:
        emit(
            f'{ind}<reason>{i2}<reasonCode reasonCodeScheme="{schemes.REASON_CODE}">'
            f"{text(issue.info.fpml_reason)}</reasonCode>"
        )
        if issue.path:
            emit(f'{i2}<location locationType="xpath">{text(prose(issue.path))}</location>')
        if issue.message:
            emit(f"{i2}<description>{text(prose(issue.message))}</description>")
        emit(
            f'{i2}<validationRuleId validationScheme="{ISSUE_CODE_SCHEME}">{text(issue.code.value)}'
            f"</validationRuleId>{ind}</reason>"
        )


def _header(emit: Emit, ind: str, header: MessageHeader, *, response: bool) -> None:
    i2 = inner(ind)
    message_id = text(xml_text(header.message_id, "header.messageId", coded=True))
    emit(f'{ind}<header>{i2}<messageId messageIdScheme="{schemes.MESSAGE_ID}">{message_id}</messageId>')
    if header.in_reply_to is not None:
        in_reply_to = text(xml_text(header.in_reply_to, "header.inReplyTo", coded=True))
        emit(f'{i2}<inReplyTo messageIdScheme="{schemes.MESSAGE_ID}">{in_reply_to}</inReplyTo>')
    elif response:
        raise write_error(ReasonCode.FPML_MISSING_FIELD, "header.inReplyTo", "a response needs inReplyTo")
    sent_by = text(xml_text(header.sent_by, "header.sentBy", coded=True))
    emit(f'{i2}<sentBy messageAddressScheme="{schemes.PARTICIPANT}">{sent_by}</sentBy>')
    for index, recipient in enumerate(header.send_to):
        value = text(xml_text(recipient, f"header.sendTo[{index}]", coded=True))
        emit(f'{i2}<sendTo messageAddressScheme="{schemes.PARTICIPANT}">{value}</sendTo>')
    if header.creation_timestamp is None:
        raise write_error(
            ReasonCode.FPML_MISSING_FIELD, "header.creationTimestamp", "the message has no creation time"
        )
    created = timestamp_text(header.creation_timestamp, "header.creationTimestamp")
    emit(f"{i2}<creationTimestamp>{created}</creationTimestamp>{ind}</header>")


def _correlation(emit: Emit, ind: str, correlation_id: str | None, sequence_number: int | None) -> None:
    if correlation_id is not None:
        value = text(xml_text(correlation_id, "correlationId", coded=True))
        emit(f'{ind}<correlationId correlationIdScheme="{schemes.CORRELATION_ID}">{value}</correlationId>')
    if sequence_number is not None:
        if correlation_id is None:
            raise write_error(
                ReasonCode.FPML_MISSING_FIELD, "correlationId", "a sequence number needs a correlation id"
            )
        if sequence_number < 1:
            raise write_error(
                ReasonCode.FPML_INVALID_VALUE,
                "sequenceNumber",
                f"{sequence_number} is not a positive integer",
            )
        emit(f"{ind}<sequenceNumber>{sequence_number}</sequenceNumber>")


def _finish_parties(emit: Emit, ind: str, parties: PartyTable, extra: Sequence[Party]) -> None:
    for party in extra:
        parties.add(party)
    render.party_elements(emit, ind, parties)
