"""Matching and break classification: pure, vectorised, deterministic.

Pairs a member's rows with the CCP's by CCP trade id, then (rows without one) by UTI, then (rows with
neither) by exact economics. A key carried by more than one row on either side is a DUPLICATE_KEY break and
none of its rows is paired. Matched pairs are compared field by field within the tolerances.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import polars as pl

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
_COMPARED: Final[tuple[str, ...]] = ("uti", *ECONOMIC_FIELDS, "status", "npv")


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The outcome of one member's reconciliation for one day (breaks not yet aged)."""

    member: str
    breaks: pl.DataFrame  # BREAK_SCHEMA columns, sorted by break_type then key
    matched: int
    matched_by: dict[str, int] = field(default_factory=dict)
    member_rows: int = 0  # readable rows
    ccp_rows: int = 0
    member_sources: tuple[str, ...] = ()
    ccp_sources: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        found = dict(self.breaks.group_by("break_type").len().iter_rows()) if self.breaks.height else {}
        return {t.value: int(found.get(t.value, 0)) for t in BreakType}

    @property
    def match_rate(self) -> float:
        """Share of readable rows, both sides together, that found their pair (1.0 when both are empty)."""
        total = self.member_rows + self.ccp_rows
        return 1.0 if total == 0 else round(2 * self.matched / total, 6)


def reconcile(
    member: str, member_book: LoadedBook, ccp_book: LoadedBook, tolerances: Tolerances
) -> Reconciliation:
    m = _set_aside(member_book.frame, ccp_book.problems).with_columns(
        pl.lit(member_book.source).alias("_src")
    )
    c = _set_aside(ccp_book.frame, member_book.problems).with_columns(pl.lit(ccp_book.source).alias("_src"))
    parts: list[pl.DataFrame] = []
    pairs: list[pl.DataFrame] = []

    # 1. CCP trade id: unique on both sides or a DUPLICATE_KEY.
    m_id = m.filter(pl.col("trade_id").is_not_null())
    m_id, c_left = _drop_duplicates(m_id, c, "trade_id", parts, flag_ccp_alone=True)
    paired, m_only, c_left = _match(m_id, c_left, "trade_id", MatchedBy.TRADE_ID)
    pairs.append(paired)
    parts.append(_missing(m_only, BreakType.MISSING_AT_CCP))

    # 2. UTI, for member rows without a CCP trade id.
    m_uti = m.filter(pl.col("trade_id").is_null() & pl.col("uti").is_not_null())
    m_uti, c_left = _drop_duplicates(m_uti, c_left, "uti", parts, flag_ccp_alone=False)
    c_no_uti = c_left.filter(pl.col("uti").is_null())
    paired, m_only, c_left = _match(m_uti, c_left.filter(pl.col("uti").is_not_null()), "uti", MatchedBy.UTI)
    pairs.append(paired)
    parts.append(_missing(m_only, BreakType.MISSING_AT_CCP))
    c_left = pl.concat([c_left, c_no_uti], how="vertical")

    # 3. Exact economics, for member rows with neither identifier.
    m_eco = _with_econ_key(m.filter(pl.col("trade_id").is_null() & pl.col("uti").is_null()))
    m_eco, c_eco = _drop_duplicates(m_eco, _with_econ_key(c_left), "_econ", parts, flag_ccp_alone=False)
    paired, m_only, c_only = _match(m_eco, c_eco, "_econ", MatchedBy.ECONOMICS)
    pairs.append(paired)
    parts.append(_missing(m_only.drop("_econ"), BreakType.MISSING_AT_CCP))
    parts.append(_missing(c_only.drop("_econ"), BreakType.MISSING_AT_MEMBER))

    matched = pl.concat(pairs, how="vertical")
    parts.append(_compare(matched, tolerances))
    parts.append(_input_errors(member_book.problems, "member"))
    parts.append(_input_errors(ccp_book.problems, "ccp"))
    breaks = pl.concat([p.select(list(BREAK_SCHEMA)[1:]) for p in parts if p.height], how="vertical")
    breaks = _with_ids(member, breaks) if breaks.height else pl.DataFrame(schema=BREAK_SCHEMA)
    by = dict(matched.group_by("_by").len().iter_rows()) if matched.height else {}
    return Reconciliation(
        member=member,
        breaks=breaks,
        matched=matched.height,
        matched_by={b.value: int(by.get(b.value, 0)) for b in MatchedBy},
        member_rows=member_book.frame.height,
        ccp_rows=ccp_book.frame.height,
        member_sources=(member_book.source,),
        ccp_sources=(ccp_book.source,),
    )


