"""Read a book (CSV, Parquet or a frame) into the standard layout, keeping every unreadable cell as a problem.

A row with any unreadable cell is left out of matching and reported (``CellProblem``); every other row is
reconciled. A file that cannot be used at all (missing, empty, wrong columns, another member's book) raises
``InputRejected``. Work is vectorised with polars so a million rows load in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from recon.errors import CellProblem, unusable
from recon.layout import (
    DATE_COLUMNS,
    ENDED_STATUSES,
    LIFECYCLE_COLUMNS,
    LIFECYCLE_DATES,
    LIFECYCLE_NUMERIC,
    NUMERIC_COLUMNS,
    OPTIONAL_VALUES,
    POSITION_COLUMNS,
    STATUSES,
    Direction,
)
from recon.mapping import STANDARD, BookMapping

ROW = "_row"  # 1-based data row number in the source (1 = first row after a CSV header)
_SAMPLE = 4096  # rows looked at to decide whether a text column is low-cardinality (parse each value once)
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_CURRENCY = r"^[A-Z]{3}$"
_TENOR = r"^\d+[DWMY]$"


class Side(StrEnum):
    MEMBER = "member"
    CCP = "ccp"


@dataclass(frozen=True, slots=True)
class LoadedBook:
    """The readable rows in the standard layout (typed, plus ``_row``) and every problem found."""

    source: str
    side: Side
    frame: pl.DataFrame
    problems: tuple[CellProblem, ...]
    rows_read: int

    @property
    def unreadable_rows(self) -> int:
        return len({p.row for p in self.problems})


TYPED_SCHEMA: dict[str, Any] = {
    c: (pl.Float64 if c in NUMERIC_COLUMNS else pl.Date if c in DATE_COLUMNS else pl.String)
    for c in POSITION_COLUMNS
}


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file's cells before parsing; rows that could not even be split into fields are problems already."""

    frame: pl.DataFrame
    rows: pl.Series | None = None  # data row number of each frame row, when some rows were dropped
    problems: tuple[CellProblem, ...] = ()


def read_table(path: Path, mapping: BookMapping = STANDARD) -> RawTable:
    """The file as it is (CSV cells as text), or ``InputRejected`` when it cannot be read at all.

    A CSV row with more or fewer fields than the header is a problem of that row only.
    """
    name = str(path)
    if not path.is_file():
        raise unusable(name, "file", "file does not exist")
    fmt = mapping.file_format or ("parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv")
    if path.stat().st_size == 0:
        raise unusable(name, "file", "file is empty (no header, no rows)")
    try:
        if fmt == "parquet":
            frame = pl.read_parquet(path)
            return RawTable(frame.rename({c: c.strip() for c in frame.columns}))
        return _read_csv(path, mapping)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise unusable(name, "file", f"cannot be read as {fmt.upper()}: {first}") from None


