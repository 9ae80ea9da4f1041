"""A swap in FIX 5.0 SP2 fields (sides, parties, StreamGrp/PaymentStream) to the canonical trade and back.

``read_trade`` turns the body of a TradeCaptureReport into a ``Trade`` or raises ``InputRejected`` whose
issues name the FIX field (``NoStreams[2].StreamNotional(40054)``) and the rule broken.
``trade_items`` writes a trade as the same fields, so what we read we can also send.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar

from gateway.domain.enums import BusinessDayConvention, PeriodUnit, ProductClass
from gateway.domain.errors import InputRejected, Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import (
    Party,
    PartyTradeId,
    PrincipalExchanges,
    Stream,
    Trade,
    TradeIdentifiers,
    uncarried,
)
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period, Step
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet, Item

V = TypeVar("V")

_SIDES = {s: s for s in codes.SIDES}
_ZERO = {"0": "0"}
_FLAGS = {"Y": True, "N": False}
_DAYS = {"D": "D"}
_DAY_TYPES = {"0": "0", "1": "1"}

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


# Values repeat from message to message (dates, conventions, tenors) and are immutable: parse each once.
@lru_cache(maxsize=4096)
def _to_day(v: str) -> date:
    if len(v) != 8 or not v.isdigit():
        raise ValueError(v)
    return date(int(v[:4]), int(v[4:6]), int(v[6:]))


@lru_cache(maxsize=4096)
def _to_decimal(v: str) -> Decimal:
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(v)
    return d


@lru_cache(maxsize=256)
def _period_of(multiplier: int, unit: PeriodUnit) -> Period:
    return Period(multiplier, unit)


@lru_cache(maxsize=256)
def _adjustment_of(convention: BusinessDayConvention, centres: tuple[str, ...]) -> DateAdjustment:
    return DateAdjustment(convention, centres)


class Reader:
    """Typed access to one ``FieldSet`` that collects every problem instead of stopping at the first."""

    def __init__(self, fs: FieldSet, dictionary: Dictionary, issues: list[Issue]) -> None:
        self.fs = fs
        self.d = dictionary
        self.issues = issues

    def where(self, tag: int) -> str:
        return f"{self.fs.path}.{self.d.label(tag)}"

    def fail(self, code: ReasonCode, tag: int, message: str) -> None:
        self.issues.append(Issue(code, self.where(tag), message))

    def text(self, tag: int, required: bool = False) -> str | None:
        value = self.fs.fields.get(tag)
        if not value:
            if required:
                self.fail(ReasonCode.FIX_MISSING_FIELD, tag, "is required")
            return None
        if (why := uncarried(value)) is not None:
            self.fail(ReasonCode.FIX_INVALID_VALUE, tag, why)  # its statuses could never be published
            return None
        return value

    def _convert(self, tag: int, required: bool, kind: str, conv: Callable[[str], V]) -> V | None:
        value = self.text(tag, required)
        if value is None:
            return None
        try:
            return conv(value)
        except (ValueError, InvalidOperation, KeyError):
            self.fail(ReasonCode.FIX_INVALID_VALUE, tag, f"{value!r} is not {kind}")
            return None

    def decimal(self, tag: int, required: bool = False) -> Decimal | None:
        return self._convert(tag, required, "a decimal number", _to_decimal)

    def integer(self, tag: int, required: bool = False) -> int | None:
        return self._convert(tag, required, "an integer", int)

    def day(self, tag: int, required: bool = False) -> date | None:
        return self._convert(tag, required, "a date YYYYMMDD", _to_day)

    def coded(self, tag: int, table: dict[str, V], required: bool = False) -> V | None:
        value = self.text(tag, required)
        if value is None:
            return None
        if value not in table:
            self.fail(ReasonCode.FIX_INVALID_VALUE, tag, f"{value!r} is not one of {', '.join(table)}")
            return None
        return table[value]

    def flag(self, tag: int) -> bool:
        return self.coded(tag, _FLAGS) or False

    def period(self, period_tag: int, unit_tag: int, required: bool = False) -> Period | None:
        multiplier = self.integer(period_tag, required)
        unit = self.coded(unit_tag, codes.UNIT, required or multiplier is not None)
        if multiplier is None or unit is None:
            return None
        try:
            return _period_of(multiplier, unit)
        except TradeInvalid as exc:
            self.fail(ReasonCode.FIX_INVALID_VALUE, unit_tag, exc.issues[0].message)
            return None

    def centres(self, count_tag: int, centre_tag: int) -> tuple[str, ...]:
        return tuple(e.get(centre_tag) or "" for e in self.fs.group(count_tag))

    def adjustment(self, bdc_tag: int, count_tag: int, centre_tag: int) -> DateAdjustment:
        convention = self.coded(bdc_tag, codes.BDC)
        centres = self.centres(count_tag, centre_tag)
        if convention is None:
            if centres:
                self.fail(
                    ReasonCode.FIX_MISSING_FIELD, bdc_tag, "business centres given without a convention"
                )
            return NO_ADJUSTMENT
        try:
            return _adjustment_of(convention, centres)
        except TradeInvalid as exc:
            self.fail(ReasonCode.FIX_MISSING_FIELD, count_tag, exc.issues[0].message)
            return NO_ADJUSTMENT


def _reject(issues: list[Issue]) -> InputRejected:
    return InputRejected(issues)


def read_parties(body: FieldSet, d: Dictionary, issues: list[Issue]) -> dict[str, Party]:
    """The two sides of a trade report, keyed by Side (1 or 2)."""
    sides = body.group(T.NoSides)
    parties: dict[str, Party] = {}
    if len(sides) != 2:
        issues.append(
            Issue(ReasonCode.FIX_INVALID_VALUE, f"{body.path}.{d.label(T.NoSides)}", "needs exactly 2 sides")
        )
        return parties
    for entry in sides:
        r = Reader(entry, d, issues)
        side = r.coded(T.Side, _SIDES, required=True)
        if side is None:
            continue
        if side in parties:
            r.fail(ReasonCode.FIX_INVALID_VALUE, T.Side, f"side {side} appears twice")
            continue
        firms = [p for p in entry.group(T.NoPartyIDs) if p.get(T.PartyRole) == codes.ROLE_EXECUTING_FIRM]
        others = [p for p in entry.group(T.NoPartyIDs) if p.get(T.PartyRole) != codes.ROLE_EXECUTING_FIRM]
        for other in others:
            Reader(other, d, issues).fail(
                ReasonCode.FIX_INVALID_VALUE,
                T.PartyRole,
                f"role {other.get(T.PartyRole)} is not accepted on a side",
            )
        if len(firms) != 1:
            r.fail(
                ReasonCode.FIX_MISSING_FIELD,
                T.NoPartyIDs,
                "a side needs exactly one PartyRole 1 (executing firm)",
            )
            continue
        pr = Reader(firms[0], d, issues)
        party_id = pr.text(T.PartyID, required=True)
        source = pr.text(T.PartyIDSource, required=True)
        names = [
            Reader(s, d, issues).text(T.PartySubID) if s.get(T.PartySubID) else s.get(T.PartySubID)
            for s in firms[0].group(T.NoPartySubIDs)
            if s.get(T.PartySubIDType) == "5"
        ]
        if party_id is None or not party_id.strip():
            continue
        parties[side] = Party(
            party_id=party_id,
            scheme=codes.LEI_SCHEME if source == "N" else None,
            name=names[0] if names else None,
            account=r.text(T.Account),
        )
    return parties


def _stream(entry: FieldSet, d: Dictionary, parties: dict[str, Party], issues: list[Issue]) -> Stream | None:
    r = Reader(entry, d, issues)
    before = len(issues)
    pay = r.coded(T.StreamPaySide, _SIDES, required=True)
    receive = r.coded(T.StreamReceiveSide, _SIDES, required=True)
    notional = r.decimal(T.StreamNotional, required=True)
    currency = r.text(T.StreamCurrency, required=True)
    effective = r.day(T.StreamEffectiveDateUnadjusted, required=True)
    termination = r.day(T.StreamTerminationDateUnadjusted, required=True)
    calc_freq = r.period(T.StreamCalculationFrequencyPeriod, T.StreamCalculationFrequencyUnit, required=True)
    pay_freq = r.period(
        T.PaymentStreamPaymentFrequencyPeriod, T.PaymentStreamPaymentFrequencyUnit, required=True
    )
    day_count = r.coded(T.PaymentStreamDayCount, codes.DAY_COUNT, required=True)
    fixed_rate = r.decimal(T.PaymentStreamRate)
    index = r.text(T.PaymentStreamRateIndex)
    tenor = r.period(T.PaymentStreamRateIndexCurvePeriod, T.PaymentStreamRateIndexCurveUnit)
    spread = r.decimal(T.PaymentStreamRateSpread)
    reset = r.period(T.PaymentStreamResetFrequencyPeriod, T.PaymentStreamResetFrequencyUnit)
    fixing = _offset(
        r,
        T.PaymentStreamFixingDateOffsetPeriod,
        T.PaymentStreamFixingDateOffsetUnit,
        T.PaymentStreamFixingDateOffsetDayType,
    )
    pay_lag = _offset(
        r,
        T.PaymentStreamPaymentDateOffsetPeriod,
        T.PaymentStreamPaymentDateOffsetUnit,
        T.PaymentStreamPaymentDateOffsetDayType,
    )
    first_regular = r.day(T.StreamFirstRegularPeriodStartDateUnadjusted)
    last_regular = r.day(T.StreamLastRegularPeriodEndDateUnadjusted)
    compounding = r.coded(T.PaymentStreamCompoundingMethod, codes.COMPOUNDING)
    r.coded(T.StreamType, _ZERO, required=True)
    r.coded(T.PaymentStreamType, _ZERO, required=True)
    if fixed_rate is not None and index is not None:
        r.fail(
            ReasonCode.FIX_INVALID_VALUE,
            T.PaymentStreamRateIndex,
            "a stream has a fixed rate or an index, not both",
        )
    if fixed_rate is None and index is None and len(issues) == before:
        r.fail(
            ReasonCode.FIX_MISSING_FIELD,
            T.PaymentStreamRate,
            "a stream needs PaymentStreamRate or PaymentStreamRateIndex",
        )
    if index is not None and tenor is None and len(issues) == before:
        r.fail(
            ReasonCode.FIX_MISSING_FIELD,
            T.PaymentStreamRateIndexCurvePeriod,
            "a floating stream needs the index tenor",
        )
    if fixed_rate is not None and (spread is not None or reset is not None):
        r.fail(
            ReasonCode.FIX_INVALID_VALUE, T.PaymentStreamRateSpread, "spread or reset dates on a fixed stream"
        )
    adjustments = (
        r.adjustment(
            T.StreamEffectiveDateBusinessDayConvention,
            T.NoStreamEffectiveDateBusinessCenters,
            T.StreamEffectiveDateBusinessCenter,
        ),
        r.adjustment(
            T.StreamTerminationDateBusinessDayConvention,
            T.NoStreamTerminationDateBusinessCenters,
            T.StreamTerminationDateBusinessCenter,
        ),
        r.adjustment(
            T.StreamCalculationPeriodBusinessDayConvention,
            T.NoStreamCalculationPeriodBusinessCenters,
            T.StreamCalculationPeriodBusinessCenter,
        ),
        r.adjustment(
            T.PaymentStreamPaymentDateBusinessDayConvention,
            T.NoPaymentStreamPaymentDateBusinessCenters,
            T.PaymentStreamPaymentDateBusinessCenter,
        ),
    )
    payer = parties.get(pay) if pay else None
    receiver = parties.get(receive) if receive else None
    if len(issues) > before:
        return None
    if payer is None or receiver is None:
        r.fail(ReasonCode.FIX_INVALID_VALUE, T.StreamPaySide, "refers to a side without a party")
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
            roll_convention=r.text(T.StreamCalculationRollConvention),
            effective_date_adjustment=adjustments[0],
            termination_date_adjustment=adjustments[1],
            calculation_adjustment=adjustments[2],
            payment_adjustment=adjustments[3],
            payment_offset_days=pay_lag,
            first_regular_period_start=first_regular,
            last_regular_period_end=last_regular,
            compounding_method=compounding or codes.COMPOUNDING["0"],
            principal_exchanges=PrincipalExchanges(
                initial=r.flag(T.PaymentStreamInitialPrincipalExchangeIndicator),
                intermediate=r.flag(T.PaymentStreamInterimPrincipalExchangeIndicator),
                final=r.flag(T.PaymentStreamFinalPrincipalExchangeIndicator),
            ),
        )
    except TradeInvalid as exc:
        for issue in exc.issues:
            tag = _STREAM_PATHS.get(issue.path)
            path = r.where(tag) if tag is not None else f"{entry.path}: {issue.path}"
            issues.append(Issue(issue.code, path, issue.message))
        return None


def _offset(r: Reader, period_tag: int, unit_tag: int, day_type_tag: int) -> int:
    days = r.integer(period_tag)
    if days is None:
        return 0
    r.coded(unit_tag, _DAYS, required=True)
    if r.coded(day_type_tag, _DAY_TYPES, required=True) == "1":
        r.fail(ReasonCode.FIX_INVALID_VALUE, day_type_tag, "offsets are counted in business days (0)")
    return days


def read_identifiers(
    body: FieldSet, d: Dictionary, issues: list[Issue], parties: dict[str, Party]
) -> TradeIdentifiers | None:
    r = Reader(body, d, issues)
    party_trade_ids = tuple(
        PartyTradeId(parties[side.get(T.Side) or ""].party_id, side_trade_id)
        for side in body.group(T.NoSides)
        if side.get(T.Side) in parties and (side_trade_id := Reader(side, d, issues).text(T.SideTradeID))
    )
    trade_id = r.text(T.TradeID, required=True)
    version = r.integer(T.TradeVersion)
    uti = None
    for entry in body.group(T.NoRegulatoryTradeIDs):
        if entry.get(T.RegulatoryTradeIDType) == codes.REGULATORY_ID_CURRENT:
            uti = Reader(entry, d, issues).text(T.RegulatoryTradeID)
    if trade_id is None:
        return None
    try:
        return TradeIdentifiers(
            source_trade_id=trade_id, source_version=version or 1, uti=uti, party_trade_ids=party_trade_ids
        )
    except TradeInvalid as exc:
        r.fail(ReasonCode.FIX_INVALID_VALUE, T.TradeVersion, exc.issues[0].message)
        return None


def read_streams(
    body: FieldSet, d: Dictionary, parties: dict[str, Party], issues: list[Issue]
) -> list[Stream | None]:
    """The NoStreams entries of ``body``; ``parties`` maps Side (1, 2) to the party on that side."""
    entries = body.group(T.NoStreams)
    if not entries:
        issues.append(
            Issue(
                ReasonCode.FIX_MISSING_FIELD,
                f"{body.path}.{d.label(T.NoStreams)}",
                "the swap needs its streams (or the FpML trade in SecurityXML)",
            )
        )
    return [_stream(e, d, parties, issues) for e in entries]


# --- the common case, read directly -------------------------------------------------------------------
#
# ``read_trade`` first tries ``_fast_trade``: the same rules as the ``Reader`` code above applied to a
# message with nothing wrong in it, with plain-int tags and no issue bookkeeping. It gives up (None) at the
# first thing it does not expect, and ``read_trade`` then reads the message again with the ``Reader`` code,
# which names every problem. ``tests/formats/fix/test_trade_fields.py`` holds both to the same result.

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
_ADJUSTMENT_TAGS = tuple(
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
_EXECUTING_FIRM = codes.ROLE_EXECUTING_FIRM
_NO_COMPOUNDING = codes.COMPOUNDING["0"]
_UNIT, _BDC, _DAY_COUNT, _PRODUCT, _COMPOUNDING = (
    codes.UNIT,
    codes.BDC,
    codes.DAY_COUNT,
    codes.PRODUCT,
    codes.COMPOUNDING,
)
_NO_ENTRIES: list[FieldSet] = []
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
_DAY_COUNT_TAG = int(T.PaymentStreamDayCount)
_RATE = int(T.PaymentStreamRate)
_RATE_INDEX = int(T.PaymentStreamRateIndex)
_INDEX_TENOR_PERIOD = int(T.PaymentStreamRateIndexCurvePeriod)
_INDEX_TENOR_UNIT = int(T.PaymentStreamRateIndexCurveUnit)
_SPREAD = int(T.PaymentStreamRateSpread)
_RESET_PERIOD = int(T.PaymentStreamResetFrequencyPeriod)
_RESET_UNIT = int(T.PaymentStreamResetFrequencyUnit)
_FIXING_PERIOD = int(T.PaymentStreamFixingDateOffsetPeriod)
_FIXING_UNIT = int(T.PaymentStreamFixingDateOffsetUnit)
_FIXING_DAY_TYPE = int(T.PaymentStreamFixingDateOffsetDayType)
_PAY_LAG_PERIOD = int(T.PaymentStreamPaymentDateOffsetPeriod)
_PAY_LAG_UNIT = int(T.PaymentStreamPaymentDateOffsetUnit)
_PAY_LAG_DAY_TYPE = int(T.PaymentStreamPaymentDateOffsetDayType)
_FIRST_REGULAR = int(T.StreamFirstRegularPeriodStartDateUnadjusted)
_LAST_REGULAR = int(T.StreamLastRegularPeriodEndDateUnadjusted)
_COMPOUNDING_TAG = int(T.PaymentStreamCompoundingMethod)
_ROLL = int(T.StreamCalculationRollConvention)
_INITIAL_EXCHANGE = int(T.PaymentStreamInitialPrincipalExchangeIndicator)
_INTERIM_EXCHANGE = int(T.PaymentStreamInterimPrincipalExchangeIndicator)
_FINAL_EXCHANGE = int(T.PaymentStreamFinalPrincipalExchangeIndicator)


class _Unexpected(Exception):
    """The fast reader met something it leaves to the Reader code (which explains it)."""


def _fast_period(f: dict[int, str], period_tag: int, unit_tag: int) -> Period | None:
    """``Reader.period`` without a problem: None only where neither field is there."""
    multiplier, unit = f.get(period_tag), f.get(unit_tag)
    if not multiplier:
        if unit and unit not in _UNIT:
            raise _Unexpected
        return None
    if not unit or unit not in _UNIT:
        raise _Unexpected
    return _period_of(int(multiplier), _UNIT[unit])  # ValueError, TradeInvalid: left to the Reader code


def _fast_offset(f: dict[int, str], period_tag: int, unit_tag: int, day_type_tag: int) -> int:
    days = f.get(period_tag)
    if not days:
        return 0
    if f.get(unit_tag) != "D" or f.get(day_type_tag) != "0":
        raise _Unexpected
    return int(days)


def _fast_day(f: dict[int, str], tag: int) -> date | None:
    value = f.get(tag)
    return _to_day(value) if value else None


def _fast_decimal(f: dict[int, str], tag: int) -> Decimal | None:
    value = f.get(tag)
    return _to_decimal(value) if value else None


def _fast_flag(f: dict[int, str], tag: int) -> bool:
    value = f.get(tag)
    if not value:
        return False
    if value == "Y":
        return True
    if value == "N":
        return False
    raise _Unexpected


def _fast_stream(entry: FieldSet, parties: dict[str, Party]) -> Stream:
    f = entry.fields
    groups = entry.groups
    if f.get(_STREAM_TYPE) != "0" or f.get(_PAYMENT_STREAM_TYPE) != "0":
        raise _Unexpected
    payer = parties[f[_PAY_SIDE]]  # KeyError: a missing side or one without its party
    receiver = parties[f[_RECEIVE_SIDE]]
    notional = _to_decimal(f[_NOTIONAL] or "?")
    currency = f[_CURRENCY]
    effective = _to_day(f[_EFFECTIVE] or "?")
    termination = _to_day(f[_TERMINATION] or "?")
    calc_freq = _fast_period(f, _CALC_FREQ_PERIOD, _CALC_FREQ_UNIT)
    pay_freq = _fast_period(f, _PAY_FREQ_PERIOD, _PAY_FREQ_UNIT)
    day_count = _DAY_COUNT[f[_DAY_COUNT_TAG]]
    fixed_rate = _fast_decimal(f, _RATE)
    index = f.get(_RATE_INDEX) or None
    tenor = _fast_period(f, _INDEX_TENOR_PERIOD, _INDEX_TENOR_UNIT)
    spread = _fast_decimal(f, _SPREAD)
    reset = _fast_period(f, _RESET_PERIOD, _RESET_UNIT)
    fixing = _fast_offset(f, _FIXING_PERIOD, _FIXING_UNIT, _FIXING_DAY_TYPE)
    pay_lag = _fast_offset(f, _PAY_LAG_PERIOD, _PAY_LAG_UNIT, _PAY_LAG_DAY_TYPE)
    first_regular = _fast_day(f, _FIRST_REGULAR)
    last_regular = _fast_day(f, _LAST_REGULAR)
    compounding_code = f.get(_COMPOUNDING_TAG)
    compounding = _COMPOUNDING[compounding_code] if compounding_code else None
    if not currency or calc_freq is None or pay_freq is None or (fixed_rate is None) == (index is None):
        raise _Unexpected
    if index is not None and tenor is None:
        raise _Unexpected
    if fixed_rate is not None and (spread is not None or reset is not None):
        raise _Unexpected
    adjustments: list[DateAdjustment] = []
    for bdc_tag, count_tag, centre_tag in _ADJUSTMENT_TAGS:
        code = f.get(bdc_tag)
        centres = tuple(e.fields.get(centre_tag) or "" for e in groups.get(count_tag, _NO_ENTRIES))
        if not code:
            if centres:
                raise _Unexpected
            adjustments.append(NO_ADJUSTMENT)
        else:
            adjustments.append(_adjustment_of(_BDC[code], centres))
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
        roll_convention=f.get(_ROLL) or None,
        effective_date_adjustment=adjustments[0],
        termination_date_adjustment=adjustments[1],
        calculation_adjustment=adjustments[2],
        payment_adjustment=adjustments[3],
        payment_offset_days=pay_lag,
        first_regular_period_start=first_regular,
        last_regular_period_end=last_regular,
        compounding_method=compounding or _NO_COMPOUNDING,
        principal_exchanges=PrincipalExchanges(
            initial=_fast_flag(f, _INITIAL_EXCHANGE),
            intermediate=_fast_flag(f, _INTERIM_EXCHANGE),
            final=_fast_flag(f, _FINAL_EXCHANGE),
        ),
    )


def _fast_trade(body: FieldSet) -> Trade | None:
    """The trade in ``body`` if nothing in it is wrong or unusual; None leaves it to the Reader code."""
    try:
        fields, groups = body.fields, body.groups
        sides = groups.get(_NO_SIDES, _NO_ENTRIES)
        if len(sides) != 2:
            return None
        parties: dict[str, Party] = {}
        party_trade_ids: list[PartyTradeId] = []
        for entry in sides:
            f = entry.fields
            side = f.get(_SIDE)
            if side not in _SIDES or side in parties:
                return None
            firms = entry.groups.get(_NO_PARTY_IDS, _NO_ENTRIES)
            if len(firms) != 1 or firms[0].fields.get(_PARTY_ROLE) != _EXECUTING_FIRM:
                return None
            firm = firms[0].fields
            party_id, source = firm.get(_PARTY_ID), firm.get(_PARTY_ID_SOURCE)
            if not party_id or not source or not party_id.strip():
                return None
            names = [
                s.fields.get(_PARTY_SUB_ID)
                for s in firms[0].groups.get(_NO_PARTY_SUB_IDS, _NO_ENTRIES)
                if s.fields.get(_PARTY_SUB_ID_TYPE) == "5"
            ]
            parties[side] = Party(
                party_id=party_id,
                scheme=codes.LEI_SCHEME if source == "N" else None,
                name=names[0] if names else None,
                account=f.get(_ACCOUNT) or None,
            )
        for entry in sides:  # in message order, as read_identifiers lists them
            f = entry.fields
            side_trade_id = f.get(_SIDE_TRADE_ID)
            if side_trade_id:
                party_trade_ids.append(PartyTradeId(parties[f[_SIDE]].party_id, side_trade_id))
        trade_id = fields.get(_TRADE_ID)
        version_text = fields.get(_TRADE_VERSION)
        version = int(version_text) if version_text else None
        uti = None
        for entry in groups.get(_NO_REGULATORY_TRADE_IDS, _NO_ENTRIES):
            if entry.fields.get(_REGULATORY_TRADE_ID_TYPE) == codes.REGULATORY_ID_CURRENT:
                uti = entry.fields.get(_REGULATORY_TRADE_ID) or None  # empty: none, as the checked reader
        trade_date = fields.get(_TRADE_DATE)
        product = fields.get(_SECURITY_SUB_TYPE)
        entries = groups.get(_NO_STREAMS)
        if not trade_id or not trade_date or not product or not entries:
            return None
        return Trade(
            identifiers=TradeIdentifiers(
                source_trade_id=trade_id,
                source_version=version or 1,
                uti=uti,
                party_trade_ids=tuple(party_trade_ids),
            ),
            trade_date=_to_day(trade_date),
            product=_PRODUCT[product],
            parties=(parties["1"], parties["2"]),
            streams=tuple([_fast_stream(e, parties) for e in entries]),
        )
    except (_Unexpected, KeyError, ValueError, InvalidOperation, TradeInvalid):
        return None


def read_trade(body: FieldSet, d: Dictionary) -> Trade:
    """The canonical trade in a TradeCaptureReport's stream fields; every problem is reported at once."""
    trade = _fast_trade(body)
    if trade is not None:
        return trade
    return read_trade_checked(body, d)