def _set_aside(frame: pl.DataFrame, other_side_problems: tuple[CellProblem, ...]) -> pl.DataFrame:
    """Rows whose counterpart is unreadable are not reported missing: the INPUT_ERROR already covers them."""
    ids = {p.trade_id for p in other_side_problems if p.trade_id}
    utis = {p.uti for p in other_side_problems if p.uti and not p.trade_id}
    if not ids and not utis:
        return frame
    hit = pl.col("trade_id").is_in(list(ids)).fill_null(False) | pl.col("uti").is_in(list(utis)).fill_null(
        False
    )
    return frame.filter(~hit)


def _drop_duplicates(
    m: pl.DataFrame, c: pl.DataFrame, key: str, parts: list[pl.DataFrame], *, flag_ccp_alone: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Report keys carried by more than one row (member side, or CCP side where it matters) and remove them.

    On the CCP side a repeated trade id is always a break; a repeated UTI or economics only when a member
    row carries that key (otherwise each CCP row is simply missing at the member).
    """
    m_dup = m.filter(pl.col(key).is_duplicated()).select(key)
    c_keyed = c.filter(pl.col(key).is_not_null())
    c_dup = c_keyed.filter(pl.col(key).is_duplicated()).select(key)
    if not flag_ccp_alone:
        c_dup = c_dup.filter(pl.col(key).is_in(m.get_column(key).implode()))
    keys = pl.concat([m_dup, c_dup], how="vertical").unique()
    if keys.height == 0:
        return m, c
    wanted = pl.col(key).is_in(keys.get_column(key).implode())
    mc = (
        m.filter(wanted)
        .group_by(key)
        .agg(pl.len().alias("_m"), pl.col(ROW).min().alias("_mrow"), pl.col("_src").first().alias("_msrc"))
    )
    cc = (
        c_keyed.filter(wanted)
        .group_by(key)
        .agg(pl.len().alias("_c"), pl.col(ROW).min().alias("_crow"), pl.col("_src").first().alias("_csrc"))
    )
    hit = (
        keys.join(mc, on=key, how="left")
        .join(cc, on=key, how="left")
        .with_columns(pl.col("_m").fill_null(0), pl.col("_c").fill_null(0))
    )
    label = {"_econ": "economics"}.get(key, key)
    parts.append(
        hit.select(
            pl.lit(BreakType.DUPLICATE_KEY.value).alias("break_type"),
            (pl.lit(f"{label}=") + pl.col(key)).alias("key"),
            (pl.col(key) if key == "trade_id" else pl.lit(None, dtype=pl.String)).alias("trade_id"),
            (pl.col(key) if key == "uti" else pl.lit(None, dtype=pl.String)).alias("uti"),
            pl.lit(label).alias("field"),
            pl.format("{} rows", pl.col("_m")).alias("member_value"),
            pl.format("{} rows", pl.col("_c")).alias("ccp_value"),
            pl.lit(None, dtype=pl.Float64).alias("difference"),
            pl.when(pl.col("_m") > 1).then(pl.col("_msrc")).otherwise(pl.col("_csrc")).alias("source_file"),
            pl.when(pl.col("_m") > 1).then(pl.col("_mrow")).otherwise(pl.col("_crow")).alias("source_row"),
            pl.format(
                "{} member row(s) and {} CCP row(s) carry this {}; none of them is paired",
                pl.col("_m"),
                pl.col("_c"),
                pl.lit(label.replace("_", " ")),
            ).alias("message"),
        )
    )
    return m.filter(~wanted.fill_null(False)), c.filter(~wanted.fill_null(False))


def _with_econ_key(frame: pl.DataFrame) -> pl.DataFrame:
    """A readable key of the matching economics (amounts rounded to cents, rates to 1e-10)."""
    parts = []
    for col in MATCH_ECONOMICS:
        expr = pl.col(col)
        if col == "notional":
            expr = expr.round(2)
        elif col in NUMERIC_COLUMNS:
            expr = expr.round(10)
        parts.append(expr.cast(pl.String).fill_null(""))
    return frame.with_columns(pl.concat_str(parts, separator="|").alias("_econ"))


def _match(
    m: pl.DataFrame, c: pl.DataFrame, key: str, by: MatchedBy
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Join on a key unique on both sides: (pairs as m.*/c.* columns, member-only rows, CCP-only rows).

    Only the key and row positions go through the join; each row is gathered once afterwards.
    """
    cols = [col for col in m.columns if col != "_econ"]
    mi = m.select(key).with_row_index("_mi")
    ci = c.select(key).with_row_index("_ci")
    j = mi.join(ci, on=key, how="full", coalesce=True).select("_mi", "_ci")
    both = j.filter(pl.col("_mi").is_not_null() & pl.col("_ci").is_not_null())
    pairs = pl.concat(
        [
            m.select(pl.col(col).gather(both["_mi"]).alias(f"m.{col}") for col in cols),
            c.select(pl.col(col).gather(both["_ci"]).alias(f"c.{col}") for col in cols),
        ],
        how="horizontal",
    ).with_columns(pl.lit(by.value).alias("_by"))
    m_only = m.select(pl.all().gather(j.filter(pl.col("_ci").is_null())["_mi"]))
    c_only = c.select(pl.all().gather(j.filter(pl.col("_mi").is_null())["_ci"]))
    return pairs, m_only, c_only


def _missing(frame: pl.DataFrame, kind: BreakType) -> pl.DataFrame:
    frame = _with_econ_key(frame)
    key = (
        pl.when(pl.col("trade_id").is_not_null())
        .then(pl.lit("trade_id=") + pl.col("trade_id"))
        .when(pl.col("uti").is_not_null())
        .then(pl.lit("uti=") + pl.col("uti"))
        .otherwise(pl.lit("economics=") + pl.col("_econ"))
    )
    side = "member" if kind is BreakType.MISSING_AT_CCP else "CCP"
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
        pl.col("notional").alias("difference")
        if kind is BreakType.MISSING_AT_CCP
        else (-pl.col("notional")).alias("difference"),
        pl.col("_src").alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.lit(f"row found only in the {side} file").alias("message"),
    )


