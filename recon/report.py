"""The outputs of a run: breaks.csv, summary.json, report.html and report.pdf."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from recon import charts
from recon.engine import BEYOND_POSITIONS, BreakType, Reconciliation

BREAKS_CSV_COLUMNS: Final[tuple[str, ...]] = (
    "break_id",
    "break_type",
    "trade_id",
    "uti",
    "field",
    "member_value",
    "ccp_value",
    "difference",
    "first_seen",
    "age_business_days",
    # Beyond the required ten: where an unreadable row is, what the break means, any comment.
    "key",
    "source_file",
    "source_row",
    "message",
    "comment",
)
AGE_BUCKETS: Final[tuple[tuple[str, int, int], ...]] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2-5", 2, 5),
    ("6-10", 6, 10),
    (">10", 11, 1 << 30),
)
REPORT_ROWS: Final[int] = 500  # breaks listed in report.html (all of them are in breaks.csv)
PDF_ROWS: Final[int] = 100  # breaks listed in report.pdf: the printable page for the morning meeting


@dataclass(frozen=True, slots=True)
class Outputs:
    breaks_csv: Path
    summary_json: Path
    report_html: Path
    report_pdf: Path | None


def ordered(aged: pl.DataFrame) -> pl.DataFrame:
    """Oldest first, then largest absolute difference, then type and key: stable for diffs between days."""
    return (
        aged.with_columns(pl.col("difference").abs().alias("_size"))
        .sort(
            ["age_business_days", "_size", "break_type", "key", "field"],
            descending=[True, True, False, False, False],
            nulls_last=True,
        )
        .drop("_size")
    )


def summary(
    result: Reconciliation, aged: pl.DataFrame, business_date: date, at: datetime, closed: int
) -> dict[str, Any]:
    by_type = result.counts()
    ages = aged["age_business_days"] if aged.height else pl.Series([], dtype=pl.Int64)
    return {
        "member": result.member,
        "business_date": business_date.isoformat(),
        "generated_at": at.isoformat(timespec="seconds"),
        "member_rows": result.member_rows,
        "ccp_rows": result.ccp_rows,
        "member_unreadable_rows": result.member_unreadable,
        "ccp_unreadable_rows": result.ccp_unreadable,
        "matched": result.matched,
        "matched_by": result.matched_by,
        "match_rate": result.match_rate,
        "breaks": aged.height,
        "by_type": by_type,
        "by_age": {name: int(((ages >= lo) & (ages <= hi)).sum()) for name, lo, hi in AGE_BUCKETS},
        "oldest_age": int(ages.max()) if aged.height else 0,  # type: ignore[arg-type]
        "closed_today": closed,
        "sources": {"member": ", ".join(result.member_sources), "ccp": ", ".join(result.ccp_sources)},
    }


def write_all(out: Path, aged: pl.DataFrame, info: dict[str, Any], *, pdf: bool = True) -> Outputs:
    out.mkdir(parents=True, exist_ok=True)
    rows = ordered(aged)
    csv_path = out / "breaks.csv"
    rows.select(
        [pl.col(c).cast(pl.String) if c in ("first_seen",) else pl.col(c) for c in BREAKS_CSV_COLUMNS]
    ).write_csv(csv_path)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(info, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(rows, info, REPORT_ROWS), encoding="utf-8")
    pdf_path: Path | None = None
    if pdf:
        from weasyprint import HTML

        pdf_path = out / "report.pdf"
        HTML(string=render_html(rows, info, PDF_ROWS), base_url=str(out)).write_pdf(pdf_path)
    return Outputs(csv_path, summary_path, html_path, pdf_path)


def render_html(rows: pl.DataFrame, info: dict[str, Any], limit: int = REPORT_ROWS) -> str:
    env = Environment(
        loader=PackageLoader("recon", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    template = env.get_template("report.html.j2")
    # the figure and aggregate types only when the run has such breaks (most runs have no such input)
    kinds = [t.value for t in BreakType if t not in BEYOND_POSITIONS or info["by_type"].get(t.value, 0)]
    ages = rows["age_business_days"] if rows.height else pl.Series([], dtype=pl.Int64)
    types = rows["break_type"] if rows.height else pl.Series([], dtype=pl.String)
    table = {
        kind: [int(((types == kind) & (ages >= lo) & (ages <= hi)).sum()) for _, lo, hi in AGE_BUCKETS]
        for kind in kinds
    }
    shown = rows.head(limit)
    return template.render(
        s=info,
        age_buckets=[name for name, _, _ in AGE_BUCKETS],
        age_table=table,
        chart_type=charts.by_type({k: info["by_type"].get(k, 0) for k in kinds}),
        chart_age=charts.by_age([name for name, _, _ in AGE_BUCKETS], table),
        rows=shown.to_dicts(),
        shown=shown.height,
    )