def read_trade_checked(body: FieldSet, d: Dictionary) -> Trade:
    """``read_trade`` by the Reader code alone: every field checked, every problem collected."""
    issues: list[Issue] = []
    r = Reader(body, d, issues)
    parties = read_parties(body, d, issues)
    identifiers = read_identifiers(body, d, issues, parties)
    trade_date = r.day(T.TradeDate, required=True)
    product = r.coded(T.SecuritySubType, codes.PRODUCT, required=True)
    entries = body.group(T.NoStreams)
    if not entries:
        r.fail(
            ReasonCode.FIX_MISSING_FIELD,
            T.NoStreams,
            "the swap needs its streams (or the FpML in SecurityXML)",
        )
    streams = [_stream(e, d, parties, issues) for e in entries]
    if issues:
        raise _reject(issues)
    if identifiers is None or trade_date is None or product is None:
        raise _reject([Issue(ReasonCode.INTERNAL_ERROR, body.path, "incomplete trade without an issue")])
    try:
        return Trade(
            identifiers=identifiers,
            trade_date=trade_date,
            product=product,
            parties=(parties["1"], parties["2"]),
            streams=tuple(s for s in streams if s is not None),
        )
    except TradeInvalid as exc:
        raise _reject([Issue(i.code, f"{body.path}: {i.path}", i.message) for i in exc.issues]) from None


