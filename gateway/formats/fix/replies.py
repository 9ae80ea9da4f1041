"""Every message the CCP sends on FIX, rendered from domain values. Pure: no session, no clock reads.

Rejections are generated here from ``Issue``s only, so a reason always reaches the member with the same
codes (the ``REASONS`` table's TradeReportRejectReason / OrdRejReason) and a text naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from gateway.clearing.ports import CreditDecision, Position, StatusUpdate
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.errors import Issue
from gateway.domain.reasons import Layer
from gateway.formats.fix import codes
from gateway.formats.fix.tags import T
from gateway.formats.fix.trade_write import trade_items
from gateway.formats.fix.wire import Item, Out

MAX_TEXT = 512

# Status -> (TrdRptStatus 939, ClearedIndicator 1832)
TRADE_STATUS: dict[S, tuple[str, str]] = {
    S.RECEIVED: ("4", "2"),
    S.PENDING: ("4", "2"),
    S.AWAITING_ACCEPTANCE: ("4", "2"),
    S.ACCEPTED: ("0", "2"),
    S.REGISTERED: ("0", "2"),
    S.CLEARED: ("0", "1"),
    S.REJECTED: ("1", "3"),
    S.WITHDRAWN: ("2", "0"),
    S.DEREGISTERED: ("2", "0"),
    S.TERMINATED: ("7", "1"),
}


def timestamp(at: datetime) -> str:
    """UTCTimestamp with milliseconds."""
    return at.strftime("%Y%m%d-%H:%M:%S.") + f"{at.microsecond // 1000:03d}"


def fix_date(d: date) -> str:
    return d.strftime("%Y%m%d")


def num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def explain(issues: Sequence[Issue]) -> str:
    """``path: message`` for every issue, trimmed to what a FIX text field should carry."""
    text = "; ".join(f"{i.path}: {i.message}" for i in issues) or "rejected"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _risk_status(update: StatusUpdate) -> str | None:
    credit = any(i.info.layer is Layer.RISK for i in update.reasons)
    if update.status is S.CLEARED:
        return "0"
    if credit and update.status is S.PENDING:
        return "9"
    if credit and update.status is S.REJECTED:
        return "1"
    return None


def trade_report_ack(
    *,
    report_id: str,
    trade_id: str | None,
    trans_type: str,
    at: datetime,
    update: StatusUpdate | None = None,
    issues: Sequence[Issue] = (),
    report_type: str = "0",
) -> Out:
    """TradeCaptureReportAck (AR): the submission's outcome so far, or its rejection with the reason.
    ``report_type`` echoes the report's TradeReportType (a cancel may say 6, Trade Report Cancel)."""
    items: list[Item] = [(T.TradeReportID, report_id)]
    if trade_id:
        items.append((T.TradeID, trade_id))
    items += [(T.TradeReportTransType, trans_type), (T.TradeReportType, report_type)]
    # a Decline (856=3) taken is acknowledged (1523=0) with the trade it refused (939=1)
    declined = report_type == "3"
    reasons = tuple(issues) or (
        update.reasons if update and update.status is S.REJECTED and not declined else ()
    )
    if reasons:
        items += [
            (T.TrdRptStatus, "1"),
            (T.TrdAckStatus, "1"),
            (T.TradeReportRejectReason, str(reasons[0].info.fix_trade_report_reject)),
            (T.RejectText, explain(reasons)),
        ]
    elif update is not None:
        items += [(T.TrdRptStatus, TRADE_STATUS[update.status][0]), (T.TrdAckStatus, "0")]
    items.append((T.SecurityType, "IRS"))
    if update is not None and update.clearing_business_date is not None:
        items.append((T.ClearingBusinessDate, fix_date(update.clearing_business_date)))
    items.append((T.TransactTime, timestamp(at)))
    if update is not None:
        items.append((T.Text, f"status {update.status}"))
        risk = _risk_status(update)
        if risk is not None:
            items.append((T.RiskLimitCheckStatus, risk))
    return Out("AR", tuple(items))


