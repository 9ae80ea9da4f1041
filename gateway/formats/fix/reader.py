"""Typed reads of one FIX ``FieldSet`` that collect every problem instead of stopping at the first.

A read of a good value costs a ``dict.get`` and a cached conversion; the FIX name of a field, the path
of its group entry and the message are only worked out when the value is wrong. A value is searched for
characters no FpML status could carry only when a cheap test cannot rule them out: text that is all
printable cannot hold one, and a number that converts holds none but at its ends (whitespace).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar

from gateway.domain.enums import BusinessDayConvention, PeriodUnit
from gateway.domain.errors import Issue, TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import uncarried
from gateway.domain.values import NO_ADJUSTMENT, DateAdjustment, Period
from gateway.formats.fix import codes
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.wire import FieldSet

V = TypeVar("V")

FLAGS = {"Y": True, "N": False}
_UNIT = codes.UNIT
_BDC = codes.BDC
_MISSING = ReasonCode.FIX_MISSING_FIELD
_INVALID = ReasonCode.FIX_INVALID_VALUE
_NO_ENTRIES: list[FieldSet] = []


# Values repeat from message to message (dates, conventions, tenors) and are immutable: parse each once.
@lru_cache(maxsize=4096)
def to_day(v: str) -> date:
    if len(v) != 8 or not v.isdigit():
        raise ValueError(v)
    return date(int(v[:4]), int(v[4:6]), int(v[6:]))


@lru_cache(maxsize=4096)
def to_decimal(v: str) -> Decimal:
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(v)
    return d


@lru_cache(maxsize=256)
def period_of(multiplier: int, unit: PeriodUnit) -> Period:
    return Period(multiplier, unit)


@lru_cache(maxsize=256)
def adjustment_of(convention: BusinessDayConvention, centres: tuple[str, ...]) -> DateAdjustment:
    return DateAdjustment(convention, centres)


def path_of(fs: FieldSet, d: Dictionary, tag: int) -> str:
    """``TradeCaptureReport.NoStreams[2].StreamNotional(40054)``: where ``tag`` of ``fs`` is."""
    return f"{fs.path}.{d.label(tag)}"


def text_of(fs: FieldSet, d: Dictionary, issues: list[Issue], tag: int, required: bool = False) -> str | None:
    """One text field of an entry read once: ``Reader(fs, ...).text(tag, required)`` without the reader."""
    value = fs.fields.get(tag)
    if not value:
        if required:
            issues.append(Issue(_MISSING, path_of(fs, d, tag), "is required"))
        return None
    if not value.isprintable() and (why := uncarried(value)) is not None:
        issues.append(Issue(_INVALID, path_of(fs, d, tag), why))
        return None
    return value


class Reader:
    """Typed access to one ``FieldSet``; every problem becomes an ``Issue`` naming the field and the rule."""

    __slots__ = ("d", "f", "fs", "issues")

    def __init__(self, fs: FieldSet, dictionary: Dictionary, issues: list[Issue]) -> None:
        self.fs = fs
        self.f = fs.fields
        self.d = dictionary
        self.issues = issues

    def where(self, tag: int) -> str:
        return path_of(self.fs, self.d, tag)

    def fail(self, code: ReasonCode, tag: int, message: str) -> None:
        self.issues.append(Issue(code, path_of(self.fs, self.d, tag), message))

    def text(self, tag: int, required: bool = False) -> str | None:
        value = self.f.get(tag)
        if not value:
            if required:
                self.fail(_MISSING, tag, "is required")
            return None
        if not value.isprintable() and (why := uncarried(value)) is not None:
            self.fail(_INVALID, tag, why)  # its statuses could never be published
            return None
        return value

    def _named(self, tag: int, kind: str, conv: Callable[[str], V]) -> V | None:
        """The read of a value that is there but not carried or not convertible: each named."""
        value = self.text(tag)
        if value is None:
            return None
        try:
            return conv(value)
        except (ValueError, InvalidOperation, KeyError):
            self.fail(_INVALID, tag, f"{value!r} is not {kind}")
            return None

    def decimal(self, tag: int, required: bool = False) -> Decimal | None:
        value = self.f.get(tag)
        if not value:
            if required:
                self.fail(_MISSING, tag, "is required")
            return None
        if value == value.strip():  # a number that converts holds no character FpML cannot carry
            try:
                return to_decimal(value)
            except (ValueError, InvalidOperation):
                pass
        return self._named(tag, "a decimal number", to_decimal)

    def integer(self, tag: int, required: bool = False) -> int | None:
        value = self.f.get(tag)
        if not value:
            if required:
                self.fail(_MISSING, tag, "is required")
            return None
        if value == value.strip():  # as for decimal
            try:
                return int(value)
            except ValueError:
                pass
        return self._named(tag, "an integer", int)

    def day(self, tag: int, required: bool = False) -> date | None:
        value = self.f.get(tag)
        if not value:
            if required:
                self.fail(_MISSING, tag, "is required")
            return None
        try:
            return to_day(value)  # eight digits or refused: nothing else to search for
        except ValueError:
            return self._named(tag, "a date YYYYMMDD", to_day)

    def coded(self, tag: int, table: dict[str, V], required: bool = False) -> V | None:
        value = self.f.get(tag)
        if value in table:  # a code of the table: nothing more to check
            return table[value]
        if not value:
            if required:
                self.fail(_MISSING, tag, "is required")
            return None
        if self.text(tag) is not None:
            self.fail(_INVALID, tag, f"{value!r} is not one of {', '.join(table)}")
        return None

    def flag(self, tag: int) -> bool:
        return self.coded(tag, FLAGS) or False

    def period(self, period_tag: int, unit_tag: int, required: bool = False) -> Period | None:
        multiplier, unit = self.f.get(period_tag), self.f.get(unit_tag)
        if unit in _UNIT and multiplier and multiplier == multiplier.strip():
            try:
                return period_of(int(multiplier), _UNIT[unit])
            except (ValueError, TradeInvalid):
                pass  # named below
        elif not multiplier and not unit and not required:
            return None
        return self._named_period(period_tag, unit_tag, required)

    def _named_period(self, period_tag: int, unit_tag: int, required: bool) -> Period | None:
        n = self.integer(period_tag, required)
        unit = self.coded(unit_tag, _UNIT, required or n is not None)
        if n is None or unit is None:
            return None
        try:
            return period_of(n, unit)
        except TradeInvalid as exc:
            self.fail(_INVALID, unit_tag, exc.issues[0].message)
            return None

    def centres(self, count_tag: int, centre_tag: int) -> tuple[str, ...]:
        entries = self.fs.groups.get(count_tag, _NO_ENTRIES)
        return tuple([e.fields.get(centre_tag) or "" for e in entries]) if entries else ()

    def adjustment(self, bdc_tag: int, count_tag: int, centre_tag: int) -> DateAdjustment:
        code = self.f.get(bdc_tag)
        if code in _BDC:
            entries = self.fs.groups.get(count_tag)
            centres = tuple([e.fields.get(centre_tag) or "" for e in entries]) if entries else ()
            try:
                return adjustment_of(_BDC[code], centres)
            except TradeInvalid:
                pass  # named below
        elif not code and not self.fs.groups.get(count_tag):
            return NO_ADJUSTMENT
        return self._named_adjustment(bdc_tag, count_tag, centre_tag)

    def _named_adjustment(self, bdc_tag: int, count_tag: int, centre_tag: int) -> DateAdjustment:
        convention = self.coded(bdc_tag, _BDC)
        centres = self.centres(count_tag, centre_tag)
        if convention is None:
            if centres:
                self.fail(_MISSING, bdc_tag, "business centres given without a convention")
            return NO_ADJUSTMENT
        try:
            return adjustment_of(convention, centres)
        except TradeInvalid as exc:
            self.fail(_MISSING, count_tag, exc.issues[0].message)
            return NO_ADJUSTMENT