# --- writing ----------------------------------------------------------------------------------------------


def _d(value: date) -> str:
    return value.strftime("%Y%m%d")


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _period(items: list[Item], period_tag: int, unit_tag: int, p: Period | None) -> None:
    if p is not None:
        items += [(period_tag, str(p.multiplier)), (unit_tag, codes.UNIT_CODE[p.unit])]


def _adjust(items: list[Item], bdc_tag: int, count_tag: int, centre_tag: int, adj: DateAdjustment) -> None:
    if adj == NO_ADJUSTMENT:
        return
    items.append((bdc_tag, codes.BDC_CODE[adj.convention]))
    if adj.business_centers:
        items.append((count_tag, [[(centre_tag, c)] for c in adj.business_centers]))


def _steps(name: str, steps: tuple[Step, ...]) -> str:
    return f"{name} " + ";".join(f"{_d(s.date)}={_num(s.value)}" for s in steps)


def stream_items(s: Stream, side_of: dict[str, str]) -> list[Item]:
    """One NoStreams entry for ``s``; ``side_of`` maps a party id to its Side (1 or 2)."""
    items: list[Item] = [
        (T.StreamType, "0"),
        (T.StreamPaySide, side_of[s.payer]),
        (T.StreamReceiveSide, side_of[s.receiver]),
        (T.StreamNotional, _num(s.notional)),
        (T.StreamCurrency, s.currency),
        (T.StreamEffectiveDateUnadjusted, _d(s.effective_date)),
    ]
    _adjust(
        items,
        T.StreamEffectiveDateBusinessDayConvention,
        T.NoStreamEffectiveDateBusinessCenters,
        T.StreamEffectiveDateBusinessCenter,
        s.effective_date_adjustment,
    )
    items.append((T.StreamTerminationDateUnadjusted, _d(s.termination_date)))
    _adjust(
        items,
        T.StreamTerminationDateBusinessDayConvention,
        T.NoStreamTerminationDateBusinessCenters,
        T.StreamTerminationDateBusinessCenter,
        s.termination_date_adjustment,
    )
    _adjust(
        items,
        T.StreamCalculationPeriodBusinessDayConvention,
        T.NoStreamCalculationPeriodBusinessCenters,
        T.StreamCalculationPeriodBusinessCenter,
        s.calculation_adjustment,
    )
    if s.first_regular_period_start is not None:
        items.append((T.StreamFirstRegularPeriodStartDateUnadjusted, _d(s.first_regular_period_start)))
    if s.last_regular_period_end is not None:
        items.append((T.StreamLastRegularPeriodEndDateUnadjusted, _d(s.last_regular_period_end)))
    _period(
        items, T.StreamCalculationFrequencyPeriod, T.StreamCalculationFrequencyUnit, s.calculation_frequency
    )
    if s.roll_convention is not None:
        items.append((T.StreamCalculationRollConvention, s.roll_convention))
    items += [(T.PaymentStreamType, "0"), (T.PaymentStreamDayCount, codes.DAY_COUNT_CODE[s.day_count])]
    if s.compounding_method is not codes.COMPOUNDING["0"]:
        items.append((T.PaymentStreamCompoundingMethod, codes.COMPOUNDING_CODE[s.compounding_method]))
    pe = s.principal_exchanges
    for tag, on in (
        (T.PaymentStreamInitialPrincipalExchangeIndicator, pe.initial),
        (T.PaymentStreamInterimPrincipalExchangeIndicator, pe.intermediate),
        (T.PaymentStreamFinalPrincipalExchangeIndicator, pe.final),
    ):
        if on:
            items.append((tag, "Y"))
    _adjust(
        items,
        T.PaymentStreamPaymentDateBusinessDayConvention,
        T.NoPaymentStreamPaymentDateBusinessCenters,
        T.PaymentStreamPaymentDateBusinessCenter,
        s.payment_adjustment,
    )
    _period(
        items, T.PaymentStreamPaymentFrequencyPeriod, T.PaymentStreamPaymentFrequencyUnit, s.payment_frequency
    )
    if s.payment_offset_days:
        items += [
            (T.PaymentStreamPaymentDateOffsetPeriod, str(s.payment_offset_days)),
            (T.PaymentStreamPaymentDateOffsetUnit, "D"),
            (T.PaymentStreamPaymentDateOffsetDayType, "0"),
        ]
    _period(items, T.PaymentStreamResetFrequencyPeriod, T.PaymentStreamResetFrequencyUnit, s.reset_frequency)
    if s.floating_index is not None:
        items += [
            (T.PaymentStreamFixingDateOffsetPeriod, str(s.fixing_offset_days)),
            (T.PaymentStreamFixingDateOffsetUnit, "D"),
            (T.PaymentStreamFixingDateOffsetDayType, "0"),
        ]
    if s.fixed_rate is not None:
        items.append((T.PaymentStreamRate, _num(s.fixed_rate)))
    if s.floating_index is not None:
        items.append((T.PaymentStreamRateIndex, s.floating_index))
        _period(items, T.PaymentStreamRateIndexCurvePeriod, T.PaymentStreamRateIndexCurveUnit, s.index_tenor)
        if s.spread:
            items.append((T.PaymentStreamRateSpread, _num(s.spread)))
    notes = [
        _steps(n, st)
        for n, st in (("notionalSteps", s.notional_steps), ("fixedRateSteps", s.fixed_rate_steps))
        if st
    ]
    if notes:
        items.append((T.StreamText, " | ".join(notes)))
    return items


