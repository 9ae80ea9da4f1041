"""Building test documents from the official examples by small, named edits."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

NS = "http://www.fpml.org/FpML-5/confirmation"
EXAMPLES = Path(__file__).resolve().parents[5] / "shared" / "fpml" / "examples"
VANILLA = "products/interest-rate-derivatives/ird-ex01-vanilla-swap.xml"


def load(rel: str) -> etree._Element:
    return etree.fromstring((EXAMPLES / rel).read_bytes())


def find_all(root: etree._Element, path: str) -> list[etree._Element]:
    """Elements at a slash path of local names, e.g. ``trade/swap/swapStream``."""
    return root.findall(
        "/".join(
            f"{{{NS}}}{p}" if p not in (".", "..") and not p.startswith("*") else p for p in path.split("/")
        )
    )


def drop(root: etree._Element, path: str) -> etree._Element:
    for el in find_all(root, path):
        parent = el.getparent()
        assert parent is not None
        parent.remove(el)
    return root


def set_text(root: etree._Element, path: str, value: str, index: int | None = None) -> etree._Element:
    found = find_all(root, path)
    assert found, path
    for el in found if index is None else [found[index]]:
        el.text = value
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