def _read_csv(path: Path, mapping: BookMapping) -> RawTable:
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    name = str(path)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle, delimiter=mapping.delimiter), [])
    names = [h.strip() for h in header]
    if not any(names):
        raise unusable(name, "file", "file is empty (no header, no rows)")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise unusable(name, "header", f"column(s) {', '.join(repeated)} appear more than once")
    ragged: list[CellProblem] = []

    def skip(row: Any) -> str:
        ragged.append(
            CellProblem(
                name,
                int(row.number) - 1 if row.number is not None else 0,
                "(row)",
                row.text[:200],
                f"has {row.actual_columns} fields where the header has {row.expected_columns}",
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=mapping.delimiter, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc):
            raise ValueError(str(exc)) from None
        # Not UTF-8: read leniently (undecodable bytes become U+FFFD and fail their column's rule).
        lossy = pl.read_csv(path, infer_schema=False, separator=mapping.delimiter, encoding="utf8-lossy")
        return RawTable(lossy.rename(dict(zip(lossy.columns, names, strict=True))))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if not ragged:
        return RawTable(frame)
    skipped = {p.row for p in ragged}
    total = frame.height + len(skipped)
    kept = pl.Series(ROW, [r for r in range(1, total + 1) if r not in skipped], dtype=pl.Int64)
    return RawTable(frame, kept, tuple(sorted(ragged, key=lambda p: p.row)))


def load_book(path: Path, *, member: str, side: Side, mapping: BookMapping = STANDARD) -> LoadedBook:
    raw = read_table(path, mapping)
    return normalise(
        raw.frame,
        source=str(path),
        member=member,
        side=side,
        mapping=mapping,
        row_numbers=raw.rows,
        read_problems=raw.problems,
    )


def normalise(
    raw: pl.DataFrame | Any,
    *,
    source: str,
    member: str,
    side: Side,
    mapping: BookMapping = STANDARD,
    row_numbers: pl.Series | None = None,
    read_problems: tuple[CellProblem, ...] = (),
) -> LoadedBook:
    """Map, parse and check ``raw`` (polars or pandas) into the standard layout.

    ``row_numbers`` gives each row's number in the source when some were dropped while reading; their
    ``read_problems`` are reported with the rest.
    """
    if not isinstance(raw, pl.DataFrame):
        raw = pl.from_pandas(raw)
    missing = [
        f"{c} (from '{mapping.source_column(c)}')" if c in mapping.columns else c
        for c in POSITION_COLUMNS
        if mapping.source_column(c) not in raw.columns and c not in mapping.defaults
    ]
    if missing:
        found = ", ".join(raw.columns) or "none"
        raise unusable(source, "header", f"missing column(s): {', '.join(missing)}; columns found: {found}")
    n = raw.height
    values: dict[str, pl.Series] = {}
    errors: dict[str, pl.Series] = {}
    originals: dict[str, pl.Series] = {}
    for column in POSITION_COLUMNS:
        src = mapping.source_column(column)
        if src in raw.columns:
            series = raw.get_column(src)
        else:
            series = pl.repeat(mapping.defaults[column], n, dtype=pl.String, eager=True)
        originals[column] = series
        value, error = _column(series.alias(column), column, mapping, side)
        values[column] = value.alias(column)
        if error.null_count() < n:
            errors[column] = error
    for column in LIFECYCLE_COLUMNS:  # optional: a book that leaves one out has no value for it
        src = mapping.source_column(column)
        if src in raw.columns:
            series = raw.get_column(src)
        else:
            dtype = (
                pl.Float64
                if column in LIFECYCLE_NUMERIC
                else pl.Date
                if column in LIFECYCLE_DATES
                else pl.String
            )
            series = pl.repeat(None, n, dtype=dtype, eager=True)
        originals[column] = series
        value, error = _column(series.alias(column), column, mapping, side)
        values[column] = value.alias(column)
        if error.null_count() < n:
            errors[column] = error
    if "notional" in errors:  # a trade a lifecycle event ended may show a notional of zero
        ended = values["status"].is_in(list(ENDED_STATUSES)).fill_null(False) & (
            values["notional"] == 0
        ).fill_null(False)
        if ended.any():
            errors["notional"] = pl.select(
                pl.when(ended).then(None).otherwise(errors["notional"])
            ).to_series()
            if errors["notional"].null_count() == n:
                del errors["notional"]
    maturity_rule = (values["maturity_date"] <= values["effective_date"]).fill_null(False)
    if maturity_rule.any():
        current = errors.get("maturity_date", pl.repeat(None, n, dtype=pl.String, eager=True))
        errors["maturity_date"] = pl.select(
            pl.when(maturity_rule & current.is_null())
            .then(pl.lit("maturity date is not after the effective date"))
            .otherwise(current)
        ).to_series()
    rows = row_numbers if row_numbers is not None else pl.int_range(1, n + 1, dtype=pl.Int64, eager=True)
    frame = pl.DataFrame([*values.values(), rows.alias(ROW)])
    foreign = _member_rule(frame, member, side, source)
    if side is Side.MEMBER and foreign.any():
        current = errors.get("member", pl.repeat(None, n, dtype=pl.String, eager=True))
        text = pl.format("row belongs to member '{}', not {}", pl.col("member"), pl.lit(member))
        errors["member"] = frame.select(
            pl.when(foreign & current.is_null()).then(text).otherwise(current)
        ).to_series()
    if errors:
        bad = pl.select(pl.any_horizontal([e.is_not_null() for e in errors.values()])).to_series()
        problems = _problems(
            frame.filter(bad),
            {c: e.filter(bad) for c, e in errors.items()},
            {c: originals[c].filter(bad) for c in errors},
            source,
        )
        keep = ~bad
    else:
        problems = ()
        keep = None
    if side is Side.CCP and foreign.any():
        keep = ~foreign if keep is None else keep & ~foreign
    if keep is not None:
        frame = frame.filter(keep)
    if read_problems:
        problems = tuple(sorted((*read_problems, *problems), key=lambda p: p.row))
    return LoadedBook(
        source=source, side=side, frame=frame, problems=problems, rows_read=n + len(read_problems)
    )


def _column(series: pl.Series, column: str, mapping: BookMapping, side: Side) -> tuple[pl.Series, pl.Series]:
    """(typed values, error message or null) for one column; low-cardinality text is parsed once per value."""
    dtype = series.dtype
    required = column not in OPTIONAL_VALUES or (column == "trade_id" and side is Side.CCP)
    missing = f"{column} is required but empty"
    dated, numeric = (
        column in DATE_COLUMNS or column in LIFECYCLE_DATES,
        column in NUMERIC_COLUMNS or column in LIFECYCLE_NUMERIC,
    )
    if dtype == pl.Null:
        series = series.cast(pl.String)
        dtype = series.dtype
    if dated and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        value = series.dt.date() if isinstance(dtype, pl.Datetime) else series
        return value, _required(value, required, missing)
    if numeric and dtype.is_numeric():
        value = series.cast(pl.Float64)
        bad = pl.select(
            pl.when(value.is_not_null() & ~value.is_finite()).then(pl.lit("not a finite number"))
        ).to_series()
        err = _required(value, required, missing)
        error = pl.select(pl.coalesce(err, bad)).to_series()
        if column == "notional":
            error = pl.select(
                pl.when(error.is_null() & (value <= 0))
                .then(pl.lit("notional must be positive"))
                .otherwise(error)
            ).to_series()
        return value, error
    text = series.cast(pl.String)
    sample = text.head(_SAMPLE)
    if sample.n_unique() * 4 <= len(sample) and (unique := text.unique()).len() * 4 <= len(text):
        table = unique.to_frame("t").select(
            pl.col("t"), *_parse_text(column, pl.col("t"), mapping, required, missing)
        )
        if (
            table["e"].null_count() == table.height
            and table.schema["v"] == pl.String
            and table.select(pl.col("v").eq_missing(pl.col("t")).all()).item()
        ):
            return text, pl.repeat(None, len(text), dtype=pl.String, eager=True)
        out = text.to_frame("t").join(table, on="t", how="left", nulls_equal=True, maintain_order="left")
        return out["v"], out["e"]
    out = text.to_frame("t").select(*_parse_text(column, pl.col("t"), mapping, required, missing))
    return out["v"], out["e"]


def _required(value: pl.Series, required: bool, message: str) -> pl.Series:
    if required and value.null_count():
        return pl.select(pl.when(value.is_null()).then(pl.lit(message))).to_series().cast(pl.String)
    return pl.repeat(None, len(value), dtype=pl.String, eager=True)


def _parse_text(
    column: str, cell: pl.Expr, mapping: BookMapping, required: bool, missing: str
) -> tuple[pl.Expr, pl.Expr]:
    """Expressions giving (value ``v``, error ``e``) of text cells."""
    stripped = cell.str.strip_chars()
    raw = pl.when(stripped == "").then(None).otherwise(stripped)
    value, error = _parse(column, raw, mapping)
    error = (
        pl.when(raw.str.contains("\ufffd", literal=True))
        .then(pl.lit(f"{column} holds bytes that are not UTF-8 text"))
        .otherwise(error)
    )
    if required:
        error = pl.when(raw.is_null()).then(pl.lit(missing)).otherwise(error)
    else:
        error = pl.when(raw.is_null()).then(None).otherwise(error)
    return value.alias("v"), error.cast(pl.String).alias("e")


def _parse(column: str, raw: pl.Expr, mapping: BookMapping) -> tuple[pl.Expr, pl.Expr]:
    if column in NUMERIC_COLUMNS or column in LIFECYCLE_NUMERIC:
        value, error = _number(column, raw, mapping)
        if column == "notional":
            error = (
                pl.when(error.is_null() & (value <= 0))
                .then(pl.lit("notional must be positive"))
                .otherwise(error)
            )
    elif column in DATE_COLUMNS or column in LIFECYCLE_DATES:
        fmt = mapping.date_format(column)
        value = raw.str.to_date(fmt, strict=False)
        error = pl.when(raw.is_not_null() & value.is_null()).then(
            pl.concat_str(pl.lit("'"), raw, pl.lit(f"' is not a date in the format {fmt}"))
        )
    elif column == "direction":
        codes = {d.value: d.value for d in Direction} | dict(mapping.direction_codes)
        value, error = _code(raw, codes, "direction")
    elif column == "status":
        codes = {s.upper(): s for s in STATUSES} | dict(mapping.status_codes)
        value, error = _code(raw, codes, "status")
    elif column == "currency":
        value = raw.str.to_uppercase()
        error = pl.when(~value.str.contains(_CURRENCY)).then(
            pl.format("'{}' is not an ISO 4217 currency code", raw)
        )
    elif column == "index_tenor":
        value = raw.str.to_uppercase().str.replace_all(" ", "", literal=True)
        error = pl.when(~value.str.contains(_TENOR)).then(
            pl.format("'{}' is not a tenor such as 3M or 6M", raw)
        )
    else:
        value = raw
        error = pl.lit(None, dtype=pl.String)
    return value, error


def _number(column: str, raw: pl.Expr, mapping: BookMapping) -> tuple[pl.Expr, pl.Expr]:
    text = raw.str.strip_suffix("%").str.strip_chars()
    if mapping.thousands:
        text = text.str.replace_all(mapping.thousands, "", literal=True)
    if mapping.decimal != ".":
        text = text.str.replace_all(mapping.decimal, ".", literal=True)
    ok = text.str.contains(_NUMBER)
    value = pl.when(ok).then(text.cast(pl.Float64, strict=False)).otherwise(None)
    scale = mapping.scale(column)
    if scale != 1.0:
        value = value * scale
    described = f"thousands separator '{mapping.thousands}', " if mapping.thousands else ""
    error = pl.when(~ok).then(
        pl.concat_str(
            pl.lit("'"), raw, pl.lit(f"' is not a number ({described}decimal separator '{mapping.decimal}')")
        )
    )
    return value, error


def _code(raw: pl.Expr, codes: dict[str, str], what: str) -> tuple[pl.Expr, pl.Expr]:
    key = raw.str.to_uppercase()
    value = key.replace_strict(codes, default=None, return_dtype=pl.String)
    known = ", ".join(sorted(codes))
    error = pl.when(value.is_null()).then(
        pl.format("'{}' is not a known {} code (known: {})", raw, pl.lit(what), pl.lit(known))
    )
    return value, error


def _member_rule(frame: pl.DataFrame, member: str, side: Side, source: str) -> pl.Series:
    """Rows of another member. A member book must be that member's; a CCP file may hold others' rows."""
    foreign = frame.select(
        (pl.col("member").is_not_null() & (pl.col("member") != member)).alias("f")
    ).to_series()
    if side is Side.MEMBER and foreign.any():
        owners = frame.filter(pl.col("member").is_not_null())["member"].unique().sort().to_list()
        if member not in owners:
            raise unusable(
                source,
                "column member",
                f"this book belongs to member {', '.join(owners[:3])}, not {member}; wrong file?",
            )
    return foreign


def _problems(
    bad: pl.DataFrame, errors: dict[str, pl.Series], originals: dict[str, pl.Series], source: str
) -> tuple[CellProblem, ...]:
    order = {c: i for i, c in enumerate((*POSITION_COLUMNS, *LIFECYCLE_COLUMNS))}
    found: list[CellProblem] = []
    rows = bad[ROW].to_list()
    tids = bad["trade_id"].to_list()
    utis = bad["uti"].to_list()
    for column in sorted(errors, key=order.__getitem__):
        raw = originals[column].cast(pl.String).to_list()
        for i, message in enumerate(errors[column].to_list()):
            if message is not None:
                value = raw[i].strip() if isinstance(raw[i], str) and raw[i].strip() else None
                found.append(CellProblem(source, rows[i], column, value, message, tids[i], utis[i]))
    found.sort(key=lambda p: (p.row, order[p.column]))
    return tuple(found)
