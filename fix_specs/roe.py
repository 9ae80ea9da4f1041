"""Our rules of engagement: which FIXT.1.1 / FIX.5.0SP2 messages, fields and values the gateway accepts.

This is the overlay that ``fix_specs.build`` applies to the upstream FIX 5.0 SP2 and FIXT 1.1 repositories
shipped with the ``quickfix`` package: every message, component, group and field named here must exist
upstream in the same place (the build checks it); what is not named here is not accepted. Requiredness
is ours; enumerations are ours where upstream has none and a subset of upstream's where it has some.

Notation: ``"Name"`` is a field, ``"Name*"`` a required field, ``"@Name"`` / ``"@Name*"`` a component
defined in ``COMPONENTS``, and ``("NoX", [...])`` / ``("NoX*", [...])`` a repeating group.
"""

from __future__ import annotations

from typing import TypeAlias

Node: TypeAlias = "str | tuple[str, list[Node]]"

# --- transport (FIXT.1.1) --------------------------------------------------------------------------------

HEADER: list[Node] = [
    "BeginString*",
    "BodyLength*",
    "MsgType*",
    "ApplVerID",
    "SenderCompID*",
    "TargetCompID*",
    "MsgSeqNum*",
    "PossDupFlag",
    "PossResend",
    "SendingTime*",
    "OrigSendingTime",
]
TRAILER: list[Node] = ["CheckSum*"]

ADMIN_MESSAGES: dict[str, list[Node]] = {
    "Heartbeat": ["TestReqID"],
    "TestRequest": ["TestReqID*"],
    "ResendRequest": ["BeginSeqNo*", "EndSeqNo*"],
    "Reject": ["RefSeqNum*", "RefTagID", "RefMsgType", "SessionRejectReason", "Text"],
    "SequenceReset": ["GapFillFlag", "NewSeqNo*"],
    "Logout": ["Text"],
    "Logon": [
        "EncryptMethod*",
        "HeartBtInt*",
        "ResetSeqNumFlag",
        "NextExpectedMsgSeqNum",
        "TestMessageIndicator",
        "Username",
        "Password",
        "DefaultApplVerID*",
        "Text",
    ],
}

# --- application (FIX.5.0SP2) ----------------------------------------------------------------------------