def _compare(pairs: pl.DataFrame, tolerances: Tolerances) -> pl.DataFrame:
    if pairs.height == 0:
        return pl.DataFrame(schema={k: v for k, v in BREAK_SCHEMA.items() if k != "break_id"})
    key = (
        pl.when(pl.col("_by") == MatchedBy.TRADE_ID.value)
        .then(pl.lit("trade_id=") + pl.col("c.trade_id"))
        .when(pl.col("_by") == MatchedBy.UTI.value)
        .then(pl.lit("uti=") + pl.col("c.uti"))
        .otherwise(pl.lit("trade_id=") + pl.col("c.trade_id"))
    )
    pairs = pairs.with_columns(key.alias("_key"))
    out: list[pl.DataFrame] = []
    for col in _COMPARED:
        m, c = pl.col(f"m.{col}"), pl.col(f"c.{col}")
        diff: pl.Expr
        if col in NUMERIC_COLUMNS:
            tol = tolerances.of(col)
            diff = m - c
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
        elif col == "uti":
            diff = pl.lit(None, dtype=pl.Float64)
            differs = m.is_not_null() & c.is_not_null() & (m != c)
        else:
            diff = pl.lit(None, dtype=pl.Float64)
            differs = m.ne_missing(c)
        kind = {"status": BreakType.STATUS_MISMATCH, "npv": BreakType.VALUATION_MISMATCH}.get(
            col, BreakType.ECONOMIC_MISMATCH
        )
        hit = pairs.filter(differs)
        if hit.height == 0:
            continue
        out.append(
            hit.select(
                pl.lit(kind.value).alias("break_type"),
                pl.col("_key").alias("key"),
                pl.col("c.trade_id").alias("trade_id"),
                pl.coalesce(pl.col("c.uti"), pl.col("m.uti")).alias("uti"),
                pl.lit(col).alias("field"),
                m.cast(pl.String).alias("member_value"),
                c.cast(pl.String).alias("ccp_value"),
                diff.alias("difference"),
                pl.col("m._src").alias("source_file"),
                pl.col(f"m.{ROW}").alias("source_row"),
                pl.format("matched by {}; {} differs", pl.col("_by"), pl.lit(col)).alias("message"),
            )
        )
    if not out:
        return pl.DataFrame(schema={k: v for k, v in BREAK_SCHEMA.items() if k != "break_id"})
    return pl.concat(out, how="vertical")


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
