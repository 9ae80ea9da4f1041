"""Small lxml helpers shared by the FpML writers: elements in the FpML namespace, lexical forms, bytes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from lxml import etree

from gateway.domain.errors import GatewayError, Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.write.schemes import FPML_NS, FPML_VERSION

Element = etree._Element

_MAX_SCHEME_VALUE = 255  # FpML Scheme / NonEmptyScheme: normalizedString, maxLength 255


class FpmlWriteError(GatewayError):
    """Something in the canonical input cannot be said in FpML (a control character, an unmappable shape)."""


def write_error(code: ReasonCode, path: str, message: str) -> FpmlWriteError:
    return FpmlWriteError([Issue(code, path, message)])


def root(tag: str) -> Element:
    """A message or document root with the FpML 5.10 confirmation namespace as the default one."""
    nsmap: dict[str | None, str] = {
        None: FPML_NS
    }  # the stubs type nsmap too narrowly for a default namespace
    return etree.Element(f"{{{FPML_NS}}}{tag}", {"fpmlVersion": FPML_VERSION}, nsmap=nsmap)  # type: ignore[arg-type]


@cache
def _qualified(tag: str) -> str:
    return f"{{{FPML_NS}}}{tag}"


def sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    """Append ``<tag attrs>text</tag>`` in the FpML namespace to ``parent``."""
    el = etree.SubElement(parent, _qualified(tag), attrs)
    if text is not None:
        el.text = text
    return el


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


def to_bytes(element: Element, *, pretty: bool = True) -> bytes:
    """UTF-8 bytes with an XML declaration; ``pretty`` indents, otherwise one line with no added whitespace."""
    body = etree.tostring(element, encoding="UTF-8", pretty_print=pretty)
    return _DECLARATION + (b"\n" if pretty else b"") + bytes(body)


_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
