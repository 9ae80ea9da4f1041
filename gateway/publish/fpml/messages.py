"""Business messages -> FpML 5.10 clearing messages (``clearingAcknowledgement``, ``clearingStatus``,
``clearingConfirmed``, ``clearingRefused``), each valid against the official confirmation-view schema.

Every writer is a pure function of its message: the creation timestamp is the message's, never the
clock's, and the same message always gives the same bytes. ``source`` is the trade source whose
trade id the trades carry (see ``gateway.publish.fpml.trade``).

A reason (``Issue``) is written as ``reason``: ``reasonCode`` is the FpML reason of the REASONS table,
``location`` the offending path (``locationType="xpath"``), ``description`` the message, and
``validationRuleId`` (scheme ``urn:clearing-gateway:issue-code``) the gateway's own ``ReasonCode``, so
a reader gets the exact code back even where two codes share an FpML reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from gateway.domain.errors import Issue
from gateway.domain.messages import (
    ClearingConfirmation,
    ClearingRefusal,
    ClearingStatusReport,
    MessageHeader,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId
from gateway.publish.fpml import schemes
from gateway.publish.fpml.parties import PartyTable
from gateway.publish.fpml.trade import write_identifiers, write_trade
from gateway.publish.fpml.xml import (
    Element,
    prose,
    root,
    sub,
    timestamp_text,
    to_bytes,
    write_error,
    xml_text,
)

ISSUE_CODE_SCHEME = "urn:clearing-gateway:issue-code"
CLEARING_EVENT = "Clearing"  # originatingEvent of each cleared trade (scheme originating-event)


def clearing_acknowledgement(
    report: ClearingStatusReport, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingAcknowledgement``: the request ``report.header.in_reply_to`` was received.

    The schema requires ``inReplyTo`` and a ``correlationId``; without a correlation id of its own the
    acknowledgement correlates on the source's trade id (or the first trade id it names).
    """
    doc = root("clearingAcknowledgement")
    _header(doc, report.header, response=True)
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
    _correlation(doc, correlation, report.sequence_number)
    parties = PartyTable()
    if trade is not None:
        for party in trade.parties:
            parties.add(party)
        write_identifiers(sub(doc, "tradeReferenceInformation"), trade, parties, source)
    elif report.trade_ids:
        reference = sub(doc, "tradeReferenceInformation")
        for index, pti in enumerate(report.trade_ids):
            _trade_id(
                sub(reference, "partyTradeIdentifier"), pti, parties, f"tradeReferenceInformation[{index}]"
            )
    _finish_parties(doc, parties, extra_parties)
    return to_bytes(doc, pretty=pretty)


