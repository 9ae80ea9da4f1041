"""A member book to try reconciliation on: one member's rows of a CCP position file, with breaks planted.

The CCP position file (``clearing-gateway export positions``, standard layout, CSV) is read as text so
that every cell the book keeps is the CCP's own text. Four differences are planted, each on its own
trade, chosen by a seed: a trade the member has not booked, a notional booked wrong, a valuation that
differs, and a trade the member booked that the CCP never registered. ``clearing-recon run`` then finds
exactly these breaks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

import polars as pl

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from recon.engine import BreakType
from recon.errors import unusable
from recon.layout import POSITION_COLUMNS

# Trades a sample book needs: one each for the dropped, the notional and the valuation break.
MIN_ROWS: Final[int] = 3
NOTIONAL_SHIFT: Final[Decimal] = Decimal(1_000_000)
NPV_SHIFT: Final[Decimal] = Decimal(25_000)
UNREGISTERED_UTI_PREFIX: Final[str] = "MEMBERONLY"


@dataclass(frozen=True, slots=True)
class PlantedBreak:
    """One difference planted in the book, as ``clearing-recon run`` will report it."""

    break_type: BreakType
    trade_id: str
    uti: str
    field: str
    ccp_value: str
    member_value: str

    def to_dict(self) -> dict[str, str]:
        return {
            "break_type": self.break_type.value,
            "trade_id": self.trade_id,
            "uti": self.uti,
            "field": self.field,
            "ccp_value": self.ccp_value,
            "member_value": self.member_value,
        }


@dataclass(frozen=True, slots=True)
class SampleBook:
    member: str
    rows: int  # rows written to the book
    ccp_rows: int  # the member's rows in the CCP file
    planted: tuple[PlantedBreak, ...]


def read_ccp_file(path: Path) -> pl.DataFrame:
    """The CCP position file as text, in the standard columns; ``InputRejected`` naming what is wrong."""
    if path.suffix.lower() != ".csv":
        raise unusable(str(path), "suffix", "a sample book is made from a CSV position file (.csv)")
    if not path.is_file():
        raise unusable(str(path), "file", "no such file: write it with `clearing-gateway export positions`")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise unusable(str(path), "file", f"not a readable CSV file: {first}") from None
    missing = [c for c in POSITION_COLUMNS if c not in frame.columns]
    if missing:
        raise unusable(
            str(path), "columns", f"not the standard position layout: missing {', '.join(missing)}"
        )
    return frame.select(POSITION_COLUMNS)


def _shifted(value: str | None, shift: Decimal, where: str) -> str:
    try:
        number = Decimal(value or "0")
    except InvalidOperation:
        raise unusable(where, "value", f"not a number: {value!r}") from None
    return format(number + shift, "f")


def plant_breaks(ccp: pl.DataFrame, member: str, *, seed: int) -> tuple[pl.DataFrame, SampleBook]:
    """The member's book with four planted breaks, and what was planted (``InputRejected`` when the CCP
    file holds fewer than ``MIN_ROWS`` rows of the member)."""
    own = ccp.filter(pl.col("member") == member).sort("trade_id")
    if own.height < MIN_ROWS:
        others = sorted(str(m) for m in ccp.get_column("member").unique().drop_nulls())
        hint = f"members in the file: {', '.join(others)}" if others else "the file has no rows"
        raise InputRejected.of(
            ReasonCode.RECON_INPUT_ERROR,
            "--member",
            f"{member!r} has {own.height} rows in the CCP file; a sample book needs at least {MIN_ROWS} ({hint})",
        )
    rows = own.to_dicts()
    dropped, wrong_notional, wrong_npv = random.Random(seed).sample(range(len(rows)), MIN_ROWS)
    planted: list[PlantedBreak] = []

    gone = rows[dropped]
    planted.append(
        PlantedBreak(BreakType.MISSING_AT_MEMBER, gone["trade_id"] or "", gone["uti"] or "", "", "", "")
    )

    row = rows[wrong_notional]
    booked = _shifted(row["notional"], NOTIONAL_SHIFT, f"{row['trade_id']}:notional")
    planted.append(
        PlantedBreak(
            BreakType.ECONOMIC_MISMATCH,
            row["trade_id"] or "",
            row["uti"] or "",
            "notional",
            row["notional"] or "",
            booked,
        )
    )
    row["notional"] = booked

    row = rows[wrong_npv]
    valued = _shifted(row["npv"], NPV_SHIFT, f"{row['trade_id']}:npv")
    planted.append(
        PlantedBreak(
            BreakType.VALUATION_MISMATCH,
            row["trade_id"] or "",
            row["uti"] or "",
            "npv",
            row["npv"] or "",
            valued,
        )
    )
    row["npv"] = valued

    # A trade the member booked that never reached the CCP: no CCP trade id, a UTI the CCP has not seen.
    unregistered = dict(rows[wrong_npv])
    unregistered["trade_id"] = None
    unregistered["uti"] = f"{UNREGISTERED_UTI_PREFIX}{member}{seed:08d}"
    planted.append(PlantedBreak(BreakType.MISSING_AT_CCP, "", unregistered["uti"], "", "", ""))

    kept = [r for i, r in enumerate(rows) if i != dropped] + [unregistered]
    book = pl.DataFrame(kept, schema=dict.fromkeys(POSITION_COLUMNS, pl.String), orient="row")
    return book, SampleBook(member, book.height, own.height, tuple(planted))


def write_sample_book(ccp_file: Path, member: str, out: Path, *, seed: int) -> SampleBook:
    """Read ``ccp_file``, plant the breaks and write the member's book to ``out`` (CSV)."""
    if out.suffix.lower() != ".csv":
        raise InputRejected.of(
            ReasonCode.RECON_INPUT_ERROR, "--out", f"{out} does not end in .csv: the book is CSV"
        )
    book, made = plant_breaks(read_ccp_file(ccp_file), member, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    book.write_csv(tmp)
    tmp.replace(out)
    return made
