"""Small helpers over lxml elements in the FpML 5 confirmation namespace."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

NS = "http://www.fpml.org/FpML-5/confirmation"
Element = etree._Element


_CLARK: dict[str, str] = {}


def q(local: str) -> str:
    """Clark name of an FpML element."""
    name = _CLARK.get(local)
    if name is None:
        name = _CLARK[local] = f"{{{NS}}}{local}"
    return name


def local_name(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def child(el: Element, name: str) -> Element | None:
    """The first child element called ``name`` (a plain loop: cheaper than ElementPath or an
    ``iterchildren`` iterator on the few children FpML elements have)."""
    tag = q(name)
    for c in el:
        if c.tag == tag:
            return c
    return None


def children(el: Element, name: str) -> list[Element]:
    tag = q(name)
    return [c for c in el if c.tag == tag]


class ChildIndex:
    """The first child of each name, in one pass over the children; looked up by local name."""

    __slots__ = ("_map",)

    def __init__(self, el: Element) -> None:
        m: dict[Any, Element] = {}
        for c in el:
            tag = c.tag
            if tag not in m:
                m[tag] = c
        self._map = m

    def get(self, name: str) -> Element | None:
        try:
            return self._map.get(_CLARK[name])
        except KeyError:
            return self._map.get(q(name))


def first_children(el: Element) -> dict[str, Element]:
    """The first child of each Clark name, in one pass over the children (look up with ``q(name)``
    constants: a plain dict lookup)."""
    m: dict[str, Element] = {}
    for c in el:
        tag = c.tag
        if tag not in m:
            m[tag] = c
    return m


def group_children(el: Element) -> dict[Any, list[Element]]:
    """Every child of each Clark name, in document order, in one pass (``child``/``children`` of many
    names on one element each walk all its children; this walks them once)."""
    groups: dict[Any, list[Element]] = {}
    for c in el:
        tag = c.tag
        found = groups.get(tag)
        if found is None:
            groups[tag] = [c]
        else:
            found.append(c)
    return groups


def kids(el: Element) -> ChildIndex:
    return ChildIndex(el)


class Kids(ChildIndex):
    """A ChildIndex that remembers its element (to name it in issues)."""

    __slots__ = ("el",)

    def __init__(self, el: Element) -> None:
        m: dict[Any, Element] = {}
        for c in el:
            tag = c.tag
            if tag not in m:
                m[tag] = c
        self._map = m
        self.el = el


_XML_SPACE = " \t\r\n"


def text_of(el: Element | None) -> str | None:
    """The element's text without surrounding XML white space (space, tab, CR, LF; nothing else)."""
    if el is None or el.text is None:
        return None
    value = el.text.strip(_XML_SPACE)
    return value or None


def child_text(el: Element, name: str) -> str | None:
    return text_of(child(el, name))


def path_of(el: Element) -> str:
    """An XPath-like location such as ``/dataDocument/trade/swap/swapStream[2]/calculationPeriodAmount``."""
    parts: list[str] = []
    node: Element | None = el
    while node is not None:
        name = local_name(node)
        tag = node.tag
        if isinstance(tag, str) and node.getparent() is not None:
            # count same-name siblings before this one only (C-filtered), so the k-th of n costs k, not n
            before = sum(1 for _ in node.itersiblings(tag, preceding=True))
            if before or next(node.itersiblings(tag), None) is not None:
                name += f"[{before + 1}]"
        parts.append(name)
        node = node.getparent()
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