COMPONENTS: dict[str, list[Node]] = {
    "Parties": [("NoPartyIDs", ["PartyID*", "PartyIDSource*", "PartyRole*", "@PtysSubGrp"])],
    "PtysSubGrp": [("NoPartySubIDs", ["PartySubID*", "PartySubIDType*"])],
    "RegulatoryTradeIDGrp": [("NoRegulatoryTradeIDs", ["RegulatoryTradeID*", "RegulatoryTradeIDType*"])],
    "SecurityXML": ["SecurityXMLLen", "SecurityXML", "SecurityXMLSchema"],
    "Instrument": [
        "SecurityID",
        "SecurityIDSource",
        "SecurityType*",
        "SecuritySubType",
        "MaturityDate",
        "@SecurityXML",
        "@StreamGrp",
    ],
    "StreamGrp": [
        (
            "NoStreams",
            [
                "StreamType*",
                "StreamDesc",
                "StreamPaySide*",
                "StreamReceiveSide*",
                "StreamNotional*",
                "StreamCurrency*",
                "@StreamEffectiveDate",
                "@StreamTerminationDate",
                "@StreamCalculationPeriodDates",
                "@PaymentStream",
                "StreamText",
            ],
        )
    ],
    "StreamEffectiveDate": [
        "StreamEffectiveDateUnadjusted*",
        "StreamEffectiveDateBusinessDayConvention",
        "@StreamEffectiveDateBusinessCenterGrp",
    ],
    "StreamEffectiveDateBusinessCenterGrp": [
        ("NoStreamEffectiveDateBusinessCenters", ["StreamEffectiveDateBusinessCenter*"])
    ],
    "StreamTerminationDate": [
        "StreamTerminationDateUnadjusted*",
        "StreamTerminationDateBusinessDayConvention",
        "@StreamTerminationDateBusinessCenterGrp",
    ],
    "StreamTerminationDateBusinessCenterGrp": [
        ("NoStreamTerminationDateBusinessCenters", ["StreamTerminationDateBusinessCenter*"])
    ],
    "StreamCalculationPeriodDates": [
        "StreamCalculationPeriodBusinessDayConvention",
        "@StreamCalculationPeriodBusinessCenterGrp",
        "StreamFirstRegularPeriodStartDateUnadjusted",
        "StreamLastRegularPeriodEndDateUnadjusted",
        "StreamCalculationFrequencyPeriod*",
        "StreamCalculationFrequencyUnit*",
        "StreamCalculationRollConvention",
    ],
    "StreamCalculationPeriodBusinessCenterGrp": [
        ("NoStreamCalculationPeriodBusinessCenters", ["StreamCalculationPeriodBusinessCenter*"])
    ],
    "PaymentStream": [
        "PaymentStreamType",
        "PaymentStreamDayCount",
        "PaymentStreamCompoundingMethod",
        "PaymentStreamInitialPrincipalExchangeIndicator",
        "PaymentStreamInterimPrincipalExchangeIndicator",
        "PaymentStreamFinalPrincipalExchangeIndicator",
        "@PaymentStreamPaymentDates",
        "@PaymentStreamResetDates",
        "@PaymentStreamFixedRate",
        "@PaymentStreamFloatingRate",
    ],
    "PaymentStreamPaymentDates": [
        "PaymentStreamPaymentDateBusinessDayConvention",
        "@PaymentStreamPaymentDateBusinessCenterGrp",
        "PaymentStreamPaymentFrequencyPeriod*",
        "PaymentStreamPaymentFrequencyUnit*",
        "PaymentStreamPaymentDateOffsetPeriod",
        "PaymentStreamPaymentDateOffsetUnit",
        "PaymentStreamPaymentDateOffsetDayType",
    ],
    "PaymentStreamPaymentDateBusinessCenterGrp": [
        ("NoPaymentStreamPaymentDateBusinessCenters", ["PaymentStreamPaymentDateBusinessCenter*"])
    ],
    "PaymentStreamResetDates": [
        "PaymentStreamResetFrequencyPeriod",
        "PaymentStreamResetFrequencyUnit",
        "PaymentStreamFixingDateOffsetPeriod",
        "PaymentStreamFixingDateOffsetUnit",
        "PaymentStreamFixingDateOffsetDayType",
    ],
    "PaymentStreamFixedRate": ["PaymentStreamRate"],
    "PaymentStreamFloatingRate": [
        "PaymentStreamRateIndex",
        "PaymentStreamRateIndexCurveUnit",
        "PaymentStreamRateIndexCurvePeriod",
        "PaymentStreamRateSpread",
    ],
    "TradeReportOrderDetail": ["ClOrdID"],
    "TrdCapRptSideGrp": [
        ("NoSides*", ["Side*", "SideTradeID", "@Parties", "Account", "@TradeReportOrderDetail"])
    ],
    "PaymentGrp": [
        (
            "NoPayments",
            [
                "PaymentType*",
                "PaymentPaySide*",
                "PaymentCurrency*",
                "PaymentAmount*",
                "PaymentDateUnadjusted",
            ],
        )
    ],
    "OrderQtyData": ["OrderQty"],
    "PositionQty": [("NoPositions", ["PosType*", "LongQty", "ShortQty"])],
    "PositionAmountData": [("NoPosAmt", ["PosAmtType*", "PosAmt*", "PositionCurrency"])],
}

