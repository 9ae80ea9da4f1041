"""The canonical trade: what the CCP needs to clear an interest-rate swap, whatever the intake format.

Values are unresolved (unadjusted dates, conventions named); ``gateway.risk`` resolves them into
cash flows. Every invariant is checked in ``__post_init__`` so an invalid trade cannot exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from gateway.domain.enums import CompoundingMethod, DayCount, PeriodUnit, ProductClass
from gateway.domain.errors import Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period, Step

# A swap may start before it is traded (backloads, amendments), but not decades before.
_MAX_BACKDATE = timedelta(days=366 * 30)


def _fail(code: ReasonCode, path: str, message: str) -> TradeInvalid:
    return TradeInvalid([Issue(code, path, message)])


# Characters XML 1.0 cannot carry: an identifier holding one could never be written into a status.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def uncarried(value: str | None) -> str | None:
    """Why ``value`` could not be repeated in an FpML status (a character XML cannot carry), or None."""
    if value is None or (bad := _NOT_XML.search(value)) is None:
        return None
    return f"character U+{ord(bad.group()):04X} cannot be carried in an FpML message"


def _carried(path: str, *values: str | None) -> None:
    """Refuse text that no FpML status could repeat (the intakes differ in what they let through)."""
    for value in values:
        if (why := uncarried(value)) is not None:
            raise _fail(ReasonCode.FPML_INVALID_VALUE, path, why)


@dataclass(frozen=True, slots=True)
class Party:
    """A counterparty, identified by ``party_id`` (an LEI where there is one) in its scheme."""

    party_id: str
    scheme: str | None = None
    name: str | None = None
    account: str | None = None  # the clearing account (house or client) at the CCP

    def __post_init__(self) -> None:
        if not self.party_id.strip():
            raise _fail(ReasonCode.FPML_MISSING_FIELD, "party.partyId", "party id is empty")
        _carried("party", self.party_id, self.scheme, self.name, self.account)


@dataclass(frozen=True, slots=True)
class PartyTradeId:
    party_id: str
    trade_id: str
    scheme: str | None = None

    def __post_init__(self) -> None:
        _carried("partyTradeIdentifier", self.party_id, self.trade_id, self.scheme)


@dataclass(frozen=True, slots=True)
class TradeIdentifiers:
    """Every identifier a trade carries: the source's, the regulators', each party's."""

    source_trade_id: str
    source_version: int = 1
    uti: str | None = None
    usi: str | None = None
    party_trade_ids: tuple[PartyTradeId, ...] = ()

    def __post_init__(self) -> None:
        if not self.source_trade_id.strip():
            raise _fail(ReasonCode.FPML_MISSING_FIELD, "tradeHeader.tradeId", "source trade id is empty")
        if self.source_version < 1:
            raise _fail(ReasonCode.FPML_INVALID_VALUE, "tradeHeader.version", "version must be >= 1")
        _carried("tradeHeader", self.source_trade_id, self.uti, self.usi)


@dataclass(frozen=True, slots=True)
class PackageRef:
    """The package a trade was executed in (FpML ``originatingPackage``, FIX PackageID): a package clears
    whole or not at all. ``package_id`` None: a ``tradePackage`` without a ``packageIdentifier``."""

    package_id: str | None
    size: int  # how many trades the package has
    sequence: int | None = None  # this trade's place in it, 1-based, when the sender gave it
    issuer: str | None = None  # who issued the package id (FpML packageIdentifier/issuer)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise _fail(
                ReasonCode.FPML_INVALID_VALUE, "originatingPackage.size", "a package has 1 or more trades"
            )
        if self.sequence is not None and not 1 <= self.sequence <= self.size:
            raise _fail(
                ReasonCode.FPML_INVALID_VALUE,
                "originatingPackage.sequenceNumber",
                f"sequence {self.sequence} is not within 1..{self.size}",
            )
        if self.package_id is not None and not self.package_id.strip():
            raise _fail(
                ReasonCode.FPML_MISSING_FIELD, "originatingPackage.packageIdentifier", "empty package id"
            )
        if (self.package_id is None) != (self.issuer is None):
            raise _fail(
                ReasonCode.FPML_MISSING_FIELD,
                "originatingPackage.packageIdentifier",
                "a package id and its issuer go together",
            )
        _carried("originatingPackage", self.package_id, self.issuer)


