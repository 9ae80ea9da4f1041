"""Matching and break classification: pure, vectorised, deterministic.

Pairs a member's rows with the CCP's by CCP trade id, then by UTI (rows without a trade id, or with one
the CCP does not know: the differing id is then a break of its own), then (rows with neither) by exact
economics. A key carried by more than one row on either side is a DUPLICATE_KEY break and none of its
rows is paired. Matched pairs are compared field by field within the tolerances.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Final

import polars as pl

from recon import lifecycle
from recon.errors import CellProblem
from recon.layout import DATE_COLUMNS, ECONOMIC_FIELDS, MATCH_ECONOMICS, NUMERIC_COLUMNS
from recon.loader import ROW, LoadedBook
from recon.tolerances import Tolerances


class BreakType(StrEnum):
    MISSING_AT_MEMBER = "MISSING_AT_MEMBER"
    MISSING_AT_CCP = "MISSING_AT_CCP"
    ECONOMIC_MISMATCH = "ECONOMIC_MISMATCH"
    STATUS_MISMATCH = "STATUS_MISMATCH"
    VALUATION_MISMATCH = "VALUATION_MISMATCH"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    INPUT_ERROR = "INPUT_ERROR"
    # a difference a lifecycle event on or after the book's date explains (recon/lifecycle.py)
    LIFECYCLE_TERMINATION_NOT_BOOKED = "LIFECYCLE_TERMINATION_NOT_BOOKED"
    LIFECYCLE_INCREASE_NOT_BOOKED = "LIFECYCLE_INCREASE_NOT_BOOKED"
    LIFECYCLE_DECLEAR_NOT_BOOKED = "LIFECYCLE_DECLEAR_NOT_BOOKED"
    LIFECYCLE_AMENDMENT_NOT_BOOKED = "LIFECYCLE_AMENDMENT_NOT_BOOKED"
    # money figures, member against CCP (recon/figures.py): the day's variation margin, cash flows
    VM_MISMATCH = "VM_MISMATCH"
    VM_MISSING_AT_CCP = "VM_MISSING_AT_CCP"
    VM_MISSING_AT_MEMBER = "VM_MISSING_AT_MEMBER"
    CASH_FLOW_MISMATCH = "CASH_FLOW_MISMATCH"
    CASH_FLOW_MISSING_AT_CCP = "CASH_FLOW_MISSING_AT_CCP"
    CASH_FLOW_MISSING_AT_MEMBER = "CASH_FLOW_MISSING_AT_MEMBER"
    # net notional per currency, index and maturity bucket (recon/aggregate.py)
    AGGREGATE_NOTIONAL_MISMATCH = "AGGREGATE_NOTIONAL_MISMATCH"


# The break types a lifecycle event explains (books without lifecycle columns never have them).
LIFECYCLE_BREAKS: Final[frozenset[BreakType]] = frozenset(
    t for t in BreakType if t.value.startswith("LIFECYCLE_")
)


# The break types of inputs besides the two position books (figures, and the aggregates of --aggregate):
# ``reconcile`` never gives them; ``with_breaks`` adds them.
BEYOND_POSITIONS: Final[frozenset[BreakType]] = frozenset(
    t for t in BreakType if t.value.startswith(("VM_", "CASH_FLOW_", "AGGREGATE_"))
)


class MatchedBy(StrEnum):
    TRADE_ID = "trade_id"
    UTI = "uti"
    ECONOMICS = "economics"


BREAK_SCHEMA: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "break_id": pl.String,
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
_COMPARED: Final[tuple[str, ...]] = ("trade_id", "uti", *ECONOMIC_FIELDS, "status", "npv")


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The outcome of one member's reconciliation for one day (breaks not yet aged)."""

    member: str
    breaks: pl.DataFrame  # BREAK_SCHEMA columns, sorted by break_type then key
    matched: int
    matched_by: dict[str, int] = field(default_factory=dict)
    member_rows: int = 0  # readable rows
    ccp_rows: int = 0
    member_unreadable: int = 0  # rows left out as INPUT_ERROR
    ccp_unreadable: int = 0
    member_sources: tuple[str, ...] = ()
    ccp_sources: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        found = dict(self.breaks.group_by("break_type").len().iter_rows()) if self.breaks.height else {}
        return {t.value: int(found.get(t.value, 0)) for t in BreakType}

    @property
    def match_rate(self) -> float:
        """Share of rows, both sides together, that found their pair (unreadable rows count as unpaired;
        1.0 when both books are empty)."""
        total = self.member_rows + self.ccp_rows + self.member_unreadable + self.ccp_unreadable
        return 1.0 if total == 0 else round(2 * self.matched / total, 6)