MESSAGES: dict[str, list[Node]] = {
    "TradeCaptureReport": [
        "TradeReportID*",
        "TradeID*",
        "SecondaryTradeID",
        "PackageID",
        "TradeReportTransType*",
        "TradeReportType*",
        "TrdRptStatus",
        "TotNumTradeReports",
        "TradeReportRefID",
        "@RegulatoryTradeIDGrp",
        "@Instrument*",
        "TradeDate*",
        "ClearingBusinessDate",
        "TransactTime*",
        "@TrdCapRptSideGrp*",
        "TradeReportRejectReason",
        "RejectText",
        "ClearedIndicator",
        "TradeVersion",
        "RiskLimitCheckStatus",
        # a lifecycle event on a cleared trade (docs/FIX_ROE.md, "Lifecycle events")
        "TradeContinuation",
        "TradeContinuationText",
        "@PaymentGrp",
        "LastQty",
        "LastQtyChanged",
        "Currency",
    ],
    "TradeCaptureReportAck": [
        "TradeReportID*",
        "TradeID",
        "TradeReportTransType",
        "TradeReportType",
        "TrdRptStatus",
        "TrdAckStatus*",
        "TradeReportRejectReason",
        "RejectText",
        "@Instrument*",
        "ClearingBusinessDate",
        "TransactTime",
        "Text",
        "RiskLimitCheckStatus",
    ],
    "NewOrderSingle": [
        "ClOrdID*",
        "@Parties*",
        "TradeDate",
        "Account*",
        "@Instrument*",
        "Side*",
        "TransactTime*",
        "@OrderQtyData*",
        "OrdType*",
        "Text",
    ],
    "ExecutionReport": [
        "OrderID*",
        "ClOrdID",
        "OrigClOrdID",
        "@Parties",
        "ExecID*",
        "ExecType*",
        "OrdStatus*",
        "OrdRejReason",
        "Account",
        "@Instrument*",
        "Side*",
        "@OrderQtyData",
        "LeavesQty*",
        "CumQty*",
        "TransactTime",
        "Text",
    ],
    "OrderCancelRequest": [
        "OrigClOrdID*",
        "ClOrdID*",
        "Account",
        "@Parties",
        "@Instrument*",
        "Side*",
        "TransactTime*",
        "Text",
    ],
    "OrderCancelReject": [
        "OrderID*",
        "ClOrdID*",
        "OrigClOrdID",
        "OrdStatus*",
        "Account",
        "TransactTime",
        "CxlRejResponseTo*",
        "CxlRejReason",
        "Text",
    ],
    "RequestForPositions": [
        "PosReqID*",
        "PosReqType*",
        "@Parties*",
        "Account",
        "ClearingBusinessDate*",
        "TransactTime*",
        "Text",
    ],
    "RequestForPositionsAck": [
        "PosMaintRptID*",
        "PosReqID",
        "TotalNumPosReports",
        "PosReqResult*",
        "PosReqStatus*",
        "PosReqType",
        "ClearingBusinessDate",
        "@Parties*",
        "Account",
        "Text",
    ],
    "PositionReport": [
        "PosMaintRptID*",
        "PosReqID",
        "PosReqType",
        "TotalNumPosReports",
        "PosReqResult",
        "ClearingBusinessDate*",
        "ClearedIndicator",
        "@Parties*",
        "Account",
        "@Instrument",
        "Currency",
        "@PositionQty",
        "@PositionAmountData",
        "@RegulatoryTradeIDGrp",
        "Text",
    ],
    "BusinessMessageReject": [
        "RefSeqNum",
        "RefMsgType*",
        "BusinessRejectRefID",
        "BusinessRejectReason*",
        "Text",
    ],
}

# Which way each application message travels (member -> CCP "in", CCP -> member "out").
DIRECTION: dict[str, str] = {
    "TradeCaptureReport": "in/out",
    "TradeCaptureReportAck": "out",
    "NewOrderSingle": "in",
    "ExecutionReport": "out",
    "OrderCancelRequest": "in",
    "OrderCancelReject": "out",
    "RequestForPositions": "in",
    "RequestForPositionsAck": "out",
    "PositionReport": "out",
    "BusinessMessageReject": "out",
}