def status_report(update: StatusUpdate, *, recipient_comp_id: str, participant: str) -> Out:
    """The unsolicited TradeCaptureReport (AE) telling a member where a trade is: pending, cleared, refused."""
    trade = update.trade
    trd_rpt_status, cleared = TRADE_STATUS[update.status]
    # a trade reported by another session and waiting for this member's affirmation is Alleged (1) to it
    alleged = update.status is S.AWAITING_ACCEPTANCE and recipient_comp_id != update.source
    items: list[Item] = [
        (T.TradeReportID, f"{update.submission_id}.{update.sequence}"),
        (T.TradeReportTransType, "0"),
        (T.TradeReportType, "1" if alleged else "0"),
        (T.TrdRptStatus, trd_rpt_status),
    ]
    # the report's own id to its sender; to the member it is alleged against, the id to accept it by
    if update.in_reply_to and (recipient_comp_id == update.source or alleged):
        items.append((T.TradeReportRefID, update.in_reply_to))
    own = [i for i, p in enumerate(trade.parties) if p.party_id == participant]
    if update.ccp_trade_ids and own and own[0] < len(update.ccp_trade_ids):
        items.append((T.SecondaryTradeID, update.ccp_trade_ids[own[0]]))
    items += trade_items(trade)
    if trade.package is not None and trade.package.package_id is not None:  # a leg names its package
        items += [(T.PackageID, trade.package.package_id), (T.TotNumTradeReports, str(trade.package.size))]
    if update.clearing_business_date is not None:
        items.append((T.ClearingBusinessDate, fix_date(update.clearing_business_date)))
    items.append((T.TransactTime, timestamp(update.at)))
    items.append((T.ClearedIndicator, cleared))
    if update.reasons and update.status is S.REJECTED:  # reasons of a pending trade show in 2343
        items += [
            (T.TradeReportRejectReason, str(update.reasons[0].info.fix_trade_report_reject)),
            (T.RejectText, explain(update.reasons)),
        ]
    risk = _risk_status(update)
    if risk is not None:
        items.append((T.RiskLimitCheckStatus, risk))
    return Out("AE", tuple(items))


def execution_report(
    *,
    order_id: str,
    cl_ord_id: str,
    side: str,
    account: str,
    order_qty: str | None,
    at: datetime,
    decision: CreditDecision | None = None,
    issues: Sequence[Issue] = (),
    cancelled_from: str | None = None,
) -> Out:
    """ExecutionReport (8): credit check accepted (New), rejected with the reason, or cancelled."""
    if cancelled_from is not None:
        exec_type, suffix = "4", "C"
    elif issues or (decision is not None and not decision.approved):
        exec_type, suffix = "8", "R"
    else:
        exec_type, suffix = "0", "N"
    items: list[Item] = [(T.OrderID, order_id), (T.ClOrdID, cl_ord_id)]
    if cancelled_from is not None:
        items.append((T.OrigClOrdID, cancelled_from))
    items += [(T.ExecID, f"{order_id}-{suffix}"), (T.ExecType, exec_type), (T.OrdStatus, exec_type)]
    reasons = tuple(issues) or (decision.reasons if decision is not None else ())
    if exec_type == "8":
        code = reasons[0].info.fix_order_reject if reasons else 3
        items.append((T.OrdRejReason, str(code)))
    items += [(T.Account, account), (T.SecurityType, "IRS"), (T.Side, side)]
    if order_qty is not None:
        items.append((T.OrderQty, order_qty))
    leaves = order_qty if exec_type == "0" and order_qty is not None else "0"
    items += [(T.LeavesQty, leaves), (T.CumQty, "0"), (T.TransactTime, timestamp(at))]
    text = _credit_text(decision) if decision is not None and decision.assessed else ""
    if reasons:
        text = f"{explain(reasons)}; {text}" if text else explain(reasons)
    if cancelled_from is not None:
        text = "credit reservation released"
    if text:
        items.append((T.Text, text[:MAX_TEXT]))
    return Out("8", tuple(items))


def _credit_text(decision: CreditDecision) -> str:
    parts = [
        f"incremental margin {num(decision.incremental_margin)}",
        f"headroom {num(decision.headroom_before)}",
    ]
    if decision.shortfall:
        parts.append(f"shortfall {num(decision.shortfall)}")
    return "; ".join(parts)


def order_cancel_reject(*, cl_ord_id: str, orig_cl_ord_id: str, at: datetime, issues: Sequence[Issue]) -> Out:
    """OrderCancelReject (9) for a cancel of an order we do not hold."""
    return Out(
        "9",
        (
            (T.OrderID, "NONE"),
            (T.ClOrdID, cl_ord_id),
            (T.OrigClOrdID, orig_cl_ord_id),
            (T.OrdStatus, "8"),
            (T.TransactTime, timestamp(at)),
            (T.CxlRejResponseTo, "1"),
            (T.CxlRejReason, "1" if issues and issues[0].info.fix_order_reject == 5 else "99"),
            (T.Text, explain(issues)),
        ),
    )


def _member_parties(participant: str) -> Item:
    return (T.NoPartyIDs, [[(T.PartyID, participant), (T.PartyIDSource, "N"), (T.PartyRole, "1")]])


