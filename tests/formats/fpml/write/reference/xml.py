"""lxml helpers of the reference writer: elements in the FpML namespace and their bytes."""

from __future__ import annotations

from functools import cache

from lxml import etree

from gateway.formats.fpml.write.schemes import FPML_NS, FPML_VERSION

Element = etree._Element


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


def to_bytes(element: Element, *, pretty: bool = True) -> bytes:
    """UTF-8 bytes with an XML declaration; ``pretty`` indents, otherwise one line with no added whitespace."""
    body = etree.tostring(element, encoding="UTF-8", pretty_print=pretty)
    return _DECLARATION + (b"\n" if pretty else b"") + bytes(body)


_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