def instrument_items(trade: Trade) -> list[Item]:
    """The Instrument component for ``trade``: product codes and its streams."""
    side_of = {trade.parties[0].party_id: "1", trade.parties[1].party_id: "2"}
    items: list[Item] = [(T.SecurityType, "IRS")]
    if trade.product in codes.PRODUCT_CODE:
        items.append((T.SecuritySubType, codes.PRODUCT_CODE[trade.product]))
    items.append((T.NoStreams, [stream_items(s, side_of) for s in trade.streams]))
    return items


def side_items(trade: Trade) -> list[Item]:
    """The NoSides group: side 1 is the trade's first party, side 2 its second."""
    entries: list[list[Item]] = []
    for side, party in zip(codes.SIDES, trade.parties, strict=True):
        party_entry: list[Item] = [
            (T.PartyID, party.party_id),
            (T.PartyIDSource, "N" if party.scheme == codes.LEI_SCHEME else "D"),
            (T.PartyRole, codes.ROLE_EXECUTING_FIRM),
        ]
        if party.name:
            party_entry.append(
                (T.NoPartySubIDs, [[(T.PartySubID, party.name), (T.PartySubIDType, codes.SUB_ID_FULL_NAME)]])
            )
        entry: list[Item] = [(T.Side, side)]
        own_ids = [p.trade_id for p in trade.identifiers.party_trade_ids if p.party_id == party.party_id]
        if own_ids:
            entry.append((T.SideTradeID, own_ids[0]))
        entry.append((T.NoPartyIDs, [party_entry]))
        if party.account:
            entry.append((T.Account, party.account))
        entries.append(entry)
    return [(T.NoSides, entries)]


def trade_items(trade: Trade) -> list[Item]:
    """Identifiers, instrument, trade date and sides of ``trade`` as TradeCaptureReport body items."""
    ids = trade.identifiers
    items: list[Item] = [(T.TradeID, ids.source_trade_id)]
    if ids.uti:
        items.append(
            (
                T.NoRegulatoryTradeIDs,
                [[(T.RegulatoryTradeID, ids.uti), (T.RegulatoryTradeIDType, codes.REGULATORY_ID_CURRENT)]],
            )
        )
    items += instrument_items(trade)
    items.append((T.TradeDate, _d(trade.trade_date)))
    items += side_items(trade)
    if ids.source_version != 1:
        items.append((T.TradeVersion, str(ids.source_version)))
    return items


def is_stream_expressible(trade: Trade) -> bool:
    """Whether ``read_trade(trade_items(trade))`` gives ``trade`` back (no steps, no FRA, no ISMA)."""
    return trade.product is not ProductClass.FRA and all(
        not s.notional_steps and not s.fixed_rate_steps and s.day_count in codes.DAY_COUNT_CODE
        for s in trade.streams
    )
