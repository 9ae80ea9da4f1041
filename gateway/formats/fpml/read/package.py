"""The package a trade belongs to: ``tradePackage`` around it, or ``tradeHeader/originatingPackage``.

A trade read inside ``tradePackage`` gets the package's ``packageHeader/packageIdentifier`` (issuer and
id), the package's number of trades as its size and its own place in the package (1-based) as its
sequence. A trade carrying ``originatingPackage`` (a confirmation of a package's trade, as
``pkg-ex61-clearing-confirmed.xml`` shows) gets what that says.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.errors import TradeInvalid
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PackageRef
from gateway.formats.fpml.read.problems import Problems
from gateway.formats.fpml.read.xml import Element, child, child_text, children, parse_decimal


def _identifier(holder: Element) -> tuple[str | None, str | None]:
    ident = child(holder, "packageIdentifier")
    if ident is None:
        return None, None
    return child_text(ident, "tradeId"), child_text(ident, "issuer")


def in_package(package: Element, sequence: int, problems: Problems) -> PackageRef | None:
    """The package of the ``sequence``-th trade of ``tradePackage`` ``package``."""
    header = child(package, "packageHeader")
    package_id, issuer = (None, None) if header is None else _identifier(header)
    try:
        return PackageRef(package_id, len(children(package, "trade")), sequence, issuer)
    except TradeInvalid as exc:
        problems.from_invalid(exc, package)
        return None


def _count(el: Element, name: str, problems: Problems) -> int | None:
    raw = child_text(el, name)
    if raw is None:
        return None
    value = parse_decimal(raw)
    if value is None or value != value.to_integral_value() or value < Decimal(1):
        problems.add(ReasonCode.FPML_INVALID_VALUE, el, f"{name} {raw!r} is not a whole number of trades")
        return None
    return int(value)


def originating(header: Element, problems: Problems) -> PackageRef | None:
    """``tradeHeader/originatingPackage`` as a package reference (None when absent or without a size)."""
    el = child(header, "originatingPackage")
    if el is None:
        return None
    package_id, issuer = _identifier(el)
    size = _count(el, "size", problems)
    if size is None:
        return None
    try:
        return PackageRef(package_id, size, _count(el, "sequenceNumber", problems), issuer)
    except TradeInvalid as exc:
        problems.from_invalid(exc, el)
        return None
