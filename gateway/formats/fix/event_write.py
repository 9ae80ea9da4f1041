"""A status about a lifecycle event on a cleared trade, as the TradeCaptureReport (AE) a member's session gets.

Each member is sent its own cleared trade (the member against the CCP, as the event left it or, refused,
as it stands): TradeID its own CCP trade id, the kind of change in TradeContinuation with its
TradeReportTransType, the proposal's TradeReportID in TradeReportRefID, LastQty / LastQtyChanged the
notional after the event and the change, and a fee in PaymentGrp (PaymentPaySide: the side that pays, as
the member's own trade has it). To the member an event is proposed to, its AwaitingAcceptance status is
Alleged (856=1). Pure: rendered from the ``StatusUpdate`` and its ``EventNote``.
"""

from __future__ import annotations

from gateway.clearing.ports import StatusUpdate
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.events import EventKind, EventNote
from gateway.formats.fix import codes
from gateway.formats.fix.event_read import continuation_of, trans_type_of
from gateway.formats.fix.replies import explain, fix_date, num, timestamp
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_write import instrument_items, side_items
from gateway.formats.fix.wire import Item, Out

PENDING, ACCEPTED, REJECTED, CANCELLED, TERMINATED = "4", "0", "1", "2", "7"  # TrdRptStatus
CLEARED, NOT_CLEARED = "1", "0"  # ClearedIndicator


def _status(update: StatusUpdate, note: EventNote) -> tuple[str, str]:
    """(TrdRptStatus, ClearedIndicator) of the member's trade once this status is told."""
    if update.status is S.CLEARED:
        if note.terms.kind is EventKind.DECLEAR:
            return CANCELLED, NOT_CLEARED  # out of clearing, back to the two members
        if note.terms.notional is not None and note.terms.notional.full:
            return TERMINATED, CLEARED
        return ACCEPTED, CLEARED
    if update.status is S.REJECTED:
        return REJECTED, CLEARED  # the event is refused; the trade stays cleared as it was
    if update.status is S.ACCEPTED:
        return ACCEPTED, CLEARED
    return PENDING, CLEARED


def event_report(update: StatusUpdate, *, participant: str) -> Out:
    """The AE telling ``participant``'s session where an event on its cleared trade is."""
    note = update.event
    if note is None:
        raise ValueError(f"status {update.submission_id}.{update.sequence} is not about a lifecycle event")
    terms = note.terms
    own = next(
        (i for i, t in enumerate(note.cleared) if any(p.party_id == participant for p in t.parties)), 0
    )
    trade = note.cleared[own]
    proposer = terms.parties[0] if terms.parties else None
    alleged = update.status is S.AWAITING_ACCEPTANCE and proposer is not None and participant != proposer
    continuation = continuation_of(terms.kind, terms.notional is not None and terms.notional.full)
    trd_rpt_status, cleared = _status(update, note)
    items: list[Item] = [
        (T.TradeReportID, f"{update.submission_id}.{update.sequence}"),
        (T.TradeID, note.ccp_trade_ids[own]),
        (T.TradeReportTransType, trans_type_of(continuation)),
        (T.TradeReportType, "1" if alleged else "0"),
        (T.TrdRptStatus, trd_rpt_status),
    ]
    if update.in_reply_to:
        items.append((T.TradeReportRefID, update.in_reply_to))
    items += instrument_items(trade)
    fee = terms.fee
    if fee is not None:
        side_of = {p.party_id: side for side, p in zip(codes.SIDES, trade.parties, strict=True)}
        mine = side_of.get(participant, "1")
        pays = mine if fee.payer == participant else ("2" if mine == "1" else "1")
        payment: list[Item] = [
            (T.PaymentType, "1" if terms.kind is EventKind.INCREASE else "4"),
            (T.PaymentPaySide, pays),
            (T.PaymentCurrency, fee.amount.currency),
            (T.PaymentAmount, num(fee.amount.amount)),
        ]
        if fee.payment_date is not None:
            payment.append((T.PaymentDateUnadjusted, fix_date(fee.payment_date)))
        items.append((T.NoPayments, [payment]))
    if note.effect is not None:
        items += [
            (T.LastQty, num(note.effect.notional_after)),
            (T.LastQtyChanged, num(abs(note.effect.notional_after - note.effect.notional_before))),
            (T.Currency, note.effect.currency),
        ]
    elif terms.notional is not None:  # proposed, or refused: what was asked
        items += [
            (T.LastQty, num(terms.notional.outstanding.amount)),
            (T.LastQtyChanged, num(terms.notional.change.amount)),
            (T.Currency, terms.notional.change.currency),
        ]
    items.append((T.TradeDate, fix_date(trade.trade_date)))
    if update.clearing_business_date is not None:
        items.append((T.ClearingBusinessDate, fix_date(update.clearing_business_date)))
    items.append((T.TransactTime, timestamp(update.at)))
    items += side_items(trade)
    if update.reasons and update.status is S.REJECTED:
        items += [
            (T.TradeReportRejectReason, str(update.reasons[0].info.fix_trade_report_reject)),
            (T.RejectText, explain(update.reasons)),
        ]
    items.append((T.ClearedIndicator, cleared))
    items.append((T.TradeContinuation, continuation))
    if terms.reason:
        items.append((T.TradeContinuationText, terms.reason[:512]))
    return Out("AE", tuple(items))
