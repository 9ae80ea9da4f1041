"""Reading money figures (``recon.figures``): a CSV file in the figure layout, or the CCP's variation margin
from the gateway database's published view ``member_variation_margin``.

The figure layout (docs/RECON_FORMATS.md, "Figures"): a header row with ``trade_id``, ``account``,
``currency``, ``date``, ``amount`` (others are ignored). ``trade_id`` may be empty in a member's file (the
figure of the whole account and currency), never in the CCP's. A cell that breaks its rule makes its row
unreadable: it is left out and reported as an INPUT_ERROR naming the file, row and column.
"""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from recon.errors import CellProblem, unusable
from recon.figures import Figure, FigureBook, FigureKind

FIGURE_COLUMNS: Final[tuple[str, ...]] = ("trade_id", "account", "currency", "date", "amount")
VM_VIEW: Final = "member_variation_margin"  # the CCP's VM per trade side and business date (migration 0016)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def read_figures(path: Path, kind: FigureKind, business_date: date, *, ccp: bool) -> FigureBook:
    """The figures of ``path``; for a one-date kind (VM) only those of ``business_date``."""
    name = str(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise unusable(name, "file", f"{kind.name} figures file does not exist") from None
    except UnicodeDecodeError as exc:
        raise unusable(name, "file", f"not UTF-8 text: {exc.reason}") from None
    except (OSError, csv.Error) as exc:
        raise unusable(name, "file", f"cannot read {kind.name} figures: {exc}") from None
    if not rows:
        raise unusable(name, "file", "empty file: a figures file has at least its header row")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in FIGURE_COLUMNS if c not in header]
    if missing:
        raise unusable(
            name, "header", f"missing column(s) {missing}; the figure layout is {list(FIGURE_COLUMNS)}"
        )
    if len(set(header)) != len(header):
        raise unusable(name, "header", "a column is named twice")
    at = {c: header.index(c) for c in FIGURE_COLUMNS}
    figures: list[Figure] = []
    problems: list[CellProblem] = []
    for n, raw in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            problems.append(
                CellProblem(name, n, "(row)", None, f"{len(raw)} fields, the header has {len(header)}")
            )
            continue
        cells = {c: raw[i].strip() for c, i in at.items()}
        figure, problem = _figure(name, n, cells, ccp=ccp)
        if problem is not None:
            problems.append(problem)
        elif figure is not None and (not kind.one_date or figure.day == business_date):
            figures.append(figure)
    return FigureBook(name, tuple(figures), tuple(problems))


def _figure(
    name: str, n: int, cells: dict[str, str], *, ccp: bool
) -> tuple[Figure | None, CellProblem | None]:
    trade_id = cells["trade_id"] or None

    def bad(column: str, message: str) -> tuple[None, CellProblem]:
        return None, CellProblem(name, n, column, cells[column] or None, message, trade_id=trade_id)

    if ccp and trade_id is None:
        return bad("trade_id", "the CCP's figures are per trade: a CCP trade id is required")
    if not cells["account"]:
        return bad("account", "required")
    currency = cells["currency"].upper()
    if not _CURRENCY.match(currency):
        return bad("currency", "an ISO 4217 code of three letters is required")
    try:
        day = date.fromisoformat(cells["date"])
    except ValueError:
        return bad("date", "a date YYYY-MM-DD is required")
    try:
        amount = Decimal(cells["amount"])
    except InvalidOperation:
        return bad("amount", "a number is required (a decimal point, no thousands separator)")
    if not amount.is_finite():
        return bad("amount", "a finite number is required")
    return Figure(trade_id, cells["account"], currency, day, amount, n), None


async def fetch_ccp_vm(url: str, member: str, business_date: date) -> FigureBook:
    """The CCP's variation margin of ``member`` on ``business_date`` (one figure per trade side)."""
    from sqlalchemy import Date, String, bindparam, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine

    source = f"db:{VM_VIEW}"
    query = text(
        f"SELECT trade_id, account, currency, business_date, amount FROM {VM_VIEW} "  # noqa: S608
        "WHERE member = :member AND business_date = :day ORDER BY trade_id"
    ).bindparams(bindparam("member", type_=String), bindparam("day", type_=Date))
    try:
        engine = create_async_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise unusable(source, "url", f"cannot use database URL: {exc}") from None
    try:
        async with engine.connect() as conn:
            rows: list[Any] = list(await conn.execute(query, {"member": member, "day": business_date}))
    except (SQLAlchemyError, OSError, ConnectionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise unusable(source, "query", f"cannot read {VM_VIEW} for {member}: {first}") from None
    finally:
        await engine.dispose()
    figures = tuple(
        Figure(r.trade_id, r.account, r.currency, _day(r.business_date), Decimal(str(r.amount)), 0)
        for r in rows
    )
    return FigureBook(source, figures)


def read_ccp_vm_db(url: str, member: str, business_date: date) -> FigureBook:
    """Blocking form of ``fetch_ccp_vm`` for the command line."""
    return asyncio.run(fetch_ccp_vm(url, member, business_date))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
