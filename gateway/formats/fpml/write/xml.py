"""What the FpML writer checks and how it spells values: the write error, XML-safe text, lexical forms."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode

_MAX_SCHEME_VALUE = 255  # FpML Scheme / NonEmptyScheme: normalizedString, maxLength 255


class FpmlWriteError(GatewayError):
    """Something in the canonical input cannot be said in FpML (a control character, an unmappable shape)."""


def write_error(code: ReasonCode, path: str, message: str) -> FpmlWriteError:
    return FpmlWriteError([Issue(code, path, message)])


_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry."""


def prose(value: str) -> str:
    """Free text (a reason's description or location): characters XML cannot carry become visible escapes.

    A reason often quotes the bad input it is about; the refusal must still be sent, so nothing is refused here.
    """
    return _UNWRITABLE.sub(lambda m: _escape(m.group()), value)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_text(value: str, path: str, *, coded: bool = False) -> str:
    """``value`` if XML 1.0 can carry it (and, for ``coded`` scheme values, within 255 characters).

    Identifiers are never altered: one that cannot be written is an error naming its path. Coded values
    that passed are remembered (a bounded set), so party ids, centres and schemes are checked once.
    """
    if coded and value in _CODED_OK:
        return value
    bad = _UNWRITABLE.search(value)
    if bad is not None:
        raise write_error(
            ReasonCode.FPML_INVALID_VALUE,
            path,
            f"U+{ord(bad.group()):04X} cannot be written in an XML document",
        )
    if coded:
        if not value.strip():
            raise write_error(ReasonCode.FPML_MISSING_FIELD, path, "empty value")
        if len(value) > _MAX_SCHEME_VALUE:
            raise write_error(
                ReasonCode.FPML_INVALID_VALUE,
                path,
                f"{len(value)} characters, FpML allows {_MAX_SCHEME_VALUE}",
            )
        if len(_CODED_OK) >= _CODED_OK_MAX:
            _CODED_OK.clear()
        _CODED_OK.add(value)
    return value


_CODED_OK: set[str] = set()
_CODED_OK_MAX = 4096


def decimal_text(value: Decimal) -> str:
    """Plain decimal notation, never an exponent (xsd:decimal has none): ``1E+7`` -> ``10000000``."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def date_text(value: date) -> str:
    return value.isoformat()


def timestamp_text(value: datetime, path: str) -> str:
    """xsd:dateTime with its offset, UTC written as ``Z``; a naive time is refused (it would be ambiguous)."""
    offset = value.utcoffset()
    if offset is None:
        raise write_error(ReasonCode.FPML_INVALID_VALUE, path, "timestamp has no time zone")
    text = value.isoformat()
    if offset == timedelta(0):
        text = text.removesuffix("+00:00") + "Z"
    return text