def reconcile(
    member: str,
    member_book: LoadedBook,
    ccp_book: LoadedBook,
    tolerances: Tolerances,
    business_date: date | None = None,
) -> Reconciliation:
    """Match and classify. Works on row positions and gathers each compared column once, so memory stays
    close to the two books themselves. With ``business_date``, a break a lifecycle event on the CCP's row
    (on or after that date) explains is classified as such (``recon.lifecycle``)."""
    m, c = member_book.frame, ccp_book.frame
    side_m = _Side(m, member_book.source, "_mi")
    side_c = _Side(c, ccp_book.source, "_ci")
    mk = side_m.keys(ccp_book.problems)
    ck = side_c.keys(member_book.problems)
    parts: list[pl.DataFrame] = []
    pairs: list[pl.DataFrame] = []

    # 1. CCP trade id: unique on both sides or a DUPLICATE_KEY.
    m1 = mk.filter(pl.col("trade_id").is_not_null())
    paired, m_only, c_left = _match(m1, ck, "trade_id", MatchedBy.TRADE_ID, side_m, side_c, parts)
    pairs.append(paired)
    unknown_id = mk.join(m_only, on="_mi", how="semi")
    parts.append(_missing(side_m, unknown_id.filter(pl.col("uti").is_null()), BreakType.MISSING_AT_CCP))
    ck = ck.join(c_left, on="_ci", how="semi")

    # 2. UTI, for member rows without a CCP trade id or with one the CCP does not know.
    m2 = pl.concat(
        [
            mk.filter(pl.col("trade_id").is_null() & pl.col("uti").is_not_null()),
            unknown_id.filter(pl.col("uti").is_not_null()),
        ],
        how="vertical",
    )
    c2 = ck.filter(pl.col("uti").is_not_null())
    paired, m_only, c_left = _match(m2, c2, "uti", MatchedBy.UTI, side_m, side_c, parts)
    pairs.append(paired)
    parts.append(_missing(side_m, m_only, BreakType.MISSING_AT_CCP))
    ck = pl.concat(
        [ck.filter(pl.col("uti").is_null()), c2.join(c_left, on="_ci", how="semi")], how="vertical"
    )

    # 3. Exact economics, for member rows with neither identifier.
    m3 = side_m.with_econ(mk.filter(pl.col("trade_id").is_null() & pl.col("uti").is_null()))
    paired, m_only, c_left = _match(
        m3, side_c.with_econ(ck), "_econ", MatchedBy.ECONOMICS, side_m, side_c, parts
    )
    pairs.append(paired)
    parts.append(_missing(side_m, m_only, BreakType.MISSING_AT_CCP))
    parts.append(_missing(side_c, c_left, BreakType.MISSING_AT_MEMBER))

    matched = pl.concat(pairs, how="vertical")
    parts.extend(_compare(side_m, side_c, matched, tolerances))
    parts.append(_input_errors(member_book.problems, "member"))
    parts.append(_input_errors(ccp_book.problems, "ccp"))
    found = [p.select(list(BREAK_SCHEMA)[1:]) for p in parts if p.height]
    if found and business_date is not None:
        found = [lifecycle.classify(pl.concat(found, how="vertical"), c, business_date)]
    breaks = (
        _with_ids(member, pl.concat(found, how="vertical"))
        if found and found[0].height
        else pl.DataFrame(schema=BREAK_SCHEMA)
    )
    by = dict(matched.group_by("_by").len().iter_rows()) if matched.height else {}
    return Reconciliation(
        member=member,
        breaks=breaks,
        matched=matched.height,
        matched_by={b.value: int(by.get(b.value, 0)) for b in MatchedBy},
        member_rows=m.height,
        ccp_rows=c.height,
        member_unreadable=member_book.unreadable_rows,
        ccp_unreadable=ccp_book.unreadable_rows,
        member_sources=(member_book.source,),
        ccp_sources=(ccp_book.source,),
    )


