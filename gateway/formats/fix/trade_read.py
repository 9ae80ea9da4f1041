"""A swap in FIX 5.0 SP2 fields (sides, parties, StreamGrp/PaymentStream) to the canonical trade.

``read_trade`` turns the body of a TradeCaptureReport into a ``Trade`` or raises ``InputRejected`` whose
issues name every problem: the FIX field (``NoStreams[2].StreamNotional(40054)``), a ReasonCode and the
rule broken. It reads each field once with a ``Reader`` (``reader.py``), which only works out names and
paths for a value that is wrong. ``read_parties``, ``read_identifiers`` and ``read_streams`` are the same
code for the other messages that carry parties or streams (orders for credit checks).
``tests/formats/fix/reference/`` holds an independent reading the tests hold this one to.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.errors import InputRejected, Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, PartyTradeId, PrincipalExchanges, Stream, Trade, TradeIdentifiers
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.reader import FLAGS, Reader, path_of, text_of
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet

_SIDES = {s: s for s in codes.SIDES}
_ZERO = {"0": "0"}
_DAYS = {"D": "D"}
_DAY_TYPES = {"0": "0", "1": "1"}
_MISSING = ReasonCode.FIX_MISSING_FIELD
_INVALID = ReasonCode.FIX_INVALID_VALUE
_NO_ENTRIES: list[FieldSet] = []
_EXECUTING_FIRM = codes.ROLE_EXECUTING_FIRM
_NO_COMPOUNDING = codes.COMPOUNDING["0"]
_DAY_COUNTS = codes.DAY_COUNT
_COMPOUNDINGS = codes.COMPOUNDING

# Tags as plain ints: an IntEnum member is slower to look up than a module global.
_ACCOUNT = int(T.Account)
_SIDE = int(T.Side)
_NO_SIDES = int(T.NoSides)
_NO_PARTY_IDS = int(T.NoPartyIDs)
_PARTY_ID = int(T.PartyID)
_PARTY_ID_SOURCE = int(T.PartyIDSource)
_PARTY_ROLE = int(T.PartyRole)
_NO_PARTY_SUB_IDS = int(T.NoPartySubIDs)
_PARTY_SUB_ID = int(T.PartySubID)
_PARTY_SUB_ID_TYPE = int(T.PartySubIDType)
_SIDE_TRADE_ID = int(T.SideTradeID)
_TRADE_ID = int(T.TradeID)
_TRADE_VERSION = int(T.TradeVersion)
_NO_REGULATORY_TRADE_IDS = int(T.NoRegulatoryTradeIDs)
_REGULATORY_TRADE_ID = int(T.RegulatoryTradeID)
_REGULATORY_TRADE_ID_TYPE = int(T.RegulatoryTradeIDType)
_TRADE_DATE = int(T.TradeDate)
_SECURITY_SUB_TYPE = int(T.SecuritySubType)
_NO_STREAMS = int(T.NoStreams)
_STREAM_TYPE = int(T.StreamType)
_PAYMENT_STREAM_TYPE = int(T.PaymentStreamType)
_PAY_SIDE = int(T.StreamPaySide)
_RECEIVE_SIDE = int(T.StreamReceiveSide)
_NOTIONAL = int(T.StreamNotional)
_CURRENCY = int(T.StreamCurrency)
_EFFECTIVE = int(T.StreamEffectiveDateUnadjusted)
_TERMINATION = int(T.StreamTerminationDateUnadjusted)
_CALC_FREQ_PERIOD = int(T.StreamCalculationFrequencyPeriod)
_CALC_FREQ_UNIT = int(T.StreamCalculationFrequencyUnit)
_PAY_FREQ_PERIOD = int(T.PaymentStreamPaymentFrequencyPeriod)
_PAY_FREQ_UNIT = int(T.PaymentStreamPaymentFrequencyUnit)
_DAY_COUNT = int(T.PaymentStreamDayCount)
_RATE = int(T.PaymentStreamRate)
_RATE_INDEX = int(T.PaymentStreamRateIndex)
_INDEX_TENOR_PERIOD = int(T.PaymentStreamRateIndexCurvePeriod)
_INDEX_TENOR_UNIT = int(T.PaymentStreamRateIndexCurveUnit)
_SPREAD = int(T.PaymentStreamRateSpread)
_RESET_PERIOD = int(T.PaymentStreamResetFrequencyPeriod)
_RESET_UNIT = int(T.PaymentStreamResetFrequencyUnit)
_FIXING = (
    int(T.PaymentStreamFixingDateOffsetPeriod),
    int(T.PaymentStreamFixingDateOffsetUnit),
    int(T.PaymentStreamFixingDateOffsetDayType),
)
_PAY_LAG = (
    int(T.PaymentStreamPaymentDateOffsetPeriod),
    int(T.PaymentStreamPaymentDateOffsetUnit),
    int(T.PaymentStreamPaymentDateOffsetDayType),
)
_FIRST_REGULAR = int(T.StreamFirstRegularPeriodStartDateUnadjusted)
_LAST_REGULAR = int(T.StreamLastRegularPeriodEndDateUnadjusted)
_COMPOUNDING = int(T.PaymentStreamCompoundingMethod)
_ROLL = int(T.StreamCalculationRollConvention)
_EXCHANGES = (
    int(T.PaymentStreamInitialPrincipalExchangeIndicator),
    int(T.PaymentStreamInterimPrincipalExchangeIndicator),
    int(T.PaymentStreamFinalPrincipalExchangeIndicator),
)
_ADJUSTMENTS = tuple(
    (int(bdc), int(count), int(centre))
    for bdc, count, centre in (
        (
            T.StreamEffectiveDateBusinessDayConvention,
            T.NoStreamEffectiveDateBusinessCenters,
            T.StreamEffectiveDateBusinessCenter,
        ),
        (
            T.StreamTerminationDateBusinessDayConvention,
            T.NoStreamTerminationDateBusinessCenters,
            T.StreamTerminationDateBusinessCenter,
        ),
        (
            T.StreamCalculationPeriodBusinessDayConvention,
            T.NoStreamCalculationPeriodBusinessCenters,
            T.StreamCalculationPeriodBusinessCenter,
        ),
        (
            T.PaymentStreamPaymentDateBusinessDayConvention,
            T.NoPaymentStreamPaymentDateBusinessCenters,
            T.PaymentStreamPaymentDateBusinessCenter,
        ),
    )
)

# Where a canonical-trade invariant is stated in FIX terms.
_STREAM_PATHS = {
    "stream.payer": T.StreamPaySide,
    "stream.notional": T.StreamNotional,
    "stream.currency": T.StreamCurrency,
    "stream.terminationDate": T.StreamTerminationDateUnadjusted,
    "stream.rate": T.PaymentStreamRate,
    "stream.indexTenor": T.PaymentStreamRateIndexCurvePeriod,
    "stream.calculationPeriodFrequency": T.StreamCalculationFrequencyPeriod,
    "stream.paymentFrequency": T.PaymentStreamPaymentFrequencyPeriod,
    "stream.firstRegularPeriodStartDate": T.StreamFirstRegularPeriodStartDateUnadjusted,
    "stream.lastRegularPeriodEndDate": T.StreamLastRegularPeriodEndDateUnadjusted,
    "businessCenters": T.NoStreamCalculationPeriodBusinessCenters,
    "period": T.StreamCalculationFrequencyUnit,
}


def read_parties(body: FieldSet, d: Dictionary, issues: list[Issue]) -> dict[str, Party]:
    """The two sides of a trade report, keyed by Side (1 or 2)."""
    sides = body.groups.get(_NO_SIDES, _NO_ENTRIES)
    parties: dict[str, Party] = {}
    if len(sides) != 2:
        issues.append(Issue(_INVALID, path_of(body, d, T.NoSides), "needs exactly 2 sides"))
        return parties
    for entry in sides:
        side = entry.fields.get(_SIDE)
        if side not in _SIDES:
            Reader(entry, d, issues).coded(_SIDE, _SIDES, required=True)  # names what is wrong with it
            continue
        if side in parties:
            issues.append(Issue(_INVALID, path_of(entry, d, _SIDE), f"side {side} appears twice"))
            continue
        ids = entry.groups.get(_NO_PARTY_IDS, _NO_ENTRIES)
        firms = [p for p in ids if p.fields.get(_PARTY_ROLE) == _EXECUTING_FIRM]
        if len(firms) != len(ids):
            for other in ids:
                role = other.fields.get(_PARTY_ROLE)
                if role != _EXECUTING_FIRM:
                    message = f"role {role} is not accepted on a side"
                    issues.append(Issue(_INVALID, path_of(other, d, _PARTY_ROLE), message))
        if len(firms) != 1:
            message = "a side needs exactly one PartyRole 1 (executing firm)"
            issues.append(Issue(_MISSING, path_of(entry, d, _NO_PARTY_IDS), message))
            continue
        firm = firms[0]
        party_id = text_of(firm, d, issues, _PARTY_ID, required=True)
        source = text_of(firm, d, issues, _PARTY_ID_SOURCE, required=True)
        names = [
            text_of(s, d, issues, _PARTY_SUB_ID)
            if s.fields.get(_PARTY_SUB_ID)
            else s.fields.get(_PARTY_SUB_ID)
            for s in firm.groups.get(_NO_PARTY_SUB_IDS, _NO_ENTRIES)
            if s.fields.get(_PARTY_SUB_ID_TYPE) == codes.SUB_ID_FULL_NAME
        ]
        if party_id is None or not party_id.strip():
            continue
        parties[side] = Party(
            party_id=party_id,
            scheme=codes.LEI_SCHEME if source == "N" else None,
            name=names[0] if names else None,
            account=text_of(entry, d, issues, _ACCOUNT),
        )
    return parties


def read_identifiers(
    body: FieldSet, d: Dictionary, issues: list[Issue], parties: dict[str, Party]
) -> TradeIdentifiers | None:
    """TradeID, TradeVersion, the current UTI and each side's SideTradeID (in message order)."""
    return _identifiers(Reader(body, d, issues), parties)


