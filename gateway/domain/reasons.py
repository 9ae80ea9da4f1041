"""Every reason the gateway can refuse or hold something for, and how each one is said on the wire.

One table: the FpML ``reasonCode`` text written in ``clearingRefused``/``clearingStatus`` and the FIX
``TradeReportRejectReason`` (751) / ``OrdRejReason`` (103) used in FIX replies. Adding a reason means
adding one enum member and one row here; ``tests/domain/test_reasons.py`` checks that every member has a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Layer(StrEnum):
    XML = "xml"
    SCHEMA = "schema"
    FPML = "fpml"
    SCOPE = "scope"
    FIX = "fix"
    ELIGIBILITY = "eligibility"
    RISK = "risk"
    LIFECYCLE = "lifecycle"
    MARKET_DATA = "market-data"
    RECON = "recon"
    REFDATA = "refdata"
    BROKER = "broker"  # the embedded MQTT broker's own refusals (users and topic rules)
    AUTH = "auth"
    REPORTS = "reports"  # the members' daily reports
    INTERNAL = "internal"


class ReasonCode(StrEnum):
    # XML safety: refused before anything else is read
    XML_TOO_LARGE = "XML_TOO_LARGE"
    XML_DTD_FORBIDDEN = "XML_DTD_FORBIDDEN"
    XML_ENTITY_FORBIDDEN = "XML_ENTITY_FORBIDDEN"
    XML_MALFORMED = "XML_MALFORMED"
    XML_WRONG_NAMESPACE = "XML_WRONG_NAMESPACE"
    XML_UNKNOWN_MESSAGE = "XML_UNKNOWN_MESSAGE"
    XML_INPUT_UNREADABLE = "XML_INPUT_UNREADABLE"  # the file or stream itself cannot be read
    # Schema
    SCHEMA_INVALID = "SCHEMA_INVALID"
    # FpML rules the schema cannot express
    FPML_VERSION = "FPML_VERSION"
    FPML_UNKNOWN_CODE = "FPML_UNKNOWN_CODE"
    FPML_DATE_ORDER = "FPML_DATE_ORDER"
    FPML_NOTIONAL_NOT_POSITIVE = "FPML_NOTIONAL_NOT_POSITIVE"
    FPML_HREF_UNRESOLVED = "FPML_HREF_UNRESOLVED"
    FPML_PARTIES_NOT_DISTINCT = "FPML_PARTIES_NOT_DISTINCT"
    FPML_MISSING_FIELD = "FPML_MISSING_FIELD"
    FPML_INVALID_VALUE = "FPML_INVALID_VALUE"
    # Clearing scope
    SCOPE_EMBEDDED_OPTION = "SCOPE_EMBEDDED_OPTION"
    SCOPE_CAP_FLOOR = "SCOPE_CAP_FLOOR"
    SCOPE_NON_SWAP_PRODUCT = "SCOPE_NON_SWAP_PRODUCT"
    SCOPE_UNSUPPORTED_FEATURE = "SCOPE_UNSUPPORTED_FEATURE"
    SCOPE_NO_TRADE = "SCOPE_NO_TRADE"
    # FIX
    FIX_MISSING_FIELD = "FIX_MISSING_FIELD"
    FIX_INVALID_VALUE = "FIX_INVALID_VALUE"
    FIX_UNKNOWN_COMP_ID = "FIX_UNKNOWN_COMP_ID"
    FIX_UNSUPPORTED_MESSAGE = "FIX_UNSUPPORTED_MESSAGE"
    FIX_UNKNOWN_TRADE = "FIX_UNKNOWN_TRADE"
    FIX_LOGON_REQUIRED = "FIX_LOGON_REQUIRED"  # the first message of a connection is not a Logon
    FIX_LOGON_TIMEOUT = "FIX_LOGON_TIMEOUT"
    FIX_TOO_MANY_PENDING = "FIX_TOO_MANY_PENDING"  # the cap on connections not yet logged on is reached
    FIX_ALREADY_LOGGED_ON = "FIX_ALREADY_LOGGED_ON"
    FIX_ADDRESS_NOT_ALLOWED = "FIX_ADDRESS_NOT_ALLOWED"
    # Identity (certificates)
    AUTH_TLS_HANDSHAKE_FAILED = "AUTH_TLS_HANDSHAKE_FAILED"  # no, or no valid, client certificate
    AUTH_CERT_COMPID_MISMATCH = "AUTH_CERT_COMPID_MISMATCH"
    # Eligibility
    ELIG_PRODUCT_NOT_ELIGIBLE = "ELIG_PRODUCT_NOT_ELIGIBLE"
    ELIG_CURRENCY_NOT_ELIGIBLE = "ELIG_CURRENCY_NOT_ELIGIBLE"
    ELIG_INDEX_NOT_ELIGIBLE = "ELIG_INDEX_NOT_ELIGIBLE"
    ELIG_MATURITY_TOO_LONG = "ELIG_MATURITY_TOO_LONG"
    ELIG_UNKNOWN_PARTY = "ELIG_UNKNOWN_PARTY"
    ELIG_MEMBER_SUSPENDED = "ELIG_MEMBER_SUSPENDED"
    ELIG_UNKNOWN_ACCOUNT = "ELIG_UNKNOWN_ACCOUNT"
    ELIG_DUPLICATE = "ELIG_DUPLICATE"
    ELIG_OUTSIDE_SERVICE_HOURS = "ELIG_OUTSIDE_SERVICE_HOURS"
    ELIG_STALE_VERSION = "ELIG_STALE_VERSION"
    ELIG_DUPLICATE_UTI = "ELIG_DUPLICATE_UTI"  # the UTI is live as another trade
    ELIG_ACCOUNT_NOT_YOURS = "ELIG_ACCOUNT_NOT_YOURS"  # a member named the other side's account
    ELIG_NOT_COUNTERPARTY = "ELIG_NOT_COUNTERPARTY"  # only the alleged counterparty affirms a trade
    ELIG_ECONOMICS_MISMATCH = "ELIG_ECONOMICS_MISMATCH"  # a matching report differs from the alleged trade
    # Risk / credit
    RISK_INSUFFICIENT_COLLATERAL = "RISK_INSUFFICIENT_COLLATERAL"
    # Margin calls
    MARGIN_CALL_OVERDUE = "MARGIN_CALL_OVERDUE"  # a call still outstanding past its due time
    CALL_UNKNOWN = "CALL_UNKNOWN"  # no margin call with that id
    CALL_SETTLED = "CALL_SETTLED"  # the call is settled already
    CALL_BAD_AMOUNT = "CALL_BAD_AMOUNT"  # a settlement that is not a positive amount
    CALL_CASH_ONLY = "CALL_CASH_ONLY"  # an intraday call settled otherwise than in cash
    RISK_TOLERANCE_EXCEEDED = "RISK_TOLERANCE_EXCEEDED"
    RISK_UNPRICEABLE = "RISK_UNPRICEABLE"
    RISK_UNKNOWN_INDEX = "RISK_UNKNOWN_INDEX"
    RISK_BEYOND_CURVE = "RISK_BEYOND_CURVE"
    RISK_UNSUPPORTED_TERMS = "RISK_UNSUPPORTED_TERMS"
    # Lifecycle
    LIFE_NOT_REGISTERED_BY_EOD = "LIFE_NOT_REGISTERED_BY_EOD"
    LIFE_RETRACTED = "LIFE_RETRACTED"
    LIFE_ALREADY_NOVATED = "LIFE_ALREADY_NOVATED"
    LIFE_BACKLOAD_QUEUED = "LIFE_BACKLOAD_QUEUED"
    LIFE_SUPERSEDED = "LIFE_SUPERSEDED"
    LIFE_DECLINED_BY_COUNTERPARTY = "LIFE_DECLINED_BY_COUNTERPARTY"
    LIFE_NOT_AFFIRMED_BY_EOD = "LIFE_NOT_AFFIRMED_BY_EOD"
    # Packages: all legs clear together or none does
    PACKAGE_LEG_REFUSED = "PACKAGE_LEG_REFUSED"  # refused because a leg of its package is
    PACKAGE_INCOMPLETE = "PACKAGE_INCOMPLETE"  # not every leg of the package arrived in time
    # Lifecycle events on a cleared trade (termination, ...): each refusal names its rule
    LIFE_TRADE_UNKNOWN = "LIFE_TRADE_UNKNOWN"  # no cleared trade has the id the event names
    LIFE_TRADE_NOT_LIVE = "LIFE_TRADE_NOT_LIVE"  # terminated, de-cleared or matured already
    LIFE_NOTIONAL_NOT_SMALLER = (
        "LIFE_NOTIONAL_NOT_SMALLER"  # a partial termination not below the live notional
    )
    LIFE_NOTIONAL_NOT_LARGER = "LIFE_NOTIONAL_NOT_LARGER"  # an increase not above the live notional
    LIFE_NOTIONAL_INCONSISTENT = "LIFE_NOTIONAL_INCONSISTENT"  # change + outstanding is not the live notional
    LIFE_CURRENCY_MISMATCH = "LIFE_CURRENCY_MISMATCH"  # the event's amounts are not in the trade's currency
    LIFE_NEGATIVE_AMOUNT = "LIFE_NEGATIVE_AMOUNT"  # a negative notional change or fee
    LIFE_PAYMENT_DATE_BLACKOUT = "LIFE_PAYMENT_DATE_BLACKOUT"  # the trade pays on the event's effective date
    LIFE_SOURCE_NOT_APPROVED = "LIFE_SOURCE_NOT_APPROVED"  # neither the trade's source nor an approved one
    LIFE_ONE_SIDED = "LIFE_ONE_SIDED"  # the request does not name both members' parties of the trade
    LIFE_PRODUCT_CLASS_CHANGED = "LIFE_PRODUCT_CLASS_CHANGED"  # an amendment to another product class
    LIFE_MEMBERS_CHANGED = "LIFE_MEMBERS_CHANGED"  # an amendment moving a side to another member or account
    # Compression of a member's cleared trades: each refusal names its rule
    COMP_TOO_FEW_TRADES = "COMP_TOO_FEW_TRADES"  # fewer than two live sides to compress
    COMP_NOT_MEMBERS_TRADE = "COMP_NOT_MEMBERS_TRADE"  # a named side is neither the member's nor faces it
    COMP_MIXED_ACCOUNTS = "COMP_MIXED_ACCOUNTS"  # the member's named sides are in another account
    COMP_CONSENT_MISSING = "COMP_CONSENT_MISSING"  # a counterparty's side named without its consent
    COMP_NOT_COMPRESSIBLE = "COMP_NOT_COMPRESSIBLE"  # a side with no fixed leg against one floating index
    COMP_RISK_OUTSIDE_TOLERANCE = "COMP_RISK_OUTSIDE_TOLERANCE"  # a bucket's PV01 or NPV would move too much
    # Reference data and collateral administration
    REF_INVALID_INPUT = "REF_INVALID_INPUT"
    REF_UNKNOWN_MEMBER = "REF_UNKNOWN_MEMBER"
    REF_ALREADY_EXISTS = "REF_ALREADY_EXISTS"
    REF_INSUFFICIENT_HOLDING = "REF_INSUFFICIENT_HOLDING"
    REF_UNKNOWN_ACCOUNT = "REF_UNKNOWN_ACCOUNT"  # the member exists, the account does not
    REF_UNKNOWN_CURRENCY = "REF_UNKNOWN_CURRENCY"  # not an ISO 4217 code in use
    REF_INVALID_LEI = "REF_INVALID_LEI"  # a party id in the LEI scheme that is not an ISO 17442 LEI
    REF_INVALID_ISIN = "REF_INVALID_ISIN"  # not an ISO 6166 ISIN (shape or check digit)
    REF_HAIRCUT_REQUIRED = "REF_HAIRCUT_REQUIRED"  # a security neither given a haircut nor eligible
    # Market data
    MD_BAD_FILE = "MD_BAD_FILE"
    MD_MISSING_CURVE = "MD_MISSING_CURVE"
    MD_GAP = "MD_GAP"
    MD_UNKNOWN_CURVE = "MD_UNKNOWN_CURVE"
    MD_MISSING_PILLAR = "MD_MISSING_PILLAR"
    MD_NOT_A_NUMBER = "MD_NOT_A_NUMBER"
    MD_MISSING_OVERNIGHT_RATE = "MD_MISSING_OVERNIGHT_RATE"  # no fixing of an overnight index on a date
    MD_NO_OVERNIGHT_INDEX = "MD_NO_OVERNIGHT_INDEX"  # a currency without a known overnight index (PAI)
    # The daily market data drop and the fixings store
    MKT_STALE = "MKT_STALE"  # a date in a drop's file is not the drop's business date
    MKT_MISSING_PILLAR = "MKT_MISSING_PILLAR"  # a pillar or FX rate of the previous day is absent
    MKT_NEW_PILLAR = "MKT_NEW_PILLAR"  # a pillar the previous day (and so the history) does not have
    MKT_ABSURD_MOVE = "MKT_ABSURD_MOVE"  # a rate moved more than the configured threshold in one day
    MKT_UNKNOWN_INDEX = "MKT_UNKNOWN_INDEX"  # a curve or fixing names no known floating rate index
    MKT_UNKNOWN_CURRENCY = "MKT_UNKNOWN_CURRENCY"  # an FX rate for a currency the market does not know
    MKT_NO_MARKET = "MKT_NO_MARKET"  # no market data on or before the date asked for
    MKT_BAD_FIXING = "MKT_BAD_FIXING"  # a fixings row that cannot be read
    MKT_FIXING_CONFLICT = "MKT_FIXING_CONFLICT"  # a stored fixing re-loaded with another rate
    MKT_MISSING_FIXING = "MKT_MISSING_FIXING"  # a coupon has fixed and its fixing is not stored
    # The members' daily reports
    RPT_UNKNOWN_KIND = "RPT_UNKNOWN_KIND"  # no report kind of that name
    RPT_UNKNOWN_DATE = "RPT_UNKNOWN_DATE"  # no end of day was run for that business date
    # Reconciliation input
    RECON_INPUT_ERROR = "RECON_INPUT_ERROR"
    # The embedded MQTT broker
    MQTT_NOT_AUTHENTICATED = "MQTT_NOT_AUTHENTICATED"
    MQTT_CLIENT_ID_TAKEN = "MQTT_CLIENT_ID_TAKEN"
    MQTT_TOPIC_DENIED = "MQTT_TOPIC_DENIED"
    # Who may do what: identities refused at the edge
    AUTH_UNKNOWN_SOURCE = "AUTH_UNKNOWN_SOURCE"
    AUTH_SOURCE_SUSPENDED = "AUTH_SOURCE_SUSPENDED"
    AUTH_OPERATOR_UNAUTHENTICATED = "AUTH_OPERATOR_UNAUTHENTICATED"
    # Sub-block flag not honoured (the trade gets the normal credit check)
    RISK_SUB_BLOCK_NOT_HONOURED = "RISK_SUB_BLOCK_NOT_HONOURED"
    # Trade sources administration
    REF_INVALID_SOURCE = "REF_INVALID_SOURCE"
    REF_UNKNOWN_SOURCE = "REF_UNKNOWN_SOURCE"
    # Operations: the process itself
    OPS_CANNOT_START = "OPS_CANNOT_START"  # a setting, port, file or database the gateway needs to start
    # Internal
    INTERNAL_ERROR = "INTERNAL_ERROR"


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    layer: Layer
    fpml_reason: str  # text of FpML reasonCode
    fix_trade_report_reject: (
        int  # TradeReportRejectReason (751): 0 ok,1 party,2 instrument,3 unauthorised,4 type,99 other
    )
    fix_order_reject: int  # OrdRejReason (103): 0 broker option, 1 unknown symbol, 3 exceeds limit, 99 other
    text: str


_R = ReasonInfo
L = Layer
REASONS: dict[ReasonCode, ReasonInfo] = {
    ReasonCode.XML_TOO_LARGE: _R(L.XML, "MessageTooLarge", 99, 99, "document exceeds the size limit"),
    ReasonCode.XML_DTD_FORBIDDEN: _R(L.XML, "DTDForbidden", 99, 99, "a DOCTYPE declaration is not accepted"),
    ReasonCode.XML_ENTITY_FORBIDDEN: _R(
        L.XML, "EntityForbidden", 99, 99, "entity declarations are not accepted"
    ),
    ReasonCode.XML_MALFORMED: _R(L.XML, "MalformedXML", 99, 99, "the document is not well-formed XML"),
    ReasonCode.XML_WRONG_NAMESPACE: _R(
        L.XML, "WrongNamespace", 99, 99, "root element is not in the FpML 5 confirmation namespace"
    ),
    ReasonCode.XML_UNKNOWN_MESSAGE: _R(L.XML, "UnsupportedMessage", 4, 99, "message type is not accepted"),
    ReasonCode.XML_INPUT_UNREADABLE: _R(L.XML, "UnreadableInput", 99, 99, "the input could not be read"),
    ReasonCode.SCHEMA_INVALID: _R(
        L.SCHEMA, "SchemaInvalid", 99, 99, "document is not valid against the FpML schema"
    ),
    ReasonCode.FPML_VERSION: _R(L.FPML, "UnsupportedVersion", 99, 99, "fpmlVersion must be 5-10"),
    ReasonCode.FPML_UNKNOWN_CODE: _R(
        L.FPML, "UnsupportedCode", 2, 1, "coded value is not in a supported scheme"
    ),
    ReasonCode.FPML_DATE_ORDER: _R(L.FPML, "InvalidDates", 2, 99, "dates are out of order"),
    ReasonCode.FPML_NOTIONAL_NOT_POSITIVE: _R(L.FPML, "InvalidNotional", 2, 99, "notional must be positive"),
    ReasonCode.FPML_HREF_UNRESOLVED: _R(
        L.FPML, "UnresolvedReference", 99, 99, "a reference points at no element"
    ),
    ReasonCode.FPML_PARTIES_NOT_DISTINCT: _R(
        L.FPML, "InvalidParties", 1, 99, "the two sides must be distinct parties"
    ),
    ReasonCode.FPML_MISSING_FIELD: _R(L.FPML, "MissingField", 99, 99, "a required field is missing"),
    ReasonCode.FPML_INVALID_VALUE: _R(L.FPML, "InvalidValue", 99, 99, "a field has an invalid value"),
    ReasonCode.SCOPE_EMBEDDED_OPTION: _R(
        L.SCOPE, "EmbeddedOptionality", 2, 1, "trades with embedded optionality are not cleared"
    ),
    ReasonCode.SCOPE_CAP_FLOOR: _R(
        L.SCOPE, "CapFloorNotCleared", 2, 1, "caps, floors and collars are not cleared"
    ),
    ReasonCode.SCOPE_NON_SWAP_PRODUCT: _R(
        L.SCOPE, "ProductNotCleared", 2, 1, "product is not an interest-rate swap"
    ),
    ReasonCode.SCOPE_UNSUPPORTED_FEATURE: _R(
        L.SCOPE, "UnsupportedFeature", 2, 1, "a feature of the trade is not supported"
    ),
    ReasonCode.SCOPE_NO_TRADE: _R(L.SCOPE, "NoTrade", 4, 99, "message carries no trade"),
    ReasonCode.FIX_MISSING_FIELD: _R(L.FIX, "MissingField", 99, 99, "a required FIX field is missing"),
    ReasonCode.FIX_INVALID_VALUE: _R(L.FIX, "InvalidValue", 99, 99, "a FIX field has an invalid value"),
    ReasonCode.FIX_UNKNOWN_COMP_ID: _R(
        L.FIX, "UnknownSender", 3, 99, "SenderCompID is not a known participant"
    ),
    ReasonCode.FIX_UNSUPPORTED_MESSAGE: _R(
        L.FIX, "UnsupportedMessage", 4, 99, "message type is not accepted"
    ),
    ReasonCode.FIX_UNKNOWN_TRADE: _R(L.FIX, "UnknownTrade", 99, 5, "no such trade or order"),
    ReasonCode.FIX_LOGON_REQUIRED: _R(
        L.FIX, "LogonRequired", 3, 99, "the first message of a connection must be a Logon"
    ),
    ReasonCode.FIX_LOGON_TIMEOUT: _R(L.FIX, "LogonTimeout", 3, 99, "no Logon within the logon timeout"),
    ReasonCode.FIX_TOO_MANY_PENDING: _R(
        L.FIX, "TooManyPendingConnections", 3, 99, "too many connections are waiting to log on"
    ),
    ReasonCode.FIX_ALREADY_LOGGED_ON: _R(
        L.FIX, "AlreadyLoggedOn", 3, 99, "the CompID already has a session logged on"
    ),
    ReasonCode.FIX_ADDRESS_NOT_ALLOWED: _R(
        L.FIX, "AddressNotAllowed", 3, 99, "the peer address may not connect"
    ),
    ReasonCode.AUTH_TLS_HANDSHAKE_FAILED: _R(
        L.FIX, "TlsHandshakeFailed", 3, 99, "TLS handshake failed: no valid client certificate"
    ),
    ReasonCode.AUTH_CERT_COMPID_MISMATCH: _R(
        L.FIX, "CertificateCompIdMismatch", 3, 99, "the client certificate does not name the SenderCompID"
    ),
    ReasonCode.ELIG_PRODUCT_NOT_ELIGIBLE: _R(
        L.ELIGIBILITY, "ProductNotEligible", 2, 1, "product is not in the clearing scope"
    ),
    ReasonCode.ELIG_CURRENCY_NOT_ELIGIBLE: _R(
        L.ELIGIBILITY, "CurrencyNotEligible", 2, 1, "currency is not in the clearing scope"
    ),
    ReasonCode.ELIG_INDEX_NOT_ELIGIBLE: _R(
        L.ELIGIBILITY, "IndexNotEligible", 2, 1, "floating rate index is not in the clearing scope"
    ),
    ReasonCode.ELIG_MATURITY_TOO_LONG: _R(
        L.ELIGIBILITY, "MaturityTooLong", 2, 1, "maturity exceeds the product's maximum"
    ),
    ReasonCode.ELIG_UNKNOWN_PARTY: _R(L.ELIGIBILITY, "UnknownParty", 1, 99, "party is not a clearing member"),
    ReasonCode.ELIG_MEMBER_SUSPENDED: _R(
        L.ELIGIBILITY, "MemberSuspended", 3, 99, "clearing member is suspended"
    ),
    ReasonCode.ELIG_UNKNOWN_ACCOUNT: _R(
        L.ELIGIBILITY, "UnknownAccount", 1, 99, "account does not exist for the member"
    ),
    ReasonCode.ELIG_DUPLICATE: _R(L.ELIGIBILITY, "DuplicateTrade", 99, 6, "trade was already submitted"),
    ReasonCode.ELIG_OUTSIDE_SERVICE_HOURS: _R(
        L.ELIGIBILITY, "OutsideServiceHours", 99, 99, "received outside service hours"
    ),
    ReasonCode.ELIG_STALE_VERSION: _R(
        L.ELIGIBILITY, "StaleVersion", 99, 99, "a newer version of the trade exists"
    ),
    ReasonCode.ELIG_DUPLICATE_UTI: _R(
        L.ELIGIBILITY, "DuplicateUTI", 99, 6, "the UTI is already live as another trade"
    ),
    ReasonCode.ELIG_ACCOUNT_NOT_YOURS: _R(
        L.ELIGIBILITY, "AccountNotYours", 3, 99, "a member may name only its own accounts"
    ),
    ReasonCode.ELIG_NOT_COUNTERPARTY: _R(
        L.ELIGIBILITY, "NotCounterparty", 3, 99, "only the alleged counterparty may accept or decline"
    ),
    ReasonCode.ELIG_ECONOMICS_MISMATCH: _R(
        L.ELIGIBILITY, "EconomicsMismatch", 99, 99, "the report differs from the alleged trade with its UTI"
    ),
    ReasonCode.MARGIN_CALL_OVERDUE: _R(
        L.RISK, "MarginCallOverdue", 99, 99, "a margin call is past its due time"
    ),
    ReasonCode.CALL_UNKNOWN: _R(L.RISK, "UnknownMarginCall", 99, 99, "no margin call with that id"),
    ReasonCode.CALL_SETTLED: _R(L.RISK, "MarginCallSettled", 99, 99, "the margin call is settled already"),
    ReasonCode.CALL_BAD_AMOUNT: _R(L.RISK, "BadSettlementAmount", 99, 99, "a settlement must be positive"),
    ReasonCode.CALL_CASH_ONLY: _R(L.RISK, "IntradayCallCashOnly", 99, 99, "an intraday call is paid in cash"),
    ReasonCode.RISK_INSUFFICIENT_COLLATERAL: _R(
        L.RISK, "InsufficientCollateral", 99, 3, "incremental margin exceeds excess collateral and tolerance"
    ),
    ReasonCode.RISK_TOLERANCE_EXCEEDED: _R(
        L.RISK, "ToleranceExceeded", 99, 3, "tolerance limit would be exceeded"
    ),
    ReasonCode.RISK_UNPRICEABLE: _R(
        L.RISK, "Unpriceable", 2, 1, "trade cannot be priced with the market data"
    ),
    ReasonCode.RISK_UNKNOWN_INDEX: _R(L.RISK, "UnknownIndex", 2, 1, "floating rate index is not known"),
    ReasonCode.RISK_BEYOND_CURVE: _R(
        L.RISK, "BeyondCurve", 2, 1, "cash flows fall beyond the end of the market data curves"
    ),
    ReasonCode.RISK_UNSUPPORTED_TERMS: _R(
        L.RISK, "UnsupportedTerms", 2, 1, "trade terms the valuation does not support"
    ),
    ReasonCode.LIFE_NOT_REGISTERED_BY_EOD: _R(
        L.LIFECYCLE, "NotRegisteredByEndOfDay", 99, 99, "pending at end of day"
    ),
    ReasonCode.LIFE_RETRACTED: _R(L.LIFECYCLE, "Retracted", 99, 99, "withdrawn by the submitter"),
    ReasonCode.LIFE_ALREADY_NOVATED: _R(L.LIFECYCLE, "AlreadyNovated", 99, 99, "trade is already novated"),
    ReasonCode.LIFE_BACKLOAD_QUEUED: _R(
        L.LIFECYCLE, "QueuedForBackloading", 99, 99, "trade date is old: queued until the backload date"
    ),
    ReasonCode.LIFE_SUPERSEDED: _R(L.LIFECYCLE, "Superseded", 99, 99, "replaced by a corrected version"),
    ReasonCode.LIFE_DECLINED_BY_COUNTERPARTY: _R(
        L.LIFECYCLE, "DeclinedByCounterparty", 99, 99, "the alleged counterparty declined the trade"
    ),
    ReasonCode.LIFE_NOT_AFFIRMED_BY_EOD: _R(
        L.LIFECYCLE, "NotAffirmedByEndOfDay", 99, 99, "the counterparty had not affirmed it by end of day"
    ),
    ReasonCode.PACKAGE_LEG_REFUSED: _R(
        L.LIFECYCLE, "PackageLegRefused", 99, 99, "a trade of the same package was refused: none is cleared"
    ),
    ReasonCode.PACKAGE_INCOMPLETE: _R(
        L.LIFECYCLE, "PackageIncomplete", 99, 99, "not every trade of the package arrived in time"
    ),
    ReasonCode.LIFE_TRADE_UNKNOWN: _R(
        L.LIFECYCLE, "UnknownTrade", 99, 5, "no cleared trade has the identifier the event names"
    ),
    ReasonCode.LIFE_TRADE_NOT_LIVE: _R(
        L.LIFECYCLE, "TradeNotLive", 99, 99, "the cleared trade is terminated, de-cleared or matured"
    ),
    ReasonCode.LIFE_NOTIONAL_NOT_SMALLER: _R(
        L.LIFECYCLE,
        "NotionalNotReduced",
        99,
        99,
        "a partial termination must leave a notional smaller than the live one and above zero",
    ),
    ReasonCode.LIFE_NOTIONAL_NOT_LARGER: _R(
        L.LIFECYCLE,
        "NotionalNotIncreased",
        99,
        99,
        "an increase must leave a notional larger than the live one",
    ),
    ReasonCode.LIFE_NOTIONAL_INCONSISTENT: _R(
        L.LIFECYCLE,
        "InconsistentNotional",
        99,
        99,
        "the live notional and the change do not give the outstanding notional",
    ),
    ReasonCode.LIFE_CURRENCY_MISMATCH: _R(
        L.LIFECYCLE, "CurrencyMismatch", 99, 99, "the event's amounts are not in the trade's currency"
    ),
    ReasonCode.LIFE_NEGATIVE_AMOUNT: _R(
        L.LIFECYCLE, "NegativeAmount", 99, 99, "a notional change or fee is negative"
    ),
    ReasonCode.LIFE_PAYMENT_DATE_BLACKOUT: _R(
        L.LIFECYCLE,
        "PaymentDateBlackout",
        99,
        99,
        "no termination on a business day on which the trade has a scheduled payment",
    ),
    ReasonCode.LIFE_SOURCE_NOT_APPROVED: _R(
        L.LIFECYCLE,
        "SourceNotApproved",
        3,
        99,
        "only the trade's own source or an active approved source may send its events",
    ),
    ReasonCode.LIFE_ONE_SIDED: _R(
        L.LIFECYCLE, "OneSidedRequest", 3, 99, "an event needs both original counterparties"
    ),
    ReasonCode.LIFE_PRODUCT_CLASS_CHANGED: _R(
        L.LIFECYCLE,
        "ProductClassChanged",
        3,
        99,
        "an amendment keeps the cleared trade's product class",
    ),
    ReasonCode.LIFE_MEMBERS_CHANGED: _R(
        L.LIFECYCLE,
        "MembersChanged",
        3,
        99,
        "an amendment keeps both members and their accounts",
    ),
    ReasonCode.COMP_TOO_FEW_TRADES: _R(
        L.LIFECYCLE, "CompressionTooFewTrades", 99, 99, "a compression needs at least two live cleared trades"
    ),
    ReasonCode.COMP_NOT_MEMBERS_TRADE: _R(
        L.LIFECYCLE,
        "CompressionNotMembersTrade",
        3,
        99,
        "a compression acts on the requesting member's own cleared trades",
    ),
    ReasonCode.COMP_MIXED_ACCOUNTS: _R(
        L.LIFECYCLE,
        "CompressionMixedAccounts",
        99,
        99,
        "the trades of one compression are all in the same account of the member",
    ),
    ReasonCode.COMP_CONSENT_MISSING: _R(
        L.LIFECYCLE,
        "CompressionConsentMissing",
        3,
        99,
        "a counterparty's side changes only with that counterparty's consent",
    ),
    ReasonCode.COMP_NOT_COMPRESSIBLE: _R(
        L.LIFECYCLE,
        "CompressionNotCompressible",
        2,
        99,
        "only fixed against floating swaps are compressed",
    ),
    ReasonCode.COMP_RISK_OUTSIDE_TOLERANCE: _R(
        L.LIFECYCLE,
        "CompressionRiskOutsideTolerance",
        99,
        99,
        "the residual trades would move a bucket's PV01 or NPV beyond the configured tolerance",
    ),
    ReasonCode.REF_INVALID_INPUT: _R(
        L.REFDATA, "InvalidReferenceData", 99, 99, "reference data input is invalid"
    ),
    ReasonCode.REF_UNKNOWN_MEMBER: _R(L.REFDATA, "UnknownMember", 1, 99, "no such clearing member"),
    ReasonCode.REF_ALREADY_EXISTS: _R(
        L.REFDATA, "AlreadyExists", 99, 99, "member, party id or CompID already registered"
    ),
    ReasonCode.REF_INSUFFICIENT_HOLDING: _R(
        L.REFDATA, "InsufficientHolding", 99, 99, "withdrawal exceeds the collateral held"
    ),
    ReasonCode.REF_UNKNOWN_ACCOUNT: _R(L.REFDATA, "UnknownAccount", 1, 99, "the member has no such account"),
    ReasonCode.REF_UNKNOWN_CURRENCY: _R(
        L.REFDATA, "UnknownCurrency", 99, 99, "not an ISO 4217 currency code in use"
    ),
    ReasonCode.REF_INVALID_LEI: _R(
        L.REFDATA,
        "InvalidLEI",
        1,
        99,
        "party id is not an ISO 17442 LEI (length, characters or check digits)",
    ),
    ReasonCode.REF_INVALID_ISIN: _R(
        L.REFDATA, "InvalidISIN", 99, 99, "security id is not an ISO 6166 ISIN (shape or check digit)"
    ),
    ReasonCode.REF_HAIRCUT_REQUIRED: _R(
        L.REFDATA,
        "HaircutRequired",
        99,
        99,
        "a security needs a haircut: given, or from the eligible-collateral table",
    ),
    ReasonCode.MD_BAD_FILE: _R(L.MARKET_DATA, "BadMarketData", 99, 99, "market data file is invalid"),
    ReasonCode.MD_MISSING_CURVE: _R(L.MARKET_DATA, "MissingCurve", 2, 1, "no curve for an index or currency"),
    ReasonCode.MD_GAP: _R(L.MARKET_DATA, "MarketDataGap", 99, 99, "history has a gap"),
    ReasonCode.MD_UNKNOWN_CURVE: _R(
        L.MARKET_DATA, "UnknownCurve", 99, 99, "a curve names no known floating rate index"
    ),
    ReasonCode.MD_MISSING_PILLAR: _R(
        L.MARKET_DATA, "MissingPillar", 99, 99, "a curve lacks a pillar that the rest of the data has"
    ),
    ReasonCode.MD_NOT_A_NUMBER: _R(L.MARKET_DATA, "NotANumber", 99, 99, "a rate is missing, NaN or infinite"),
    ReasonCode.MD_MISSING_OVERNIGHT_RATE: _R(
        L.MARKET_DATA, "MissingOvernightRate", 99, 99, "no fixing of the overnight index on that date"
    ),
    ReasonCode.MD_NO_OVERNIGHT_INDEX: _R(
        L.MARKET_DATA, "NoOvernightIndex", 99, 99, "no overnight index is known for the currency"
    ),
    ReasonCode.MKT_STALE: _R(
        L.MARKET_DATA, "StaleMarketData", 99, 99, "a drop's date is not its business date"
    ),
    ReasonCode.MKT_MISSING_PILLAR: _R(
        L.MARKET_DATA, "DropMissingPillar", 99, 99, "a drop lacks a pillar or FX rate of the previous day"
    ),
    ReasonCode.MKT_NEW_PILLAR: _R(
        L.MARKET_DATA, "DropNewPillar", 99, 99, "a drop has a pillar the previous day's history lacks"
    ),
    ReasonCode.MKT_ABSURD_MOVE: _R(
        L.MARKET_DATA, "AbsurdMove", 99, 99, "a rate moved beyond the configured daily threshold"
    ),
    ReasonCode.MKT_UNKNOWN_INDEX: _R(L.MARKET_DATA, "UnknownIndex", 99, 99, "no known floating rate index"),
    ReasonCode.MKT_UNKNOWN_CURRENCY: _R(
        L.MARKET_DATA, "UnknownCurrency", 99, 99, "an FX rate for a currency the market does not know"
    ),
    ReasonCode.MKT_NO_MARKET: _R(L.MARKET_DATA, "NoMarketData", 2, 1, "no market data on or before the date"),
    ReasonCode.MKT_BAD_FIXING: _R(L.MARKET_DATA, "BadFixing", 99, 99, "a fixings row cannot be read"),
    ReasonCode.MKT_FIXING_CONFLICT: _R(
        L.MARKET_DATA, "FixingConflict", 99, 99, "a stored fixing was re-loaded with another rate"
    ),
    ReasonCode.MKT_MISSING_FIXING: _R(
        L.MARKET_DATA, "MissingFixing", 2, 1, "a coupon has fixed and its fixing is not stored"
    ),
    ReasonCode.RPT_UNKNOWN_KIND: _R(L.REPORTS, "UnknownReportKind", 99, 99, "no report kind of that name"),
    ReasonCode.RPT_UNKNOWN_DATE: _R(
        L.REPORTS, "NoEndOfDay", 99, 99, "no end of day was run for that business date"
    ),
    ReasonCode.RECON_INPUT_ERROR: _R(L.RECON, "InputError", 99, 99, "input row cannot be read"),
    ReasonCode.MQTT_NOT_AUTHENTICATED: _R(
        L.BROKER, "NotAuthenticated", 3, 99, "anonymous, unknown user or wrong password: connection refused"
    ),
    ReasonCode.MQTT_CLIENT_ID_TAKEN: _R(
        L.BROKER, "ClientIdTaken", 3, 99, "the client id belongs to another user's session"
    ),
    ReasonCode.MQTT_TOPIC_DENIED: _R(
        L.BROKER, "TopicNotAuthorized", 3, 99, "the topic rules do not allow this publish or subscription"
    ),
    ReasonCode.AUTH_UNKNOWN_SOURCE: _R(
        L.AUTH, "UnknownSource", 3, 99, "not a registered trade source: only an approved source may submit"
    ),
    ReasonCode.AUTH_SOURCE_SUSPENDED: _R(L.AUTH, "SourceSuspended", 3, 99, "the trade source is suspended"),
    ReasonCode.AUTH_OPERATOR_UNAUTHENTICATED: _R(
        L.AUTH, "Unauthorised", 3, 99, "the operator token is missing or wrong"
    ),
    ReasonCode.RISK_SUB_BLOCK_NOT_HONOURED: _R(
        L.RISK,
        "SubBlockNotHonoured",
        99,
        99,
        "sub-block flag not honoured (not a venue source, or at or above the block threshold): credit checked",
    ),
    ReasonCode.REF_INVALID_SOURCE: _R(
        L.REFDATA, "InvalidSource", 99, 99, "trade source id is not a single topic level"
    ),
    ReasonCode.REF_UNKNOWN_SOURCE: _R(L.REFDATA, "UnknownSource", 99, 99, "no such trade source"),
    ReasonCode.OPS_CANNOT_START: _R(
        L.INTERNAL, "CannotStart", 99, 99, "the gateway cannot start with this configuration"
    ),
    ReasonCode.INTERNAL_ERROR: _R(
        L.INTERNAL, "InternalError", 99, 99, "internal error; the message was not processed"
    ),
}
