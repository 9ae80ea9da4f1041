"""Rewrite module names in files after modules moved: ``python tools/apply_module_moves.py FILE...``.

The moves are read from ``tools/module_moves.txt`` (``--map`` for another file): one ``old.dotted.path
new.dotted.path`` per line, ``#`` starts a comment. A line also covers everything under the old path
unless a longer line says otherwise (``gateway.formats.fpml.read`` carries ``gateway.formats.fpml.read.xml`` along).

Three kinds of text are rewritten, in place, in each file given:

* ``from PACKAGE import a, b``: each name that is a module of its own goes where that module went, so one
  line may become several (``from gateway.channels.fix import replies, acceptor``); a module that changed
  its last name is imported under its old name (``import client as connect``) so the body still reads;
* any other dotted name starting with a moved path (``import x.y``, ``"x.y.attr"`` in a patch target,
  ``python -m x.y``);
* slash paths of moved files and folders (``gateway/formats/fix/wire.py``) in code and documents.

Run it twice and the second run changes nothing. ``--check`` lists the files that would change and exits 1
if there are any, without writing.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAP = Path(__file__).with_name("module_moves.txt")

_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_SLASHED = re.compile(r"(?<![\w/.])[A-Za-z_]\w*(?:/[A-Za-z_]\w*)+(?:\.py\b|/)?")
_FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<module>[\w.]+)[ \t]+import[ \t]+"
    r"(?P<names>\([^)]*\)|[^\n#]*?)(?P<tail>[ \t]*(?:#[^\n]*)?)$",
    re.MULTILINE,
)


class MapError(ValueError):
    """A line of the move map is not ``old new`` with two dotted names."""


@dataclass(frozen=True)
class Moves:
    """Old dotted path -> new dotted path, looked up by the longest old path that is a prefix."""

    table: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> Moves:
        table: dict[str, str] = {}
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", p) for p in parts):
                raise MapError(f"{path}:{n}: expected 'old.dotted.path new.dotted.path', got {raw!r}")
            if parts[0] in table and table[parts[0]] != parts[1]:
                raise MapError(f"{path}:{n}: {parts[0]} is moved twice ({table[parts[0]]}, {parts[1]})")
            table[parts[0]] = parts[1]
        return cls(table)

    def key_for(self, dotted: str) -> str | None:
        """The longest old path that ``dotted`` is or lies under."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.table:
                return candidate
        return None

    def resolve(self, dotted: str) -> str:
        key = self.key_for(dotted)
        if key is None:
            return dotted
        return self.table[key] + dotted[len(key) :]


def _split_names(names: str) -> list[tuple[str, str | None]]:
    body = names.strip()
    if body.startswith("("):
        body = body[1:-1]
    body = re.sub(r"#[^\n]*", "", body)
    out: list[tuple[str, str | None]] = []
    for item in body.replace("\n", " ").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) == 3 and words[1] == "as":
            out.append((words[0], words[2]))
        else:
            out.append((words[0], None))
    return out


def _rewrite_from(moves: Moves, match: re.Match[str]) -> str:
    module, names = match["module"], match["names"]
    if module.startswith(".") or names.strip() == "*":
        return match[0]
    home = moves.resolve(module)
    groups: dict[str, list[str]] = {}
    for name, alias in _split_names(names):
        full = f"{module}.{name}"
        key = moves.key_for(full)
        if key is not None and len(key) > len(moves.key_for(module) or ""):
            # the name is a module with a move of its own
            new_full = moves.resolve(full)
            parent, _, last = new_full.rpartition(".")
        else:
            parent, last = home, name
        shown = alias if alias is not None else (name if last != name else None)
        groups.setdefault(parent, []).append(last if shown is None or shown == last else f"{last} as {shown}")
    if list(groups) == [module]:
        return match[0]
    indent = match["indent"]
    lines = []
    for parent, items in groups.items():
        lines.append(f"{indent}from {parent} import {', '.join(items)}")
    lines[-1] += match["tail"]
    return "\n".join(lines)


def rewrite(moves: Moves, text: str) -> str:
    """``text`` with every moved module named by its new path."""
    text = _FROM_IMPORT.sub(lambda m: _rewrite_from(moves, m), text)
    text = _DOTTED.sub(lambda m: moves.resolve(m[0]), text)

    def slashed(m: re.Match[str]) -> str:
        path = m[0]
        suffix = ".py" if path.endswith(".py") else "/" if path.endswith("/") else ""
        stem = path[: len(path) - len(suffix)]
        dotted = stem.replace("/", ".")
        if moves.key_for(dotted) is None:
            return path
        return moves.resolve(dotted).replace(".", "/") + suffix

    return _SLASHED.sub(slashed, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite moved module names in the files given.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--map", type=Path, default=DEFAULT_MAP, help="the move map (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="list the files that would change; write none")
    args = parser.parse_args(argv)
    try:
        moves = Moves.read(args.map)
    except (OSError, MapError) as exc:
        print(f"apply_module_moves: the move map cannot be used: {exc}", file=sys.stderr)
        return 2
    changed = 0
    for path in args.files:
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"apply_module_moves: skipped {path}: {exc}", file=sys.stderr)
            continue
        new = rewrite(moves, old)
        if new != old:
            changed += 1
            print(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
