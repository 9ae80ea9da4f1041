"""Build our FIX data dictionaries from the upstream FIX repository files that ``quickfix`` installs.

``python -m fix_specs.build`` reads ``FIX50SP2.xml`` and ``FIXT11.xml`` (from ``<prefix>/share/quickfix``
or ``--upstream DIR``), keeps only what ``fix_specs.roe`` names, checks that every name exists upstream in
the same place, and writes ``FIX50SP2-CCP.xml`` and ``FIXT11-CCP.xml`` beside this module. The upstream
files are read, never copied: what we publish is our subset with our requiredness and enumerations.
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from fix_specs import APP_DICTIONARY, TRANSPORT_DICTIONARY, roe

Node = roe.Node


class BuildError(Exception):
    """The overlay names something that upstream does not have where we say it is."""


def upstream_dir() -> Path:
    """Where ``pip install quickfix`` put the FIX repository files."""
    for base in (Path(sys.prefix), Path(sysconfig.get_path("data"))):
        candidate = base / "share" / "quickfix"
        if (candidate / "FIX50SP2.xml").is_file():
            return candidate
    raise BuildError("FIX50SP2.xml not found under <prefix>/share/quickfix; pass --upstream DIR")


@dataclass
class _Upstream:
    root: ET.Element
    fields: dict[str, ET.Element] = field(default_factory=dict)
    components: dict[str, ET.Element] = field(default_factory=dict)
    messages: dict[str, ET.Element] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> _Upstream:
        root = ET.parse(path).getroot()  # noqa: S314 - see the module note on trust
        up = cls(root)
        for f in root.iterfind("fields/field"):
            up.fields[f.attrib["name"]] = f
        for c in root.iterfind("components/component"):
            up.components[c.attrib["name"]] = c
        for m in root.iterfind("messages/message"):
            up.messages[m.attrib["name"]] = m
        return up


def _split(token: str) -> tuple[str, bool]:
    return (token[:-1], True) if token.endswith("*") else (token, False)


@dataclass
class _Builder:
    up: _Upstream
    components: dict[str, list[Node]]
    used_fields: set[str] = field(default_factory=set)
    used_components: set[str] = field(default_factory=set)

    def children(self, where: str, upstream: ET.Element, nodes: list[Node]) -> list[ET.Element]:
        """Our nodes as dictionary elements, in upstream order, each checked against ``upstream``."""
        index = {(c.tag, c.attrib["name"]): i for i, c in enumerate(upstream)}
        out: list[tuple[int, ET.Element]] = []
        for node in nodes:
            if isinstance(node, tuple):
                name, required = _split(node[0])
                key = ("group", name)
                if key not in index:
                    raise BuildError(f"{where}: upstream has no group {name}")
                el = ET.Element("group", name=name, required="Y" if required else "N")
                self.used_fields.add(name)
                el.extend(self.children(f"{where}/{name}", upstream[index[key]], node[1]))
            elif node.startswith("@"):
                name, required = _split(node[1:])
                key = ("component", name)
                if key not in index:
                    raise BuildError(f"{where}: upstream has no component {name} here")
                if name not in self.components:
                    raise BuildError(f"{where}: component {name} is used but not defined in roe.COMPONENTS")
                self.used_components.add(name)
                el = ET.Element("component", name=name, required="Y" if required else "N")
            else:
                name, required = _split(node)
                key = ("field", name)
                if key not in index:
                    raise BuildError(f"{where}: upstream has no field {name} here")
                self.used_fields.add(name)
                el = ET.Element("field", name=name, required="Y" if required else "N")
            out.append((index[key], el))
        out.sort(key=lambda pair: pair[0])
        return [el for _, el in out]

    def component(self, name: str) -> ET.Element:
        upstream = self.up.components.get(name)
        if upstream is None:
            raise BuildError(f"upstream has no component {name}")
        el = ET.Element("component", name=name)
        el.extend(self.children(name, upstream, self.components[name]))
        return el

    def field_definitions(self, enums: dict[str, list[tuple[str, str]]]) -> ET.Element:
        fields = ET.Element("fields")
        defs = []
        for name in self.used_fields:
            upstream = self.up.fields.get(name)
            if upstream is None:
                raise BuildError(f"upstream has no field definition for {name}")
            defs.append((int(upstream.attrib["number"]), name, upstream))
        for number, name, upstream in sorted(defs):
            el = ET.SubElement(fields, "field", number=str(number), name=name, type=upstream.attrib["type"])
            upstream_values = {v.attrib["enum"] for v in upstream.iterfind("value")}
            if name in enums:
                ours = enums[name]
                extra = [v for v, _ in ours if upstream_values and v not in upstream_values]
                if extra:
                    raise BuildError(f"{name}: values {extra} are not upstream enumerations")
                values = ours
            else:
                values = [(v.attrib["enum"], v.attrib["description"]) for v in upstream.iterfind("value")]
            for value, description in values:
                ET.SubElement(el, "value", enum=value, description=description)
        return fields


def _document(kind: str, major: str, minor: str, sp: str) -> ET.Element:
    return ET.Element("fix", type=kind, major=major, minor=minor, servicepack=sp)


def build_app(up: _Upstream) -> ET.Element:
    b = _Builder(up, roe.COMPONENTS)
    doc = _document("FIX", "5", "0", "2")
    ET.SubElement(doc, "header")
    ET.SubElement(doc, "trailer")
    messages = ET.SubElement(doc, "messages")
    for name, nodes in roe.MESSAGES.items():
        upstream = up.messages.get(name)
        if upstream is None:
            raise BuildError(f"upstream has no message {name}")
        el = ET.SubElement(messages, "message", name=name, msgtype=upstream.attrib["msgtype"], msgcat="app")
        el.extend(b.children(name, upstream, nodes))
    components = ET.SubElement(doc, "components")
    built: set[str] = set()
    while b.used_components - built:  # components pull in further components
        for name in sorted(b.used_components - built):
            components.append(b.component(name))
            built.add(name)
    unused = set(roe.COMPONENTS) - built
    if unused:
        raise BuildError(f"components defined but never used: {sorted(unused)}")
    doc.append(b.field_definitions(_enums_for(b.used_fields)))
    return doc


def build_transport(up: _Upstream) -> ET.Element:
    b = _Builder(up, {})
    doc = _document("FIXT", "1", "1", "0")
    header = ET.SubElement(doc, "header")
    header.extend(b.children("header", _section(up.root, "header"), roe.HEADER))
    messages = ET.SubElement(doc, "messages")
    for name, nodes in roe.ADMIN_MESSAGES.items():
        upstream = up.messages.get(name)
        if upstream is None:
            raise BuildError(f"upstream has no admin message {name}")
        el = ET.SubElement(messages, "message", name=name, msgtype=upstream.attrib["msgtype"], msgcat="admin")
        el.extend(b.children(name, upstream, nodes))
    trailer = ET.SubElement(doc, "trailer")
    trailer.extend(b.children("trailer", _section(up.root, "trailer"), roe.TRAILER))
    ET.SubElement(doc, "components")
    doc.append(b.field_definitions(_enums_for(b.used_fields)))
    return doc


def _section(root: ET.Element, name: str) -> ET.Element:
    found = root.find(name)
    if found is None:
        raise BuildError(f"upstream transport dictionary has no <{name}>")
    return found


def _enums_for(used: set[str]) -> dict[str, list[tuple[str, str]]]:
    return {name: values for name, values in roe.ENUMS.items() if name in used}


def _text(doc: ET.Element, source: str) -> str:
    ET.indent(doc, space=" ")
    body = ET.tostring(doc, encoding="unicode")
    note = f"<!-- Generated by fix_specs/build.py from {source} and fix_specs/roe.py. Do not edit. -->\n"
    return note + body + "\n"


def render(upstream: Path) -> tuple[str, str]:
    """The transport and application dictionaries, as text."""
    app_up = _Upstream.load(upstream / "FIX50SP2.xml")
    transport_up = _Upstream.load(upstream / "FIXT11.xml")
    used = {n for n in roe.ENUMS}
    app = build_app(app_up)
    transport = build_transport(transport_up)
    defined = {f.attrib["name"] for doc in (app, transport) for f in doc.iterfind("fields/field")}
    stray = used - defined
    if stray:
        raise BuildError(f"enumerations given for fields that no message uses: {sorted(stray)}")
    return _text(transport, "FIXT11.xml"), _text(app, "FIX50SP2.xml")


def reference_markdown(app_path: Path = APP_DICTIONARY) -> str:
    """Message and component tables for docs/FIX_ROE.md, from the dictionary we publish."""
    app = ET.parse(app_path).getroot()  # noqa: S314 - our own file
    fields = {f.attrib["name"]: f for f in app.iterfind("fields/field")}

    def values(name: str) -> str:
        return ", ".join(
            f"`{v.attrib['enum']}` {v.attrib['description']}" for v in fields[name].iterfind("value")
        )

    def rows(el: ET.Element, depth: int, out: list[str]) -> None:
        for child in el:
            name = child.attrib["name"]
            req = "Y" if child.attrib.get("required") == "Y" else ""
            pad = "&emsp;" * depth
            if child.tag == "component":
                out.append(f"| {pad}[{name}](#{name.lower()}) | | {req} | component |")
            elif child.tag == "group":
                out.append(f"| {pad}{name} | {fields[name].attrib['number']} | {req} | group of: |")
                rows(child, depth + 1, out)
            else:
                out.append(f"| {pad}{name} | {fields[name].attrib['number']} | {req} | {values(name)} |")

    head = ["| field | tag | req | values |", "|---|---|---|---|"]
    parts = ["### Messages", ""]
    for m in app.iterfind("messages/message"):
        name = m.attrib["name"]
        out = [*head]
        rows(m, 0, out)
        parts += [f"#### {name} ({m.attrib['msgtype']}), {roe.DIRECTION[name]}", "", *out, ""]
    parts += ["### Components", ""]
    for c in app.iterfind("components/component"):
        out = [*head]
        rows(c, 0, out)
        parts += [f"#### {c.attrib['name']}", "", *out, ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", type=Path, default=None, help="directory with FIX50SP2.xml, FIXT11.xml")
    parser.add_argument("--check", action="store_true", help="fail if the committed files are out of date")
    args = parser.parse_args(argv)
    try:
        transport, app = render(args.upstream or upstream_dir())
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = [
            p.name for p, t in ((TRANSPORT_DICTIONARY, transport), (APP_DICTIONARY, app)) if _read(p) != t
        ]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python -m fix_specs.build", file=sys.stderr)
            return 1
        return 0
    TRANSPORT_DICTIONARY.write_text(transport, encoding="utf-8")
    APP_DICTIONARY.write_text(app, encoding="utf-8")
    print(f"wrote {TRANSPORT_DICTIONARY.name} and {APP_DICTIONARY.name}")
    return 0


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


if __name__ == "__main__":
    raise SystemExit(main())