@dataclass(frozen=True, slots=True)
class PrincipalExchanges:
    initial: bool = False
    intermediate: bool = False
    final: bool = False


@dataclass(frozen=True, slots=True)
class Stream:
    """One leg: who pays whom, on what notional, which rate, on which schedule."""

    payer: str  # Party.party_id
    receiver: str  # Party.party_id
    notional: Decimal
    currency: str
    day_count: DayCount
    effective_date: date
    termination_date: date
    calculation_frequency: Period
    payment_frequency: Period
    notional_steps: tuple[Step, ...] = ()
    fixed_rate: Decimal | None = None
    fixed_rate_steps: tuple[Step, ...] = ()
    floating_index: str | None = None
    index_tenor: Period | None = None
    spread: Decimal = Decimal(0)
    reset_frequency: Period | None = None
    fixing_offset_days: int = 0  # business days relative to the reset date, e.g. -2
    roll_convention: str | None = None
    effective_date_adjustment: DateAdjustment = NO_ADJUSTMENT
    termination_date_adjustment: DateAdjustment = NO_ADJUSTMENT
    calculation_adjustment: DateAdjustment = NO_ADJUSTMENT
    payment_adjustment: DateAdjustment = NO_ADJUSTMENT
    payment_offset_days: int = 0  # payment lag in business days after the period end
    first_regular_period_start: date | None = None
    last_regular_period_end: date | None = None
    compounding_method: CompoundingMethod = CompoundingMethod.NONE
    principal_exchanges: PrincipalExchanges = field(default_factory=PrincipalExchanges)

    def __post_init__(self) -> None:
        if self.payer == self.receiver:
            raise _fail(
                ReasonCode.FPML_PARTIES_NOT_DISTINCT, "stream.payer", "payer and receiver are the same party"
            )
        if self.notional <= 0:
            raise _fail(
                ReasonCode.FPML_NOTIONAL_NOT_POSITIVE,
                "stream.notional",
                f"notional {self.notional} is not positive",
            )
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise _fail(
                ReasonCode.FPML_INVALID_VALUE, "stream.currency", f"not an ISO 4217 code: {self.currency!r}"
            )
        if self.effective_date >= self.termination_date:
            raise _fail(
                ReasonCode.FPML_DATE_ORDER,
                "stream.terminationDate",
                f"termination {self.termination_date} is not after effective {self.effective_date}",
            )
        if (self.fixed_rate is None) == (self.floating_index is None):
            raise _fail(
                ReasonCode.FPML_MISSING_FIELD,
                "stream.rate",
                "a stream has either a fixed rate or a floating index, not both or neither",
            )
        if self.floating_index is not None and self.index_tenor is None:
            raise _fail(
                ReasonCode.FPML_MISSING_FIELD, "stream.indexTenor", "a floating stream needs an index tenor"
            )
        if self.fixed_rate is not None and self.fixed_rate_steps and self.floating_index is not None:
            raise _fail(
                ReasonCode.FPML_INVALID_VALUE, "stream.fixedRateSchedule", "steps on a floating stream"
            )
        for name, steps in (
            ("notionalSteps", self.notional_steps),
            ("fixedRateSteps", self.fixed_rate_steps),
        ):
            previous: date | None = None
            for step in steps:
                if not self.effective_date < step.date <= self.termination_date:
                    raise _fail(
                        ReasonCode.FPML_DATE_ORDER,
                        f"stream.{name}",
                        f"step date {step.date} outside the stream",
                    )
                if previous is not None and step.date <= previous:
                    raise _fail(ReasonCode.FPML_DATE_ORDER, f"stream.{name}", "step dates must increase")
                previous = step.date
        for step in self.notional_steps:
            if step.value <= 0:
                raise _fail(
                    ReasonCode.FPML_NOTIONAL_NOT_POSITIVE,
                    "stream.notionalSteps",
                    f"step notional {step.value}",
                )
        for name, stub_date in (
            ("firstRegularPeriodStartDate", self.first_regular_period_start),
            ("lastRegularPeriodEndDate", self.last_regular_period_end),
        ):
            if stub_date is not None and not self.effective_date < stub_date < self.termination_date:
                raise _fail(ReasonCode.FPML_DATE_ORDER, f"stream.{name}", f"{stub_date} outside the stream")
        if (
            self.first_regular_period_start
            and self.last_regular_period_end
            and self.first_regular_period_start > self.last_regular_period_end
        ):
            raise _fail(ReasonCode.FPML_DATE_ORDER, "stream.lastRegularPeriodEndDate", "stubs overlap")
        for name, p in (
            ("calculationPeriodFrequency", self.calculation_frequency),
            ("paymentFrequency", self.payment_frequency),
        ):
            if p.multiplier <= 0:
                raise _fail(ReasonCode.FPML_INVALID_VALUE, f"stream.{name}", f"frequency {p} is not positive")

    @property
    def is_fixed(self) -> bool:
        return self.fixed_rate is not None

    @property
    def is_overnight_compounded(self) -> bool:
        return self.floating_index is not None and "OIS" in self.floating_index.upper()

    @property
    def is_single_period(self) -> bool:
        return self.payment_frequency.unit is PeriodUnit.TERM


