"""One parser per FpML product element, behind a registry; unregistered products are refused by scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.domain.enums import ProductClass
from gateway.domain.trade import Stream
from gateway.formats.fpml.read.context import DocContext
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import Element


@dataclass(frozen=True, slots=True)
class ProductResult:
    product: ProductClass
    streams: tuple[Stream, ...]
    accounts: dict[str, str]  # party xml id -> account id referenced by the product
    party_keys: tuple[str, ...]  # xml ids of the parties the product names, in order of appearance


ProductParser = Callable[[Element, DocContext, Problems], ProductResult | None]


def registry() -> dict[str, ProductParser]:
    from gateway.formats.fpml.read.products.fra import read_fra
    from gateway.formats.fpml.read.products.swap import read_swap

    return {"swap": read_swap, "fra": read_fra}
