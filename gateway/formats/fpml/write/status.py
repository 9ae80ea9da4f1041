"""One ``StatusUpdate`` from the outbox -> the FpML message a recipient is sent.

=========================================  =============================================================
status of the update                       message
=========================================  =============================================================
Received (with ``in_reply_to``)            ``clearingAcknowledgement``
Cleared / Registered with two cleared      ``clearingConfirmed`` (the CCP trade ids of ``ccp_trade_ids``
trades                                     added to the cleared trades as the CCP's party trade ids)
Rejected                                   ``clearingRefused`` with every reason
anything else                              ``clearingStatus`` (value from ``schemes.CLEARING_STATUS``)
=========================================  =============================================================

A clearing member sees its own side only: given ``member_party`` (the recipient's party id), the other
member's account and party trade ids are withheld (``gateway.clearing.visibility``, which decides what a
member may see on every channel), and a confirmation carries only the member's own CCP-facing trade (a
single-trade ``clearingConfirmed``, ``originatingEvent`` Clearing). The source, which submitted both
sides, gets everything.

The message id is ``{submission_id}-{sequence}-{recipient}``: stable across redeliveries of the same
outbox item (so a recipient can drop duplicates) and distinct per recipient. The correlation id is
the update's, else the source's trade id, which the source knows; the sequence number is the update's.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.clearing.ports import StatusUpdate
from gateway.clearing.visibility import own_side
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.messages import (
    ClearingConfirmation,
    ClearingRefusal,
    ClearingStatusReport,
    MessageHeader,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PartyTradeId, Trade
from gateway.formats.fpml.write.event_status import event_update_to_fpml
from gateway.formats.fpml.write.messages import (
    CLEARING_EVENT,
    clearing_acknowledgement,
    clearing_confirmed,
    clearing_refused,
    clearing_status,
)
from gateway.formats.fpml.write.parties import CcpIdentity
from gateway.formats.fpml.write.xml import write_error

__all__ = ["CcpIdentity", "status_update_to_fpml", "with_ccp_trade_id"]

_CONFIRMING = frozenset({ClearingStatusCode.CLEARED, ClearingStatusCode.REGISTERED})


def status_update_to_fpml(
    update: StatusUpdate,
    *,
    ccp: CcpIdentity,
    recipient: str,
    member_party: str | None = None,
    message_id: str | None = None,
    pretty: bool = True,
) -> bytes:
    """Render ``update`` as the FpML message owed to ``recipient`` (a trade source or member id).

    ``member_party``: when the recipient is a clearing member, its party id in the trade (its LEI), so
    that it is shown its own side only. A status about a lifecycle event is written by
    ``event_status.event_update_to_fpml``.
    """
    if update.event is not None:
        return event_update_to_fpml(
            update,
            ccp=ccp,
            recipient=recipient,
            member_party=member_party,
            message_id=message_id,
            pretty=pretty,
        )
    confirming = update.status in _CONFIRMING and update.cleared is not None
    trade = update.trade  # the submitted trade, as this recipient may see it
    if member_party is not None:
        _require_party(trade, member_party)
        if not confirming:  # a confirmation shows the member its own cleared trade only: nothing else to hide
            trade = own_side(trade, {member_party, ccp.party_id})
    header = MessageHeader(
        message_id=message_id or f"{update.submission_id}-{update.sequence}-{recipient}",
        sent_by=ccp.sent_by,
        send_to=(recipient,),
        creation_timestamp=update.at,
        in_reply_to=update.in_reply_to,
    )
    correlation = update.correlation_id or trade.identifiers.source_trade_id
    sequence = update.sequence if update.sequence >= 1 else None
    extra = (ccp.party,)
    if update.status is ClearingStatusCode.REJECTED:
        refusal = ClearingRefusal(header, trade, update.reasons, correlation, sequence)
        return clearing_refused(refusal, source=update.source, extra_parties=extra, pretty=pretty)
    if confirming:
        assert update.cleared is not None
        ids = zip(update.cleared, _ccp_ids(update), strict=True)
        if member_party is None:
            cleared = tuple(with_ccp_trade_id(t, ccp.party_id, ccp_id) for t, ccp_id in ids)
            confirmation = ClearingConfirmation(header, trade, cleared, ccp.party_id, correlation, sequence)
        else:
            keep = {member_party, ccp.party_id}
            own = tuple(
                own_side(with_ccp_trade_id(t, ccp.party_id, ccp_id), keep)
                for t, ccp_id in ids
                if member_party in (p.party_id for p in t.parties)
            )
            confirmation = ClearingConfirmation(
                header, None, own, ccp.party_id, correlation, sequence, originating_event=CLEARING_EVENT
            )
        return clearing_confirmed(
            confirmation,
            source=update.source,
            cleared_date=update.clearing_business_date,
            extra_parties=extra,
            pretty=pretty,
        )
    report = ClearingStatusReport(header, update.status, trade, correlation, sequence, update.reasons)
    if update.status is ClearingStatusCode.RECEIVED and update.in_reply_to is not None:
        return clearing_acknowledgement(report, source=update.source, extra_parties=extra, pretty=pretty)
    return clearing_status(report, source=update.source, extra_parties=extra, pretty=pretty)


def _require_party(trade: Trade, member_party: str) -> None:
    if member_party not in (p.party_id for p in trade.parties):
        raise write_error(
            ReasonCode.ELIG_UNKNOWN_PARTY, "member_party", f"{member_party} is not a party of the trade"
        )


def _ccp_ids(update: StatusUpdate) -> tuple[str | None, str | None]:
    ids = update.ccp_trade_ids
    if not ids:
        return None, None
    if len(ids) != 2:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE, "ccp_trade_ids", f"{len(ids)} CCP trade ids for two cleared trades"
        )
    return ids[0], ids[1]


def with_ccp_trade_id(trade: Trade, ccp_party_id: str, ccp_trade_id: str | None) -> Trade:
    """``trade`` with ``ccp_trade_id`` among its party trade ids as the CCP's (unchanged if already there)."""
    if ccp_trade_id is None:
        return trade
    existing = trade.identifiers.party_trade_ids
    if any(p.party_id == ccp_party_id and p.trade_id == ccp_trade_id for p in existing):
        return trade
    added = PartyTradeId(ccp_party_id, ccp_trade_id, CCP_TRADE_ID_SCHEME)
    return replace(trade, identifiers=replace(trade.identifiers, party_trade_ids=(*existing, added)))
