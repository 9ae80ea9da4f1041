"""Floating rate indices: the one home of each index's canonical name, currency, kind and other spellings.

Index names arrive in several ISDA spellings. The product scope (``gateway.rules.products``) renames a
trade's index to its canonical name with ``ALIASES`` (exact spellings) before it checks what is cleared;
the risk engine finds an index under any spelling and case (``index_info``) and names its curves after
it: ``INDEX TENOR`` for a term index (``AUD-BBR-BBSW 6M``), the bare index for an overnight one
(``USD-SOFR-OIS Compound``); each currency discounts on ``DEFAULT_DISCOUNTING``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.domain.errors import TradeInvalid
from gateway.domain.values import Period


@dataclass(frozen=True, slots=True)
class IndexInfo:
    name: str  # the canonical FpML floatingRateIndex
    currency: str
    overnight: bool
    aliases: tuple[str, ...] = ()


_INDICES: tuple[IndexInfo, ...] = (
    IndexInfo(
        "AUD-AONIA-OIS-COMPOUND", "AUD", True, ("AUD-AONIA-OIS COMPOUND", "AUD-AONIA-COMPOUND", "AUD-AONIA")
    ),
    IndexInfo("AUD-BBR-BBSW", "AUD", False, ("AUD-BBSW",)),
    IndexInfo(
        "USD-SOFR-OIS Compound", "USD", True, ("USD-SOFR-COMPOUND", "USD-SOFR-OIS-COMPOUND", "USD-SOFR")
    ),
    IndexInfo("USD-LIBOR-BBA", "USD", False, ("USD-LIBOR",)),
    IndexInfo(
        "EUR-EuroSTR-COMPOUND",
        "EUR",
        True,
        ("EUR-EuroSTR-OIS Compound", "EUR-ESTR-OIS-COMPOUND", "EUR-EuroSTR"),
    ),
    IndexInfo("EUR-EONIA-OIS-COMPOUND", "EUR", True, ("EUR-EONIA-OIS Compound",)),
    IndexInfo("EUR-EURIBOR-Telerate", "EUR", False, ("EUR-EURIBOR-Reuters", "EUR-EURIBOR")),
    IndexInfo("EUR-LIBOR-BBA", "EUR", False, ()),
    IndexInfo(
        "GBP-SONIA-COMPOUND", "GBP", True, ("GBP-SONIA-OIS Compound", "GBP-SONIA-OIS-COMPOUND", "GBP-SONIA")
    ),
    IndexInfo("GBP-LIBOR-BBA", "GBP", False, ("GBP-LIBOR-ISDA",)),
    IndexInfo("JPY-TONA-OIS-COMPOUND", "JPY", True, ("JPY-TONA-COMPOUND", "JPY-TONA-OIS Compound")),
    IndexInfo("JPY-TIBOR-TIBM", "JPY", False, ()),
    IndexInfo("CHF-SARON-OIS-COMPOUND", "CHF", True, ("CHF-SARON-COMPOUND",)),
    IndexInfo("CHF-LIBOR-BBA", "CHF", False, ()),
    IndexInfo("CAD-CORRA-OIS-COMPOUND", "CAD", True, ("CAD-CORRA-COMPOUND",)),
    IndexInfo("CAD-BA-CDOR", "CAD", False, ()),
    IndexInfo("NZD-NZIONA-OIS-COMPOUND", "NZD", True, ()),
    IndexInfo("NZD-BBR-FRA", "NZD", False, ()),
)

ALIASES: Mapping[str, str] = MappingProxyType({a: i.name for i in _INDICES for a in i.aliases})
"""Each other spelling, exactly as written, -> its index's canonical name."""

_BY_NAME: dict[str, IndexInfo] = {}
for _info in _INDICES:
    for _n in (_info.name, *_info.aliases):
        _BY_NAME[_n.upper()] = _info

DEFAULT_DISCOUNTING: Mapping[str, str] = {
    "AUD": "AUD-AONIA-OIS-COMPOUND",
    "USD": "USD-SOFR-OIS Compound",
    "EUR": "EUR-EuroSTR-COMPOUND",
    "GBP": "GBP-SONIA-COMPOUND",
    "JPY": "JPY-TONA-OIS-COMPOUND",
    "CHF": "CHF-SARON-OIS-COMPOUND",
    "CAD": "CAD-CORRA-OIS-COMPOUND",
    "NZD": "NZD-NZIONA-OIS-COMPOUND",
}
"""Each currency discounts on its overnight index curve; ``market.toml`` may override a row."""


def index_info(name: str) -> IndexInfo | None:
    """The index an FpML name (any known spelling, any case) stands for, or None if unknown."""
    return _BY_NAME.get(name.strip().upper())


def curve_name(index: IndexInfo, tenor: Period | None) -> str:
    """The curve that projects ``index``: the bare name when overnight, ``NAME TENOR`` otherwise."""
    if index.overnight or tenor is None:
        return index.name
    return f"{index.name} {tenor}"


def parse_curve_name(text: str) -> tuple[IndexInfo, Period | None] | None:
    """Split a curve name into its index and tenor; None when the index is unknown."""
    text = text.strip()
    info = index_info(text)
    if info is not None and info.overnight:
        return info, None
    head, _, tail = text.rpartition(" ")
    if not head:
        return None
    info = index_info(head)
    if info is None or info.overnight:
        return None
    try:
        tenor = Period.parse(tail)
    except TradeInvalid:
        return None
    return info, tenor