@dataclass(frozen=True, slots=True)
class Trade:
    """A bilateral (or, once novated, CCP-facing) interest-rate trade."""

    identifiers: TradeIdentifiers
    trade_date: date
    product: ProductClass
    parties: tuple[Party, Party]
    streams: tuple[Stream, ...]
    execution_venue: str | None = None
    sub_block: bool = False
    package: PackageRef | None = None  # the package it was executed in, if any

    def __post_init__(self) -> None:
        if len(self.parties) != 2:
            raise _fail(ReasonCode.FPML_PARTIES_NOT_DISTINCT, "parties", "a trade has exactly two parties")
        a, b = self.parties
        if a.party_id == b.party_id:
            raise _fail(ReasonCode.FPML_PARTIES_NOT_DISTINCT, "parties", f"both parties are {a.party_id}")
        if not self.streams:
            raise _fail(ReasonCode.FPML_MISSING_FIELD, "streams", "a trade needs at least one stream")
        ids = {a.party_id, b.party_id}
        for i, s in enumerate(self.streams):
            if s.payer not in ids or s.receiver not in ids:
                raise _fail(
                    ReasonCode.FPML_HREF_UNRESOLVED,
                    f"streams[{i}]",
                    "payer or receiver is not a party of the trade",
                )
            if s.effective_date < self.trade_date - _MAX_BACKDATE:
                raise _fail(
                    ReasonCode.FPML_DATE_ORDER,
                    f"streams[{i}].effectiveDate",
                    "effective date long before trade date",
                )
        currencies = {s.currency for s in self.streams}
        if self.product is ProductClass.XCCY and len(currencies) < 2:
            raise _fail(ReasonCode.FPML_INVALID_VALUE, "product", "a cross-currency swap has two currencies")
        if self.product is not ProductClass.XCCY and len(currencies) > 1:
            raise _fail(
                ReasonCode.FPML_INVALID_VALUE, "product", f"{self.product} streams must share one currency"
            )

    def party(self, party_id: str) -> Party:
        for p in self.parties:
            if p.party_id == party_id:
                return p
        raise KeyError(party_id)

    @property
    def currency(self) -> str:
        return self.streams[0].currency

    @property
    def effective_date(self) -> date:
        return min(s.effective_date for s in self.streams)

    @property
    def maturity_date(self) -> date:
        return max(s.termination_date for s in self.streams)

    @property
    def notional(self) -> Decimal:
        return self.streams[0].notional