def _identifiers(r: Reader, parties: dict[str, Party]) -> TradeIdentifiers | None:
    body, d, issues = r.fs, r.d, r.issues
    party_trade_ids = tuple(
        PartyTradeId(parties[side.fields[_SIDE]].party_id, side_trade_id)
        for side in body.groups.get(_NO_SIDES, _NO_ENTRIES)
        if side.fields.get(_SIDE) in parties and (side_trade_id := text_of(side, d, issues, _SIDE_TRADE_ID))
    )
    trade_id = r.text(_TRADE_ID, required=True)
    version = r.integer(_TRADE_VERSION)
    uti = None
    for entry in body.groups.get(_NO_REGULATORY_TRADE_IDS, _NO_ENTRIES):
        if entry.fields.get(_REGULATORY_TRADE_ID_TYPE) == codes.REGULATORY_ID_CURRENT:
            uti = text_of(entry, d, issues, _REGULATORY_TRADE_ID)
    if trade_id is None:
        return None
    try:
        return TradeIdentifiers(
            source_trade_id=trade_id, source_version=version or 1, uti=uti, party_trade_ids=party_trade_ids
        )
    except TradeInvalid as exc:
        r.fail(_INVALID, _TRADE_VERSION, exc.issues[0].message)
        return None


def _offset(r: Reader, tags: tuple[int, int, int]) -> int:
    period_tag, unit_tag, day_type_tag = tags
    get = r.f.get
    text = get(period_tag)
    if not text:
        return 0
    if get(unit_tag) == "D" and get(day_type_tag) == "0" and text == text.strip():
        try:
            return int(text)  # business days, as they should be
        except ValueError:
            pass  # named below
    days = r.integer(period_tag)
    if days is None:
        return 0
    r.coded(unit_tag, _DAYS, required=True)
    if r.coded(day_type_tag, _DAY_TYPES, required=True) == "1":
        r.fail(_INVALID, day_type_tag, "offsets are counted in business days (0)")
    return days


