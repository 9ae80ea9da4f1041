"""Our FIX data dictionaries read once into lookup tables: tag names, message layouts, repeating groups.

The acceptor lets quickfix validate every inbound message against the same files; this module gives the
asyncio side what it needs to walk a validated message (which tags open which groups) and to name a tag
in an error text (``StreamNotional(40054)``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fix_specs import APP_DICTIONARY, TRANSPORT_DICTIONARY


@dataclass(frozen=True, slots=True)
class GroupLayout:
    """A repeating group: its count tag, the tag every entry starts with, and what an entry may hold."""

    count_tag: int
    delimiter: int
    tags: frozenset[int]  # plain fields of one entry
    groups: dict[int, GroupLayout] = field(default_factory=dict)  # nested groups by count tag
    order: tuple[int, ...] = ()  # fields and nested count tags in dictionary order


@dataclass(frozen=True, slots=True)
class MessageLayout:
    msg_type: str
    name: str
    tags: frozenset[int]
    groups: dict[int, GroupLayout]
    required: frozenset[int]


@dataclass(frozen=True, slots=True)
class Dictionary:
    names: dict[int, str]
    numbers: dict[str, int]
    enums: dict[int, dict[str, str]]
    messages: dict[str, MessageLayout]
    header_tags: frozenset[int]
    trailer_tags: frozenset[int]
    data_length_tags: dict[int, int]  # length tag -> data tag (SecurityXMLLen -> SecurityXML)

    def label(self, tag: int) -> str:
        """``Name(tag)`` for error texts."""
        name = self.names.get(tag)
        return f"{name}({tag})" if name else f"tag {tag}"

    def tag(self, name: str) -> int:
        return self.numbers[name]


def _fields(root: ET.Element) -> tuple[dict[int, str], dict[int, dict[str, str]], dict[int, str]]:
    names: dict[int, str] = {}
    enums: dict[int, dict[str, str]] = {}
    types: dict[int, str] = {}
    for f in root.iterfind("fields/field"):
        number = int(f.attrib["number"])
        names[number] = f.attrib["name"]
        types[number] = f.attrib["type"]
        values = {v.attrib["enum"]: v.attrib["description"] for v in f.iterfind("value")}
        if values:
            enums[number] = values
    return names, enums, types


class _Walker:
    def __init__(self, numbers: dict[str, int], components: dict[str, ET.Element]) -> None:
        self.numbers = numbers
        self.components = components

    def flatten(
        self, el: ET.Element
    ) -> tuple[list[int], dict[int, GroupLayout], list[int], list[tuple[str, ET.Element]]]:
        """Plain tags, groups, required plain tags and the order of ``el``'s content, components inlined."""
        tags: list[int] = []
        groups: dict[int, GroupLayout] = {}
        required: list[int] = []
        order: list[tuple[str, ET.Element]] = []
        for child in el:
            name = child.attrib["name"]
            if child.tag == "component":
                t, g, _, o = self.flatten(self.components[name])
                tags += t
                groups.update(g)
                order += o
                continue
            number = self.numbers[name]
            order.append((child.tag, child))
            if child.tag == "group":
                groups[number] = self.group(child)
            else:
                tags.append(number)
                if child.attrib.get("required") == "Y":
                    required.append(number)
        return tags, groups, required, order

    def group(self, el: ET.Element) -> GroupLayout:
        tags, groups, _, order = self.flatten(el)
        numbers = tuple(self.numbers[c.attrib["name"]] for _, c in order)
        return GroupLayout(self.numbers[el.attrib["name"]], numbers[0], frozenset(tags), groups, numbers)


def load(app_path: Path = APP_DICTIONARY, transport_path: Path = TRANSPORT_DICTIONARY) -> Dictionary:
    """Read the application and transport dictionaries into one ``Dictionary``."""
    app = ET.parse(app_path).getroot()  # noqa: S314
    transport = ET.parse(transport_path).getroot()  # noqa: S314
    names, enums, types = _fields(app)
    t_names, t_enums, t_types = _fields(transport)
    names.update(t_names)
    enums.update(t_enums)
    types.update(t_types)
    numbers = {n: k for k, n in names.items()}
    components = {c.attrib["name"]: c for c in app.iterfind("components/component")}
    walker = _Walker(numbers, components)
    messages: dict[str, MessageLayout] = {}
    for root in (app, transport):
        for m in root.iterfind("messages/message"):
            tags, groups, required, _ = walker.flatten(m)
            messages[m.attrib["msgtype"]] = MessageLayout(
                m.attrib["msgtype"], m.attrib["name"], frozenset(tags), groups, frozenset(required)
            )
    header = frozenset(numbers[f.attrib["name"]] for f in transport.iterfind("header/field"))
    trailer = frozenset(numbers[f.attrib["name"]] for f in transport.iterfind("trailer/field"))
    data_tags = {n for n, t in types.items() if t in ("DATA", "XMLDATA")}
    lengths = {n - 1: n for n in data_tags if types.get(n - 1) == "LENGTH"}
    return Dictionary(names, numbers, enums, messages, header, trailer, lengths)


@cache
def default() -> Dictionary:
    """The dictionaries shipped in ``fix_specs``, read once."""
    return load()
