"""What a credit decision is taken on, per account: its risk state and its member's figures. Values only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.refdata.model import Holding


@dataclass(frozen=True, slots=True)
class RiskRow:
    """The stored risk state of one account: margin requirement and its portfolio's scenario P&L."""

    margin: Decimal
    pnl_vector: bytes | None
    trade_count: int


@dataclass(frozen=True, slots=True)
class MemberFigures:
    """What a credit position is built from, for one member: margins, collateral and reservations by account."""

    margins: dict[str, Decimal]
    holdings: dict[str, list[Holding]]
    reserved: dict[str, Decimal]
