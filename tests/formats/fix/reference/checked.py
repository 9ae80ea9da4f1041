"""The reference reading of a swap in FIX stream fields, kept in the tests to guard the product's one.

This is the reading the gateway used before ``gateway/formats/fix/trade_read.py`` replaced it: a
``Reader`` that converts and checks every field through one general path (``text`` -> ``_convert``), the
simplest way to state the rules. The product reader must give the same ``Trade`` or the same issues (code,
path and message) for every message; ``tests/formats/fix/test_trade_read_reference.py`` holds it to that.
It shares nothing with the product reader but the dictionary, the tag numbers and the code tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from gateway.domain.enums import BusinessDayConvention, PeriodUnit
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
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet

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


def _to_day(v: str) -> date:
    if len(v) != 8 or not v.isdigit():
        raise ValueError(v)
    return date(int(v[:4]), int(v[4:6]), int(v[6:]))


def _to_decimal(v: str) -> Decimal:
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(v)
    return d


def _period_of(multiplier: int, unit: PeriodUnit) -> Period:
    return Period(multiplier, unit)


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


def read_trade(body: FieldSet, d: Dictionary) -> Trade:
    """The canonical trade in a TradeCaptureReport's stream fields, or every problem found in them."""
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
