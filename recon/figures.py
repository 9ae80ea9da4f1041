"""Money figures matched member against CCP: the day's variation margin, and cash flows in the same shape.

A figure is one amount in one currency on one date, either for one CCP trade (``trade_id`` given) or for
a whole account and currency (``trade_id`` empty). The member's trade figures pair with the CCP's by trade
id; the member's account figures with the sum of the CCP's trade figures of that account and currency.
A CCP figure neither kind of member figure covers is missing at the member. Amounts differing by more
than the tolerance (``abs + rel * |ccp|``) break. One matcher serves every kind (``FigureKind``): VM is
one instance, cash flows another (docs/RECON_FORMATS.md, "Figures").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

import polars as pl

from recon.errors import CellProblem
from recon.tolerances import Tolerance


@dataclass(frozen=True, slots=True)
class FigureKind:
    """One kind of figure: its name (keys, tolerances), its break types, and whether a run takes only the
    figures of its business date (VM) or every date in the input (cash flows by settlement date)."""

    name: str
    mismatch: str
    missing_at_ccp: str
    missing_at_member: str
    one_date: bool

    @property
    def break_types(self) -> tuple[str, str, str]:
        return (self.mismatch, self.missing_at_ccp, self.missing_at_member)


VM: Final = FigureKind("vm", "VM_MISMATCH", "VM_MISSING_AT_CCP", "VM_MISSING_AT_MEMBER", one_date=True)
CASH_FLOW: Final = FigureKind(
    "cash_flow",
    "CASH_FLOW_MISMATCH",
    "CASH_FLOW_MISSING_AT_CCP",
    "CASH_FLOW_MISSING_AT_MEMBER",
    one_date=False,
)
KINDS: Final[tuple[FigureKind, ...]] = (VM, CASH_FLOW)


@dataclass(frozen=True, slots=True)
class Figure:
    trade_id: str | None  # None: the figure of the whole account and currency
    account: str
    currency: str
    day: date
    amount: Decimal
    row: int  # data row in its source (1 = first row after the header); 0 for a database row


@dataclass(frozen=True, slots=True)
class FigureBook:
    source: str
    figures: tuple[Figure, ...]
    problems: tuple[CellProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class _Break:
    break_type: str
    key: str
    trade_id: str | None
    member_value: str | None
    ccp_value: str | None
    difference: float | None
    source_file: str | None
    source_row: int | None
    message: str


FIGURE_BREAK_COLUMNS: Final[tuple[str, ...]] = (
    "break_type",
    "key",
    "trade_id",
    "uti",
    "field",
    "member_value",
    "ccp_value",
    "difference",
    "source_file",
    "source_row",
    "message",
)


def match_figures(
    kind: FigureKind, member: FigureBook, ccp: FigureBook, tolerance: Tolerance
) -> pl.DataFrame:
    """The breaks between the member's figures and the CCP's (FIGURE_BREAK_COLUMNS; the engine's break
    rows without their ids). Unreadable member or CCP rows are INPUT_ERROR breaks of their own."""
    found: list[_Break] = []
    ccp_trades: dict[tuple[str, date], Figure] = {}
    for f in ccp.figures:
        if f.trade_id is not None:
            ccp_trades[(f.trade_id, f.day)] = f
    ccp_totals: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for f in ccp_trades.values():
        ccp_totals[(f.account, f.currency, f.day)] += f.amount

    seen: dict[str, list[Figure]] = defaultdict(list)
    for f in member.figures:
        seen[_key(kind, f)].append(f)
    covered_trades: set[tuple[str, date]] = set()
    covered_accounts: set[tuple[str, str, date]] = set()
    for key, group in seen.items():
        f = group[0]
        if len(group) > 1:
            rows = ", ".join(str(g.row) for g in group)
            found.append(
                _Break("DUPLICATE_KEY", key, f.trade_id, str(len(group)), None, None, member.source, f.row,
                       f"{kind.name} figure given {len(group)} times (rows {rows}): none of them is matched")
            )  # fmt: skip
            if f.trade_id is not None:
                covered_trades.add((f.trade_id, f.day))
            else:
                covered_accounts.add((f.account, f.currency, f.day))
            continue
        if f.trade_id is not None:
            covered_trades.add((f.trade_id, f.day))
            other = ccp_trades.get((f.trade_id, f.day))
            ccp_amount = None if other is None else other.amount
            if other is not None and other.currency != f.currency:
                found.append(
                    _Break(kind.mismatch, key, f.trade_id, f.currency, other.currency, None, member.source, f.row,
                           f"{kind.name} of {f.trade_id} on {f.day} in {f.currency} at the member, "
                           f"{other.currency} at the CCP")
                )  # fmt: skip
                continue
        else:
            covered_accounts.add((f.account, f.currency, f.day))
            total = (f.account, f.currency, f.day)
            ccp_amount = ccp_totals.get(total)
        what = f.trade_id or f"account {f.account} in {f.currency}"
        if ccp_amount is None:
            found.append(
                _Break(kind.missing_at_ccp, key, f.trade_id, _text(f.amount), None, float(f.amount), member.source,
                       f.row, f"the member's {kind.name} of {what} on {f.day} has no CCP figure")
            )  # fmt: skip
        elif _breaks(f.amount, ccp_amount, tolerance):
            found.append(
                _Break(kind.mismatch, key, f.trade_id, _text(f.amount), _text(ccp_amount),
                       float(f.amount - ccp_amount), member.source, f.row,
                       f"{kind.name} of {what} on {f.day}: member {_text(f.amount)}, CCP {_text(ccp_amount)}")
            )  # fmt: skip

    for (trade_id, day), f in sorted(ccp_trades.items()):
        if (trade_id, day) in covered_trades or (f.account, f.currency, day) in covered_accounts:
            continue
        found.append(
            _Break(kind.missing_at_member, _key(kind, f), trade_id, None, _text(f.amount), -float(f.amount),
                   ccp.source, f.row or None,
                   f"the CCP's {kind.name} of {trade_id} ({f.account}, {f.currency}) on {day} is not in the "
                   "member's figures")
        )  # fmt: skip
    for side, book in (("member", member), ("ccp", ccp)):
        for p in book.problems:
            found.append(
                _Break("INPUT_ERROR", f"{side}:{kind.name}:{p.file}:row={p.row}", p.trade_id, p.value, None,
                       None, p.file, p.row, f"column {p.column}: {p.message}")
            )  # fmt: skip
    return _frame(kind, found)


def _key(kind: FigureKind, f: Figure) -> str:
    level = (
        f"trade_id={f.trade_id}" if f.trade_id is not None else f"account={f.account}:currency={f.currency}"
    )
    return f"{kind.name}:{level}" + ("" if kind.one_date else f":date={f.day.isoformat()}")


def _breaks(member: Decimal, ccp: Decimal, tolerance: Tolerance) -> bool:
    return abs(float(member - ccp)) > tolerance.abs + tolerance.rel * abs(float(ccp))


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _frame(kind: FigureKind, found: list[_Break]) -> pl.DataFrame:
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "break_type": pl.String,
        "key": pl.String,
        "trade_id": pl.String,
        "uti": pl.String,
        "field": pl.String,
        "member_value": pl.String,
        "ccp_value": pl.String,
        "difference": pl.Float64,
        "source_file": pl.String,
        "source_row": pl.Int64,
        "message": pl.String,
    }
    rows = [
        (b.break_type, b.key, b.trade_id, None, "amount", b.member_value, b.ccp_value, b.difference,
         b.source_file, b.source_row, b.message)
        for b in sorted(found, key=lambda b: (b.break_type, b.key))
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")