def with_breaks(
    result: Reconciliation, more: list[pl.DataFrame], sources: tuple[str, ...] = ()
) -> Reconciliation:
    """``result`` with further breaks (figures, aggregates: the break columns without ``break_id``) and the
    sources they came from."""
    found = [p.select(list(BREAK_SCHEMA)[1:]) for p in more if p.height]
    if not found:
        return replace(result, ccp_sources=result.ccp_sources + sources) if sources else result
    extra = _with_ids(result.member, pl.concat(found, how="vertical"))
    merged = pl.concat([result.breaks, extra], how="vertical").sort(
        ["break_type", "key", "field"], nulls_last=True
    )
    return replace(result, breaks=merged, ccp_sources=result.ccp_sources + sources)


class _Side:
    """One book and how to address its rows by position (``_mi`` / ``_ci``)."""

    def __init__(self, frame: pl.DataFrame, source: str, index: str) -> None:
        self.frame, self.source, self.index = frame, source, index

    def keys(self, other_side_problems: tuple[CellProblem, ...]) -> pl.DataFrame:
        """Row position, identifiers and row number of every row not set aside.

        Rows whose counterpart is unreadable are set aside: the INPUT_ERROR already covers them.
        """
        keys = self.frame.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(self.index), "trade_id", "uti", ROW
        )
        ids = {p.trade_id for p in other_side_problems if p.trade_id}
        utis = {p.uti for p in other_side_problems if p.uti and not p.trade_id}
        if ids or utis:
            hit = pl.col("trade_id").is_in(list(ids)).fill_null(False) | pl.col("uti").is_in(
                list(utis)
            ).fill_null(False)
            keys = keys.filter(~hit)
        return keys

    def rows(self, keys: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
        return self.frame.select(pl.col(col).gather(keys[self.index]) for col in columns)

    def with_econ(self, keys: pl.DataFrame) -> pl.DataFrame:
        return keys.with_columns(_econ_key(self.rows(keys, list(MATCH_ECONOMICS))).alias("_econ"))


def _econ_key(frame: pl.DataFrame) -> pl.Series:
    """A readable key of the matching economics (amounts rounded to cents, rates to 1e-10)."""
    parts = []
    for col in MATCH_ECONOMICS:
        expr = pl.col(col)
        if col == "notional":
            expr = expr.round(2)
        elif col in NUMERIC_COLUMNS:
            expr = expr.round(10)
        parts.append(expr.cast(pl.String).fill_null(""))
    return frame.select(pl.concat_str(parts, separator="|")).to_series()


def _match(
    m: pl.DataFrame,
    c: pl.DataFrame,
    key: str,
    by: MatchedBy,
    side_m: _Side,
    side_c: _Side,
    parts: list[pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Pair key frames on ``key``: (pairs ``_mi, _ci, _by``, member-only ``_mi``, CCP-only ``_ci``).

    A key carried by more than one member row, or by more than one CCP row where a member row carries it
    (or, for the CCP trade id, at all), is reported as DUPLICATE_KEY and none of its rows goes further.
    One join does the work; duplicates are found from repeated row positions in its result.
    """
    j = _join(m, c, key, side_m, side_c)
    has_m, has_c = pl.col("_mi").is_not_null(), pl.col("_ci").is_not_null()
    inner = j.filter(has_m & has_c)
    m_only = j.filter(~has_c)
    c_only = j.filter(~has_m)
    if inner["_mi"].n_unique() == inner["_ci"].n_unique() == inner.height:
        inner_dup = pl.repeat(False, inner.height, eager=True)
    else:
        inner_dup = inner.select(pl.col("_mi").is_duplicated() | pl.col("_ci").is_duplicated()).to_series()
    m_dup = m_only.select(pl.col(key).is_duplicated()).to_series()
    c_dup = c_only.select(pl.col(key).is_duplicated() & pl.lit(key == "trade_id")).to_series()
    if inner_dup.any() or m_dup.any() or c_dup.any():
        rows = pl.concat(
            [inner.filter(inner_dup), m_only.filter(m_dup), c_only.filter(c_dup)], how="vertical"
        )
        parts.append(_duplicate_breaks(rows, key, side_m, side_c))
        inner, m_only, c_only = inner.filter(~inner_dup), m_only.filter(~m_dup), c_only.filter(~c_dup)
    pairs = inner.select("_mi", "_ci", pl.lit(by.value).alias("_by"))
    return pairs, m_only.select("_mi"), c_only.select("_ci")


_HASH_JOIN_ROWS: Final[int] = 50_000


def _join(m: pl.DataFrame, c: pl.DataFrame, key: str, side_m: _Side, side_c: _Side) -> pl.DataFrame:
    """Full join of two key frames: ``_mi, key, _mrow, _ci, _crow``.

    Large identifier joins go through a 64-bit hash of the key (much cheaper than hashing text twice), then
    every joined pair is checked on the text itself; should two different ids ever share a hash, the join
    is redone on the text.
    """
    left = m.select("_mi", key, pl.col(ROW).alias("_mrow"))
    right = c.select("_ci", key, pl.col(ROW).alias("_crow"))
    if key == "_econ" or max(m.height, c.height) < _HASH_JOIN_ROWS:
        return left.join(right, on=key, how="full", coalesce=True)
    hashed = left.select("_mi", pl.col(key).hash(seed=11).alias("_h"), "_mrow").join(
        right.select("_ci", pl.col(key).hash(seed=11).alias("_h"), "_crow"),
        on="_h",
        how="full",
        coalesce=True,
    )
    m_key = side_m.frame[key].gather(hashed["_mi"])
    c_key = side_c.frame[key].gather(hashed["_ci"])
    if (m_key.is_not_null() & c_key.is_not_null() & (m_key != c_key)).any():
        return left.join(right, on=key, how="full", coalesce=True)
    return hashed.select("_mi", pl.coalesce(m_key, c_key).alias(key), "_mrow", "_ci", "_crow")


def _duplicate_breaks(rows: pl.DataFrame, key: str, side_m: _Side, side_c: _Side) -> pl.DataFrame:
    counts = rows.group_by(key).agg(
        pl.col("_mi").drop_nulls().n_unique().alias("_m"),
        pl.col("_ci").drop_nulls().n_unique().alias("_c"),
        pl.col("_mrow").min().alias("_mrow"),
        pl.col("_crow").min().alias("_crow"),
    )
    label = {"_econ": "economics"}.get(key, key)
    return counts.select(
        pl.lit(BreakType.DUPLICATE_KEY.value).alias("break_type"),
        (pl.lit(f"{label}=") + pl.col(key)).alias("key"),
        (pl.col(key) if key == "trade_id" else pl.lit(None, dtype=pl.String)).alias("trade_id"),
        (pl.col(key) if key == "uti" else pl.lit(None, dtype=pl.String)).alias("uti"),
        pl.lit(label).alias("field"),
        pl.format("{} rows", pl.col("_m")).alias("member_value"),
        pl.format("{} rows", pl.col("_c")).alias("ccp_value"),
        pl.lit(None, dtype=pl.Float64).alias("difference"),
        pl.when(pl.col("_m") > 1)
        .then(pl.lit(side_m.source))
        .otherwise(pl.lit(side_c.source))
        .alias("source_file"),
        pl.when(pl.col("_m") > 1).then(pl.col("_mrow")).otherwise(pl.col("_crow")).alias("source_row"),
        pl.format(
            "{} member row(s) and {} CCP row(s) carry this {}; none of them is paired",
            pl.col("_m"),
            pl.col("_c"),
            pl.lit(label.replace("_", " ")),
        ).alias("message"),
    )


def _missing(side: _Side, keys: pl.DataFrame, kind: BreakType) -> pl.DataFrame:
    if keys.height == 0:
        return pl.DataFrame()
    frame = side.rows(keys, ["trade_id", "uti", "direction", "currency", "notional", "maturity_date", ROW])
    frame = frame.with_columns(_econ_key(side.rows(keys, list(MATCH_ECONOMICS))).alias("_econ"))
    key = (
        pl.when(pl.col("trade_id").is_not_null())
        .then(pl.lit("trade_id=") + pl.col("trade_id"))
        .when(pl.col("uti").is_not_null())
        .then(pl.lit("uti=") + pl.col("uti"))
        .otherwise(pl.lit("economics=") + pl.col("_econ"))
    )
    where = "member" if kind is BreakType.MISSING_AT_CCP else "CCP"
    value = pl.format(
        "{} {} {} {}",
        pl.col("direction"),
        pl.col("currency"),
        pl.col("notional").cast(pl.String),
        pl.col("maturity_date").cast(pl.String),
    )
    return frame.select(
        pl.lit(kind.value).alias("break_type"),
        key.alias("key"),
        pl.col("trade_id"),
        pl.col("uti"),
        pl.lit(None, dtype=pl.String).alias("field"),
        (value if kind is BreakType.MISSING_AT_CCP else pl.lit(None, dtype=pl.String)).alias("member_value"),
        (value if kind is BreakType.MISSING_AT_MEMBER else pl.lit(None, dtype=pl.String)).alias("ccp_value"),
        (pl.col("notional") if kind is BreakType.MISSING_AT_CCP else -pl.col("notional")).alias("difference"),
        pl.lit(side.source).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.lit(f"row found only in the {where} file").alias("message"),
    )


def _compare(side_m: _Side, side_c: _Side, pairs: pl.DataFrame, tolerances: Tolerances) -> list[pl.DataFrame]:
    """One break per differing field of each pair; one column pair in memory at a time."""
    out: list[pl.DataFrame] = []
    if pairs.height == 0:
        return out
    # Only pairs found by UTI can disagree on the CCP trade id (the others matched on it, or lack it).
    by_uti = pairs.filter(pl.col("_by") == MatchedBy.UTI.value)
    for col in _COMPARED:
        subset = by_uti if col == "trade_id" else pairs
        if subset.height == 0:
            continue
        mi, ci = subset["_mi"], subset["_ci"]
        both = pl.DataFrame(
            [side_m.frame[col].gather(mi).alias("m"), side_c.frame[col].gather(ci).alias("c")]
        )
        m, c = pl.col("m"), pl.col("c")
        diff: pl.Expr
        if col in NUMERIC_COLUMNS:
            tol = tolerances.of(col)
            diff = (m - c).round(10)
            beyond = diff.abs() > (tol.abs + tol.rel * c.abs())
            differs = (
                pl.when(m.is_null() & c.is_null())
                .then(False)
                .when(m.is_null() | c.is_null())
                .then(True)
                .otherwise(beyond)
            )
        elif col in DATE_COLUMNS:
            diff = (m - c).dt.total_days().cast(pl.Float64)
            differs = m.ne_missing(c)
        elif col in ("trade_id", "uti"):  # an identifier the member does not carry is not a break
            diff = pl.lit(None, dtype=pl.Float64)
            differs = m.is_not_null() & c.is_not_null() & (m != c)
        else:
            diff = pl.lit(None, dtype=pl.Float64)
            differs = m.ne_missing(c)
        mask = both.select(differs.fill_null(False)).to_series()
        if not mask.any():
            continue
        hit = subset.filter(mask)
        values = both.filter(mask)
        ids = side_c.rows(hit, ["trade_id", "uti"])
        m_ids = side_m.rows(hit, ["uti", ROW])
        kind = {"status": BreakType.STATUS_MISMATCH, "npv": BreakType.VALUATION_MISMATCH}.get(
            col, BreakType.ECONOMIC_MISMATCH
        )
        frame = pl.DataFrame(
            [
                hit["_by"],
                ids["trade_id"].alias("c_tid"),
                ids["uti"].alias("c_uti"),
                m_ids["uti"].alias("m_uti"),
                m_ids[ROW].alias("m_row"),
                values["m"],
                values["c"],
            ]
        )
        out.append(
            frame.select(
                pl.lit(kind.value).alias("break_type"),
                pl.when(pl.col("_by") == MatchedBy.UTI.value)
                .then(pl.lit("uti=") + pl.col("c_uti"))
                .otherwise(pl.lit("trade_id=") + pl.col("c_tid"))
                .alias("key"),
                pl.col("c_tid").alias("trade_id"),
                pl.coalesce(pl.col("c_uti"), pl.col("m_uti")).alias("uti"),
                pl.lit(col).alias("field"),
                _shown(m, col).alias("member_value"),
                _shown(c, col).alias("ccp_value"),
                diff.alias("difference"),
                pl.lit(side_m.source).alias("source_file"),
                pl.col("m_row").alias("source_row"),
                pl.format("matched by {}; {} differs", pl.col("_by"), pl.lit(col)).alias("message"),
            )
        )
    return out


def _shown(value: pl.Expr, col: str) -> pl.Expr:
    """A value as text, without binary floating-point noise (0.048405, not 0.048405000000000004)."""
    return (value.round(10) if col in NUMERIC_COLUMNS else value).cast(pl.String)


def _input_errors(problems: tuple[CellProblem, ...], side: str) -> pl.DataFrame:
    rows = []
    for p in problems:
        ident = f"trade_id={p.trade_id}" if p.trade_id else f"uti={p.uti}" if p.uti else f"row={p.row}"
        rows.append(
            {
                "break_type": BreakType.INPUT_ERROR.value,
                "key": f"{side}:{ident}",
                "trade_id": p.trade_id,
                "uti": p.uti,
                "field": p.column,
                "member_value": p.value if side == "member" else None,
                "ccp_value": p.value if side == "ccp" else None,
                "difference": None,
                "source_file": p.file,
                "source_row": p.row,
                "message": p.message,
            }
        )
    return pl.DataFrame(rows, schema={k: v for k, v in BREAK_SCHEMA.items() if k != "break_id"})


def break_id(member: str, break_type: str, key: str, field_name: str | None) -> str:
    """Stable across days: the same break on the same trade and field has the same id."""
    text = "\x1f".join((member, break_type, key, field_name or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _with_ids(member: str, breaks: pl.DataFrame) -> pl.DataFrame:
    # A key repeated within one run (two unreadable rows of one trade) gets a #n suffix so ids stay unique.
    breaks = breaks.with_columns(pl.int_range(pl.len()).over(["break_type", "key", "field"]).alias("_n"))
    breaks = breaks.with_columns(
        pl.when(pl.col("_n") > 0)
        .then(pl.format("{}#{}", pl.col("key"), pl.col("_n") + 1))
        .otherwise(pl.col("key"))
        .alias("key")
    ).drop("_n")
    ids = [break_id(member, t, k, f) for t, k, f in breaks.select("break_type", "key", "field").iter_rows()]
    out = breaks.with_columns(pl.Series("break_id", ids, dtype=pl.String)).select(list(BREAK_SCHEMA))
    return out.sort(["break_type", "key", "field"], nulls_last=True)
