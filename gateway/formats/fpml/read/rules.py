"""Document-level FpML rules that the schema cannot express (or expresses less clearly)."""

from __future__ import annotations

from lxml import etree

from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import Element, local_name

SUPPORTED_VERSION = "5-10"
_WITH_HREF = etree.XPath("//*[@href]")


def check_version(root: Element, problems: Problems) -> None:
    version = root.get("fpmlVersion")
    if version != SUPPORTED_VERSION:
        shown = "missing" if version is None else repr(version)
        problems.add(
            ReasonCode.FPML_VERSION,
            f"/{local_name(root)}/@fpmlVersion",
            f"fpmlVersion is {shown}; this gateway reads {SUPPORTED_VERSION}",
        )


def check_references(root: Element, ids: dict[str, Element], problems: Problems) -> None:
    """Every ``href`` must name an element's ``id`` in the same document."""
    found = _WITH_HREF(root)
    assert isinstance(found, list)
    for el in found:
        if not isinstance(el, etree._Element):
            continue
        href = el.get("href") or ""
        if href not in ids:
            problems.add(
                ReasonCode.FPML_HREF_UNRESOLVED, el, f"href {href!r} points at no element of the document"
            )