def _stream(entry: FieldSet, d: Dictionary, parties: dict[str, Party], issues: list[Issue]) -> Stream | None:
    r = Reader(entry, d, issues)
    # A code found in its table is taken here; anything else goes to the Reader, which names the problem.
    get = entry.fields.get
    before = len(issues)
    pay = v if (v := get(_PAY_SIDE)) in _SIDES else r.coded(_PAY_SIDE, _SIDES, required=True)
    receive = v if (v := get(_RECEIVE_SIDE)) in _SIDES else r.coded(_RECEIVE_SIDE, _SIDES, required=True)
    notional = r.decimal(_NOTIONAL, required=True)
    currency = r.text(_CURRENCY, required=True)
    effective = r.day(_EFFECTIVE, required=True)
    termination = r.day(_TERMINATION, required=True)
    calc_freq = r.period(_CALC_FREQ_PERIOD, _CALC_FREQ_UNIT, required=True)
    pay_freq = r.period(_PAY_FREQ_PERIOD, _PAY_FREQ_UNIT, required=True)
    v = get(_DAY_COUNT)
    day_count = _DAY_COUNTS[v] if v in _DAY_COUNTS else r.coded(_DAY_COUNT, _DAY_COUNTS, required=True)
    fixed_rate = r.decimal(_RATE)
    index = r.text(_RATE_INDEX)
    tenor = r.period(_INDEX_TENOR_PERIOD, _INDEX_TENOR_UNIT)
    spread = r.decimal(_SPREAD)
    reset = r.period(_RESET_PERIOD, _RESET_UNIT)
    fixing = _offset(r, _FIXING)
    pay_lag = _offset(r, _PAY_LAG)
    first_regular = r.day(_FIRST_REGULAR)
    last_regular = r.day(_LAST_REGULAR)
    v = get(_COMPOUNDING)
    compounding = (
        _COMPOUNDINGS[v] if v in _COMPOUNDINGS else r.coded(_COMPOUNDING, _COMPOUNDINGS) if v else None
    )
    if get(_STREAM_TYPE) != "0":
        r.coded(_STREAM_TYPE, _ZERO, required=True)
    if get(_PAYMENT_STREAM_TYPE) != "0":
        r.coded(_PAYMENT_STREAM_TYPE, _ZERO, required=True)
    if fixed_rate is not None:
        if index is not None:
            r.fail(_INVALID, _RATE_INDEX, "a stream has a fixed rate or an index, not both")
    elif index is None:
        if len(issues) == before:
            r.fail(_MISSING, _RATE, "a stream needs PaymentStreamRate or PaymentStreamRateIndex")
    elif tenor is None and len(issues) == before:
        r.fail(_MISSING, _INDEX_TENOR_PERIOD, "a floating stream needs the index tenor")
    if fixed_rate is not None and (spread is not None or reset is not None):
        r.fail(_INVALID, _SPREAD, "spread or reset dates on a fixed stream")
    adjustments = [r.adjustment(bdc, count, centre) for bdc, count, centre in _ADJUSTMENTS]
    payer = parties.get(pay) if pay else None
    receiver = parties.get(receive) if receive else None
    if len(issues) > before:
        return None
    if payer is None or receiver is None:
        r.fail(_INVALID, _PAY_SIDE, "refers to a side without a party")
        return None
    if (
        notional is None
        or currency is None
        or effective is None
        or termination is None
        or calc_freq is None
        or pay_freq is None
        or day_count is None
    ):
        return None  # unreachable: each missing value has added an issue above
    roll = r.text(_ROLL)
    initial, interim, final = (
        (FLAGS[v] if v in FLAGS else r.flag(tag)) if (v := get(tag)) is not None else False
        for tag in _EXCHANGES
    )
    try:
        return Stream(
            payer=payer.party_id,
            receiver=receiver.party_id,
            notional=notional,
            currency=currency,
            day_count=day_count,
            effective_date=effective,
            termination_date=termination,
            calculation_frequency=calc_freq,
            payment_frequency=pay_freq,
            fixed_rate=fixed_rate,
            floating_index=index,
            index_tenor=tenor,
            spread=spread if spread is not None else Decimal(0),
            reset_frequency=reset,
            fixing_offset_days=fixing,
            roll_convention=roll,
            effective_date_adjustment=adjustments[0],
            termination_date_adjustment=adjustments[1],
            calculation_adjustment=adjustments[2],
            payment_adjustment=adjustments[3],
            payment_offset_days=pay_lag,
            first_regular_period_start=first_regular,
            last_regular_period_end=last_regular,
            compounding_method=compounding or _NO_COMPOUNDING,
            principal_exchanges=PrincipalExchanges(initial, interim, final),
        )
    except TradeInvalid as exc:
        for issue in exc.issues:
            tag = _STREAM_PATHS.get(issue.path)
            path = r.where(tag) if tag is not None else f"{entry.path}: {issue.path}"
            issues.append(Issue(issue.code, path, issue.message))
        return None