def clearing_status(
    report: ClearingStatusReport, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingStatus`` with the whole trade (or its identifiers), its status and any reasons.

    The status value comes from ``schemes.CLEARING_STATUS``; ``status_applies_to`` becomes
    ``statusAppliesTo`` (at most two parties, as the schema allows).
    """
    doc = root("clearingStatus")
    _header(doc, report.header, response=False)
    _correlation(doc, report.correlation_id, report.sequence_number)
    parties = PartyTable()
    item = sub(doc, "clearingStatusItem")
    if report.trade is not None:
        write_trade(item, report.trade, parties, source=source)
    elif report.trade_ids:
        for index, pti in enumerate(report.trade_ids):
            _trade_id(sub(item, "tradeIdentifier"), pti, parties, f"tradeIdentifier[{index}]")
    else:
        raise write_error(
            ReasonCode.SCOPE_NO_TRADE, "clearingStatusItem", "a status names a trade or its ids"
        )
    sub(item, "clearingStatusValue", schemes.CLEARING_STATUS[report.status])
    write_reasons(item, report.reasons)
    if len(report.status_applies_to) > 2:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE, "statusAppliesTo", "a status applies to at most two parties"
        )
    for index, party_id in enumerate(report.status_applies_to):
        sub(
            item,
            "statusAppliesTo",
            href=parties.ref(xml_text(party_id, f"statusAppliesTo[{index}]", coded=True)),
        )
    _finish_parties(doc, parties, extra_parties)
    return to_bytes(doc, pretty=pretty)


def _trade_id(parent: Element, pti: PartyTradeId, parties: PartyTable, path: str) -> None:
    sub(
        parent,
        "partyReference",
        href=parties.ref(xml_text(pti.party_id, f"{path}.partyReference", coded=True)),
    )
    sub(
        parent,
        "tradeId",
        xml_text(pti.trade_id, f"{path}.tradeId", coded=True),
        tradeIdScheme=pti.scheme or schemes.PARTY_TRADE_ID,
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
    doc = root("clearingConfirmed")
    _header(doc, confirmation.header, response=False)
    _correlation(doc, confirmation.correlation_id, confirmation.sequence_number)
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
        clearing = sub(doc, "clearing")
        submitted = sub(clearing, "submitted")
        write_trade(submitted, confirmation.submitted, parties, source=source, prefix="submitted-")
        for index, trade in enumerate(confirmation.cleared, start=1):
            wrapper = sub(clearing, "cleared")
            sub(
                wrapper, "originatingEvent", xml_text(event or CLEARING_EVENT, "originatingEvent", coded=True)
            )
            write_trade(
                wrapper, trade, parties, source=ccp, prefix=f"cleared{index}-", cleared_date=cleared_date
            )
    elif len(confirmation.cleared) == 1:
        if event is not None:
            sub(doc, "originatingEvent", xml_text(event, "originatingEvent", coded=True))
        write_trade(doc, confirmation.cleared[0], parties, source=ccp, cleared_date=cleared_date)
    else:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE,
            "clearing.cleared",
            f"without the submitted trade a confirmation carries one trade, not {len(confirmation.cleared)}",
        )
    parties.ref(confirmation.ccp_party_id)
    _finish_parties(doc, parties, extra_parties)
    return to_bytes(doc, pretty=pretty)


def clearing_refused(
    refusal: ClearingRefusal, *, source: str, extra_parties: Sequence[Party] = (), pretty: bool = True
) -> bytes:
    """``clearingRefused``: the trade and every reason it is not cleared."""
    doc = root("clearingRefused")
    _header(doc, refusal.header, response=False)
    _correlation(doc, refusal.correlation_id, refusal.sequence_number)
    parties = PartyTable()
    write_trade(doc, refusal.trade, parties, source=source)
    _finish_parties(doc, parties, extra_parties)
    write_reasons(doc, refusal.reasons)
    return to_bytes(doc, pretty=pretty)


def write_reasons(parent: Element, issues: Sequence[Issue]) -> None:
    for issue in issues:
        reason = sub(parent, "reason")
        sub(reason, "reasonCode", issue.info.fpml_reason, reasonCodeScheme=schemes.REASON_CODE)
        if issue.path:
            sub(reason, "location", prose(issue.path), locationType="xpath")
        if issue.message:
            sub(reason, "description", prose(issue.message))
        sub(reason, "validationRuleId", issue.code.value, validationScheme=ISSUE_CODE_SCHEME)


def _header(doc: Element, header: MessageHeader, *, response: bool) -> None:
    el = sub(doc, "header")
    sub(
        el,
        "messageId",
        xml_text(header.message_id, "header.messageId", coded=True),
        messageIdScheme=schemes.MESSAGE_ID,
    )
    if header.in_reply_to is not None:
        sub(
            el,
            "inReplyTo",
            xml_text(header.in_reply_to, "header.inReplyTo", coded=True),
            messageIdScheme=schemes.MESSAGE_ID,
        )
    elif response:
        raise write_error(ReasonCode.FPML_MISSING_FIELD, "header.inReplyTo", "a response needs inReplyTo")
    sub(
        el,
        "sentBy",
        xml_text(header.sent_by, "header.sentBy", coded=True),
        messageAddressScheme=schemes.PARTICIPANT,
    )
    for index, recipient in enumerate(header.send_to):
        sub(
            el,
            "sendTo",
            xml_text(recipient, f"header.sendTo[{index}]", coded=True),
            messageAddressScheme=schemes.PARTICIPANT,
        )
    if header.creation_timestamp is None:
        raise write_error(
            ReasonCode.FPML_MISSING_FIELD, "header.creationTimestamp", "the message has no creation time"
        )
    sub(el, "creationTimestamp", timestamp_text(header.creation_timestamp, "header.creationTimestamp"))


def _correlation(doc: Element, correlation_id: str | None, sequence_number: int | None) -> None:
    if correlation_id is not None:
        sub(
            doc,
            "correlationId",
            xml_text(correlation_id, "correlationId", coded=True),
            correlationIdScheme=schemes.CORRELATION_ID,
        )
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
        sub(doc, "sequenceNumber", str(sequence_number))


def _finish_parties(doc: Element, parties: PartyTable, extra: Sequence[Party]) -> None:
    for party in extra:
        parties.add(party)
    parties.write(doc)