_BDC = [
    ("0", "NOT_APPLICABLE"),
    ("1", "NONE"),
    ("2", "FOLLOWING"),
    ("3", "FRN"),
    ("4", "MODFOLLOWING"),
    ("5", "PRECEDING"),
    ("6", "MODPRECEDING"),
    ("7", "NEAREST"),
]
_UNIT = [("D", "DAY"), ("Wk", "WEEK"), ("Mo", "MONTH"), ("Yr", "YEAR"), ("T", "TERM")]
_OFFSET_UNIT = [("D", "DAY")]
_DAY_TYPE = [("0", "BUSINESS"), ("1", "CALENDAR")]
_SIDE = [("1", "BUY"), ("2", "SELL")]

# Enumerations we accept. Where upstream defines values ours must be a subset (checked by the build).
ENUMS: dict[str, list[tuple[str, str]]] = {
    "TradeReportTransType": [("0", "NEW"), ("1", "CANCEL"), ("2", "REPLACE")],
    "TradeReportType": [
        ("0", "SUBMIT"),
        ("1", "ALLEGED"),
        ("2", "ACCEPT"),
        ("3", "DECLINE"),
        ("6", "TRADE_REPORT_CANCEL"),
    ],
    "TrdRptStatus": [
        ("0", "ACCEPTED"),
        ("1", "REJECTED"),
        ("2", "CANCELLED"),
        ("4", "PENDING_NEW"),
        ("7", "TERMINATED"),
    ],
    "TrdAckStatus": [("0", "ACCEPTED"), ("1", "REJECTED"), ("2", "RECEIVED")],
    "TradeContinuation": [
        ("2", "TRADE_UNWIND"),
        ("3", "PARTIAL_TRADE_UNWIND"),
        ("5", "NETTING"),
        ("6", "FULL_NETTING"),
        ("8", "AMENDMENT"),
        ("9", "INCREASE"),
        ("15", "WITHDRAWL"),
        ("30", "CORRECTION"),
    ],
    "PaymentType": [("1", "UPFRONT_FEE"), ("4", "NOVATION_TERMINATION")],
    "PaymentPaySide": _SIDE,
    "ClearedIndicator": [("0", "NOT_CLEARED"), ("1", "CLEARED"), ("2", "SUBMITTED"), ("3", "REJECTED")],
    "RiskLimitCheckStatus": [("0", "ACCEPTED"), ("1", "REJECTED"), ("9", "PENDING")],
    "TradeReportRejectReason": [
        ("0", "SUCCESSFUL"),
        ("1", "INVALID_PARTY_INFORMATION"),
        ("2", "UNKNOWN_INSTRUMENT"),
        ("3", "UNAUTHORIZED_TO_REPORT_TRADES"),
        ("4", "INVALID_TRADE_TYPE"),
        ("99", "OTHER"),
    ],
    "Side": _SIDE,
    "StreamPaySide": _SIDE,
    "StreamReceiveSide": _SIDE,
    "StreamType": [("0", "PAYMENT_CASH_SETTLEMENT")],
    "PaymentStreamType": [("0", "PERIODIC")],
    "PartyIDSource": [("N", "LEGAL_ENTITY_IDENTIFIER"), ("D", "PROPRIETARY")],
    "PartyRole": [("1", "EXECUTING_FIRM"), ("4", "CLEARING_FIRM"), ("21", "CLEARING_ORGANIZATION")],
    "PartySubIDType": [("5", "FULL_LEGAL_NAME_OF_FIRM")],
    "RegulatoryTradeIDType": [("0", "CURRENT")],
    "SecurityType": [("IRS", "INTEREST_RATE_SWAP")],
    "SecuritySubType": [
        ("IRS", "FIXED_FLOAT_TERM_INDEX"),
        ("OIS", "FIXED_FLOAT_OVERNIGHT_INDEX"),
        ("BASIS", "FLOAT_FLOAT_SINGLE_CURRENCY"),
        ("XCCY", "CROSS_CURRENCY"),
        ("ZERO_COUPON", "FIXED_LEG_PAID_AT_MATURITY"),
    ],
    "SecurityIDSource": [("H", "CLEARING_HOUSE")],
    "PaymentStreamDayCount": [
        ("0", "1/1"),
        ("1", "30/360"),
        ("5", "30E/360.ISDA"),
        ("4", "30E/360"),
        ("6", "ACT/360"),
        ("7", "ACT/365.FIXED"),
        ("8", "ACT/ACT.AFB"),
        ("9", "ACT/ACT.ICMA"),
        ("11", "ACT/ACT.ISDA"),
        ("12", "BUS/252"),
        ("14", "ACT/365L"),
    ],
    "PaymentStreamCompoundingMethod": [
        ("0", "NONE"),
        ("1", "FLAT"),
        ("2", "STRAIGHT"),
        ("3", "SPREAD_EXCLUSIVE"),
    ],
    "StreamEffectiveDateBusinessDayConvention": _BDC,
    "StreamTerminationDateBusinessDayConvention": _BDC,
    "StreamCalculationPeriodBusinessDayConvention": _BDC,
    "PaymentStreamPaymentDateBusinessDayConvention": _BDC,
    "StreamCalculationFrequencyUnit": _UNIT,
    "PaymentStreamPaymentFrequencyUnit": _UNIT,
    "PaymentStreamResetFrequencyUnit": _UNIT[:4],
    "PaymentStreamRateIndexCurveUnit": _UNIT[:4],
    "PaymentStreamPaymentDateOffsetUnit": _OFFSET_UNIT,
    "PaymentStreamFixingDateOffsetUnit": _OFFSET_UNIT,
    "PaymentStreamPaymentDateOffsetDayType": _DAY_TYPE,
    "PaymentStreamFixingDateOffsetDayType": _DAY_TYPE,
    "OrdType": [("1", "MARKET"), ("2", "LIMIT")],
    "ExecType": [("0", "NEW"), ("4", "CANCELED"), ("8", "REJECTED")],
    "OrdStatus": [("0", "NEW"), ("4", "CANCELED"), ("8", "REJECTED")],
    "OrdRejReason": [
        ("0", "BROKER_CREDIT"),
        ("1", "UNKNOWN_SYMBOL"),
        ("3", "ORDER_EXCEEDS_LIMIT"),
        ("5", "UNKNOWN_ORDER"),
        ("6", "DUPLICATE_ORDER"),
        ("99", "OTHER"),
    ],
    "CxlRejResponseTo": [("1", "ORDER_CANCEL_REQUEST")],
    "CxlRejReason": [("1", "UNKNOWN_ORDER"), ("99", "OTHER")],
    "PosReqType": [("0", "POSITIONS")],
    "PosReqResult": [
        ("0", "VALID_REQUEST"),
        ("1", "INVALID_OR_UNSUPPORTED_REQUEST"),
        ("2", "NO_POSITIONS_FOUND_THAT_MATCH_CRITERIA"),
        ("3", "NOT_AUTHORIZED_TO_REQUEST_POSITIONS"),
        ("99", "OTHER"),
    ],
    "PosReqStatus": [("0", "COMPLETED"), ("2", "REJECTED")],
    "PosType": [("GRS", "GROSS_QTY")],
    "PosAmtType": [("NPV", "NET_PRESENT_VALUE")],
    "BusinessRejectReason": [
        ("0", "OTHER"),
        ("3", "UNSUPPORTED_MESSAGE_TYPE"),
        ("4", "APPLICATION_NOT_AVAILABLE"),
        ("6", "NOT_AUTHORIZED"),
    ],
    "ApplVerID": [("9", "FIX50_SP2")],
    "DefaultApplVerID": [("9", "FIX50_SP2")],
    "EncryptMethod": [("0", "NONE_OTHER")],
}