def read_streams(
    body: FieldSet, d: Dictionary, parties: dict[str, Party], issues: list[Issue]
) -> list[Stream | None]:
    """The NoStreams entries of ``body``; ``parties`` maps Side (1, 2) to the party on that side."""
    entries = body.groups.get(_NO_STREAMS, _NO_ENTRIES)
    if not entries:
        issues.append(
            Issue(
                _MISSING,
                path_of(body, d, T.NoStreams),
                "the swap needs its streams (or the FpML trade in SecurityXML)",
            )
        )
    return [_stream(e, d, parties, issues) for e in entries]


def read_trade(body: FieldSet, d: Dictionary) -> Trade:
    """The canonical trade in a TradeCaptureReport's stream fields; every problem is reported at once."""
    issues: list[Issue] = []
    r = Reader(body, d, issues)
    parties = read_parties(body, d, issues)
    identifiers = _identifiers(r, parties)
    trade_date = r.day(_TRADE_DATE, required=True)
    product = r.coded(_SECURITY_SUB_TYPE, codes.PRODUCT, required=True)
    entries = body.groups.get(_NO_STREAMS, _NO_ENTRIES)
    if not entries:
        r.fail(_MISSING, _NO_STREAMS, "the swap needs its streams (or the FpML in SecurityXML)")
    streams = [_stream(e, d, parties, issues) for e in entries]
    if issues:
        raise InputRejected(issues)
    if identifiers is None or trade_date is None or product is None:
        raise InputRejected(
            [Issue(ReasonCode.INTERNAL_ERROR, body.path, "incomplete trade without an issue")]
        )
    try:
        return Trade(
            identifiers=identifiers,
            trade_date=trade_date,
            product=product,
            parties=(parties["1"], parties["2"]),
            streams=tuple([s for s in streams if s is not None]),
        )
    except TradeInvalid as exc:
        raise InputRejected(
            [Issue(i.code, f"{body.path}: {i.path}", i.message) for i in exc.issues]
        ) from None