def positions_ack(
    *,
    req_id: str,
    participant: str,
    account: str | None,
    business_date: date | None,
    count: int,
    result: str,
    text: str | None = None,
) -> Out:
    """RequestForPositionsAck (AO): how many PositionReports follow, or why none will."""
    items: list[Item] = [
        (T.PosMaintRptID, f"{req_id}.ack"),
        (T.PosReqID, req_id),
        (T.TotalNumPosReports, str(count)),
        (T.PosReqResult, result),
        (T.PosReqStatus, "2" if result not in ("0", "2") else "0"),
        (T.PosReqType, "0"),
    ]
    if business_date is not None:
        items.append((T.ClearingBusinessDate, fix_date(business_date)))
    items.append(_member_parties(participant))
    if account:
        items.append((T.Account, account))
    if text:
        items.append((T.Text, text[:MAX_TEXT]))
    return Out("AO", tuple(items))


# a position still listed on its maturity date was cleared all the same
_CLEARED_POSITIONS = frozenset({S.CLEARED.value.casefold(), "matured"})


def position_report(
    p: Position,
    *,
    req_id: str,
    index: int,
    total: int,
    business_date: date,
    participant: str | None = None,
) -> Out:
    """PositionReport (AP): one cleared trade from the member's side, the reconciliation layout.

    ``participant`` is the member's party id (LEI) for Parties; the clearing service's positions name
    the member by its member id, which is not a party id. ``p.status`` is compared case-insensitively,
    as the position layout reads it (the store says ``CLEARED``)."""
    instrument: list[Item] = [
        (T.SecurityID, p.trade_id),
        (T.SecurityIDSource, "H"),
        (T.SecurityType, "IRS"),
    ]
    if p.product in codes.PRODUCT:
        instrument.append((T.SecuritySubType, p.product))
    instrument.append((T.MaturityDate, fix_date(p.maturity_date)))
    pays = p.direction.upper() == "PAY"
    stream: list[Item] = [
        (T.StreamType, "0"),
        (T.StreamPaySide, "1" if pays else "2"),
        (T.StreamReceiveSide, "2" if pays else "1"),
        (T.StreamNotional, num(p.notional)),
        (T.StreamCurrency, p.currency),
        (T.StreamEffectiveDateUnadjusted, fix_date(p.effective_date)),
        (T.StreamTerminationDateUnadjusted, fix_date(p.maturity_date)),
        (T.PaymentStreamType, "0"),
    ]
    if p.fixed_rate is not None:
        stream.append((T.PaymentStreamRate, num(p.fixed_rate)))
    if p.floating_index is not None:
        stream.append((T.PaymentStreamRateIndex, p.floating_index))
        if p.index_tenor:
            tenor = p.index_tenor.strip().upper()
            unit = {"D": "D", "W": "Wk", "M": "Mo", "Y": "Yr"}.get(tenor[-1:])
            if unit and tenor[:-1].isdigit():
                stream += [
                    (T.PaymentStreamRateIndexCurveUnit, unit),
                    (T.PaymentStreamRateIndexCurvePeriod, tenor[:-1]),
                ]
        if p.spread:
            stream.append((T.PaymentStreamRateSpread, num(p.spread)))
    instrument.append((T.NoStreams, [stream]))
    items: list[Item] = [
        (T.PosMaintRptID, f"{req_id}.{index}"),
        (T.PosReqID, req_id),
        (T.PosReqType, "0"),
        (T.TotalNumPosReports, str(total)),
        (T.PosReqResult, "0"),
        (T.ClearingBusinessDate, fix_date(business_date)),
        (T.ClearedIndicator, "1" if p.status.casefold() in _CLEARED_POSITIONS else "0"),
        _member_parties(participant or p.member),
        (T.Account, p.account),
        *instrument,
        (T.Currency, p.currency),
        (T.NoPositions, [[(T.PosType, "GRS"), (T.ShortQty if pays else T.LongQty, num(p.notional))]]),
    ]
    if p.npv is not None:
        items.append(
            (T.NoPosAmt, [[(T.PosAmtType, "NPV"), (T.PosAmt, num(p.npv)), (T.PositionCurrency, p.currency)]])
        )
    if p.uti:
        items.append(
            (T.NoRegulatoryTradeIDs, [[(T.RegulatoryTradeID, p.uti), (T.RegulatoryTradeIDType, "0")]])
        )
    items.append((T.Text, f"status {p.status}"))
    return Out("AP", tuple(items))


def business_reject(
    *, ref_msg_type: str, ref_seq_num: str | None, ref_id: str | None, reason: str, text: str
) -> Out:
    """BusinessMessageReject (j): a message we understood at session level but cannot act on."""
    items: list[Item] = []
    if ref_seq_num:
        items.append((T.RefSeqNum, ref_seq_num))
    items.append((T.RefMsgType, ref_msg_type))
    if ref_id:
        items.append((T.BusinessRejectRefID, ref_id))
    items += [(T.BusinessRejectReason, reason), (T.Text, text[:MAX_TEXT])]
    return Out("j", tuple(items))
