"""A status about a lifecycle event on a cleared trade (``StatusUpdate.event``) -> the FpML message owed.

=========================  ====================================================================================
status of the update       message
=========================  ====================================================================================
Received                   ``clearingAcknowledgement`` naming the trade by its CCP trade ids
Pending                    ``clearingStatus`` (Pending) naming the trade by its CCP trade ids, the shortfall as
                           its reasons (the event waits for collateral)
Cleared                    ``clearingConfirmed`` carrying the event as taken (``termination``: the trade's ids,
                           agreement and effective dates, fee ``payment``, change and outstanding notional;
                           ``deClear``); an increase, a reference update or an amendment, which FpML
                           confirms by its result, ``originatingEvent`` and the trade as the recipient now
                           holds it (an amendment: the new trade, on its new CCP trade ids). A compression:
                           ``compressionActivity`` first, then a terminated trade's ``termination`` (the
                           activity naming its replacement, the residual of its bucket) or a residual's
                           ``originatingEvent`` (Compression) and its trade facing the CCP (the activity
                           naming every trade it replaces)
Rejected                   ``clearingRefused`` with every reason; a member is also shown its own cleared trade
                           as it stands, after ``originatingEvent`` (``Termination``)
=========================  ====================================================================================

The source is told of the trade by its own trade id and version and both CCP trade ids; a member only by
its own side's CCP trade id (it never sees the other member's id, account or credit figures: the update it
is given has passed ``gateway.clearing.visibility.member_view``). Message ids and correlation follow
``status.py``: ``{submission_id}-{sequence}-{recipient}``, the event's correlation id, else its message id.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME, bilateral_streams
from gateway.clearing.ports import StatusUpdate
from gateway.clearing.visibility import own_side
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.events import EventKind, EventNote, NamedTradeId
from gateway.domain.messages import (
    ClearingStatusReport,
    CompressionActivity,
    EventConfirmation,
    EventRefusal,
    MessageHeader,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.formats.fpml.write import schemes
from gateway.formats.fpml.write.messages import (
    clearing_acknowledgement,
    clearing_status,
    event_confirmed,
    event_refused,
)
from gateway.formats.fpml.write.parties import CcpIdentity
from gateway.formats.fpml.write.xml import write_error

CONFIRMED_BY_TRADE = (EventKind.INCREASE, EventKind.REFERENCE_UPDATE, EventKind.AMENDMENT)


def event_update_to_fpml(
    update: StatusUpdate,
    *,
    ccp: CcpIdentity,
    recipient: str,
    member_party: str | None = None,
    message_id: str | None = None,
    pretty: bool = True,
) -> bytes:
    """Render a status about an event for ``recipient`` (a trade source, or a member with ``member_party``)."""
    note = update.event
    if note is None:
        raise write_error(ReasonCode.FPML_MISSING_FIELD, "event", "the status is not about an event")
    header = MessageHeader(
        message_id=message_id or f"{update.submission_id}-{update.sequence}-{recipient}",
        sent_by=ccp.sent_by,
        send_to=(recipient,),
        creation_timestamp=update.at,
        in_reply_to=update.in_reply_to,
    )
    correlation = update.correlation_id or update.in_reply_to
    sequence = update.sequence if update.sequence >= 1 else None
    named = _named(update, note, ccp.party_id, member_party)
    extra = (ccp.party,)
    trade_ids = tuple(PartyTradeId(n.party_id, n.trade_id, n.scheme) for n in named if n.version is None)
    if update.status is ClearingStatusCode.RECEIVED:
        report = ClearingStatusReport(header, update.status, None, correlation, sequence, trade_ids=trade_ids)
        return clearing_acknowledgement(report, source=update.source, extra_parties=extra, pretty=pretty)
    if update.status is ClearingStatusCode.PENDING:  # waiting for collateral: the shortfall as its reasons
        report = ClearingStatusReport(
            header, update.status, None, correlation, sequence, update.reasons, trade_ids=trade_ids
        )
        return clearing_status(report, source=update.source, extra_parties=extra, pretty=pretty)
    if update.status is ClearingStatusCode.CLEARED:
        trade, owner = None, None
        if note.terms.kind in CONFIRMED_BY_TRADE:
            trade, owner = _resulting_trade(update, note, ccp.party_id, member_party)
        elif note.terms.kind is EventKind.COMPRESSION and note.terms.originating:  # a residual
            trade = note.cleared[0] if member_party is None else _own_trade(note, member_party, ccp.party_id)
            owner = ccp.party_id
        activity = _compression(note, ccp.party_id, member_party)
        confirmation = EventConfirmation(
            header, note.terms, named, correlation, sequence, trade, owner, activity
        )
        return event_confirmed(confirmation, extra_parties=extra, pretty=pretty)
    if update.status is ClearingStatusCode.REJECTED:
        own = None if member_party is None else _own_trade(note, member_party, ccp.party_id)
        refusal = EventRefusal(header, note.terms.kind, update.reasons, own, correlation, sequence)
        return event_refused(refusal, ccp_party_id=ccp.party_id, extra_parties=extra, pretty=pretty)
    raise write_error(
        ReasonCode.FPML_INVALID_VALUE, "status", f"no message for an event's {update.status.value} status"
    )


def _named(
    update: StatusUpdate, note: EventNote, ccp_party_id: str, member_party: str | None
) -> tuple[NamedTradeId, ...]:
    """The ids the recipient knows the trade by: a member its own side's CCP trade id; the source its own
    trade id and version, then both CCP trade ids."""
    sides = zip(note.cleared, note.ccp_trade_ids, strict=True)
    if member_party is not None:  # (a compression's residual names its one side twice: once here)
        return tuple(
            dict.fromkeys(
                NamedTradeId(ccp_party_id, ccp_id, CCP_TRADE_ID_SCHEME)
                for trade, ccp_id in sides
                if member_party in (p.party_id for p in trade.parties)
            )
        )
    ids = update.trade.identifiers
    own = NamedTradeId(update.source, ids.source_trade_id, schemes.SOURCE_TRADE_ID, ids.source_version)
    return (own, *(NamedTradeId(ccp_party_id, ccp_id, CCP_TRADE_ID_SCHEME) for _, ccp_id in sides))


def _compression(note: EventNote, ccp_party_id: str, member_party: str | None) -> CompressionActivity | None:
    """A compression's ``compressionActivity``: the trades a residual replaces, or a terminated trade's
    replacement, named only to the member holding the residual (the other member of a trade terminated
    with its consent is not shown it); None for any other event, or when there is nothing to name."""
    terms = note.terms
    if terms.kind is not EventKind.COMPRESSION:
        return None
    originating = tuple(NamedTradeId(ccp_party_id, i, CCP_TRADE_ID_SCHEME) for i in terms.originating)
    held = terms.replacement
    replacement = None
    if held is not None and member_party in (None, held.party_id):
        replacement = NamedTradeId(ccp_party_id, held.trade_id, held.scheme or CCP_TRADE_ID_SCHEME)
    if replacement is None and not originating:
        return None
    return CompressionActivity(replacement, originating)


def _resulting_trade(
    update: StatusUpdate, note: EventNote, ccp_party_id: str, member_party: str | None
) -> tuple[Trade | None, str]:
    """The trade an increase, a reference update or an amendment is confirmed by, as the recipient holds it:
    a member its own cleared trade; the source the trade between the two members as the event left it (an
    amendment: the trade as amended), with each member's own ids as its side now carries them and both CCP
    trade ids (an amendment's new ones)."""
    if member_party is not None:
        return _own_trade(note, member_party, ccp_party_id), ccp_party_id
    if note.effect is None:
        raise write_error(ReasonCode.FPML_MISSING_FIELD, "event.effect", "a confirmed event has its effect")
    trade = note.terms.amended or _as_submitted(update.trade, note.cleared[0], ccp_party_id)
    members = tuple(
        p
        for cleared in note.cleared
        for p in cleared.identifiers.party_trade_ids
        if p.party_id != ccp_party_id
    )
    ccp_ids = tuple(PartyTradeId(ccp_party_id, i, CCP_TRADE_ID_SCHEME) for i in note.ccp_trade_ids)
    ids = replace(trade.identifiers, party_trade_ids=(*members, *ccp_ids))
    return replace(trade, identifiers=ids), update.source


def _as_submitted(submitted: Trade, cleared: Trade, ccp_party_id: str) -> Trade:
    """The submitted trade with the economics its cleared side now has (after an increase, or an earlier
    amendment): the cleared side's streams with the CCP's place given back to the other member."""
    member = next(p.party_id for p in cleared.parties if p.party_id != ccp_party_id)
    other = next(p.party_id for p in submitted.parties if p.party_id != member)
    return replace(
        submitted, product=cleared.product, streams=bilateral_streams(cleared, ccp_party_id, other)
    )


def _own_trade(note: EventNote, member_party: str, ccp_party_id: str) -> Trade | None:
    """The member's own cleared trade, with nothing of the other member's in it."""
    own = next((t for t in note.cleared if member_party in (p.party_id for p in t.parties)), None)
    return None if own is None else own_side(own, {member_party, ccp_party_id})
