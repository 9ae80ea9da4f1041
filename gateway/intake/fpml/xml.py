"""Small helpers over lxml elements in the FpML 5 confirmation namespace."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

NS = "http://www.fpml.org/FpML-5/confirmation"
Element = etree._Element


@lru_cache(maxsize=512)
def q(local: str) -> str:
    """Clark name of an FpML element."""
    return f"{{{NS}}}{local}"


def local_name(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def child(el: Element, name: str) -> Element | None:
    """The first child element called ``name`` (a plain loop: cheaper than ElementPath here)."""
    tag = q(name)
    for c in el:
        if c.tag == tag:
            return c
    return None


def children(el: Element, name: str) -> list[Element]:
    tag = q(name)
    return [c for c in el if c.tag == tag]


def kids(el: Element) -> dict[str, Element]:
    """The first child of each name, by local name, in one pass over the children."""
    out: dict[str, Element] = {}
    for c in el:
        tag = c.tag
        if isinstance(tag, str):
            out.setdefault(tag[tag.find("}") + 1 :], c)
    return out


class Kids:
    """An element with its children indexed by local name (first of each), built in one pass."""

    __slots__ = ("el", "map")

    def __init__(self, el: Element) -> None:
        self.el = el
        self.map = kids(el)

    def get(self, name: str) -> Element | None:
        return self.map.get(name)

    def text(self, name: str) -> str | None:
        return text_of(self.map.get(name))


def text_of(el: Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value or None


def child_text(el: Element, name: str) -> str | None:
    return text_of(child(el, name))


def path_of(el: Element) -> str:
    """An XPath-like location such as ``/dataDocument/trade/swap/swapStream[2]/calculationPeriodAmount``."""
    parts: list[str] = []
    node: Element | None = el
    while node is not None:
        name = local_name(node)
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def parse_date(value: str) -> date | None:
    """An xs:date, ignoring a time-zone suffix (``2001-01-29``, ``2001-01-29Z``, ``2001-01-29+01:00``)."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_decimal(value: str) -> Decimal | None:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None
