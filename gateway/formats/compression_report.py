"""The compression report of a run: ``compression-{run}.csv`` (stable columns, docs/REPORTS.md) and
``compression-{run}.pdf`` (the same figures on a printable page, written by WeasyPrint as clearing-recon's
report is). Values in, files out; nothing else is read."""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gateway.domain.compression import CompressionResult

# One row per line of the report, in this order: each terminated side, each created residual, each bucket
# (before and after), then one total per currency. Columns that do not apply to a row are empty.
CSV_COLUMNS = (
    "run_id",
    "member_id",
    "account_id",
    "row",  # TERMINATED, CREATED, BUCKET or TOTAL
    "ccp_trade_id",
    "bucket",
    "currency",
    "notional_before",
    "notional_after",
    "pv01_before",
    "pv01_after",
    "npv_before",
    "npv_after",
    "trades_before",
    "trades_after",
)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    csv: Path
    pdf: Path | None


def report_rows(result: CompressionResult) -> list[dict[str, str]]:
    """The report's rows as the CSV holds them (every value a string)."""
    req = result.request
    base = {"run_id": req.run_id, "member_id": req.member_id, "account_id": req.account_id}

    def row(kind: str, **values: object) -> dict[str, str]:
        out = dict.fromkeys(CSV_COLUMNS, "")
        out.update(base)
        out["row"] = kind
        out.update({k: "" if v is None else str(v) for k, v in values.items()})
        return out

    rows = [
        row(
            "TERMINATED",
            ccp_trade_id=s.ccp_trade_id,
            bucket=None if s.bucket is None else s.bucket.label,
            currency=s.currency,
            notional_before=s.notional,
            notional_after=Decimal(0),
        )
        for s in result.terminated
    ]
    rows += [
        row(
            "CREATED",
            ccp_trade_id=r.ccp_trade_id,
            bucket=r.bucket.label,
            currency=r.trade.currency,
            notional_before=Decimal(0),
            notional_after=r.trade.streams[0].notional,
        )
        for r in result.created
    ]
    rows += [
        row(
            "BUCKET",
            bucket=b.bucket.label,
            currency=b.bucket.currency,
            notional_before=b.notional_before,
            notional_after=b.notional_after,
            pv01_before=b.pv01_before,
            pv01_after=b.pv01_after,
            npv_before=b.npv_before,
            npv_after=b.npv_after,
            trades_before=b.trades_before,
            trades_after=b.trades_after,
        )
        for b in result.buckets
    ]
    rows += [
        row("TOTAL", currency=ccy, **{k: v for k, v in totals.items()})
        for ccy, totals in sorted(result.totals().items())
    ]
    return rows


def write_report(result: CompressionResult, out_dir: Path, *, pdf: bool = True) -> ReportFiles:
    """Write the run's CSV (and PDF) under ``out_dir``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"compression-{_safe(result.request.run_id)}"
    rows = report_rows(result)
    csv_path = out_dir / f"{stem}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    pdf_path = None
    if pdf:
        from weasyprint import HTML  # heavy: only when a PDF is asked for

        pdf_path = out_dir / f"{stem}.pdf"
        HTML(string=_html(result, rows)).write_pdf(pdf_path)
    return ReportFiles(csv_path, pdf_path)


def _html(result: CompressionResult, rows: list[dict[str, str]]) -> str:
    req = result.request
    e = html.escape

    def table(kind: str, columns: tuple[str, ...]) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(r[c])}</td>" for c in columns) + "</tr>"
            for r in rows
            if r["row"] == kind
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    risk = (
        "bucket",
        "notional_before",
        "notional_after",
        "pv01_before",
        "pv01_after",
        "npv_before",
        "npv_after",
    )
    return (
        "<html><head><style>body{font-family:sans-serif;font-size:8pt}"
        "table{border-collapse:collapse;margin-bottom:10pt}td,th{border:1px solid #999;padding:2pt 4pt}"
        "@page{size:A4 landscape;margin:12mm}</style></head><body>"
        f"<h1>Compression {e(req.run_id)}</h1>"
        f"<p>Business date {result.business_date.isoformat()}. Member {e(req.member_id)}, account "
        f"{e(req.account_id)}, requested by {e(req.requested_by)}: "
        f"{len(result.terminated)} trades terminated, {len(result.created)} created.</p>"
        "<h2>Risk per bucket, before and after</h2>"
        + table("BUCKET", risk)
        + "<h2>Totals per currency</h2>"
        + table("TOTAL", ("currency", *risk[1:]))
        + "<h2>Trades created</h2>"
        + table("CREATED", ("ccp_trade_id", "bucket", "currency", "notional_after"))
        + "<h2>Trades terminated</h2>"
        + table("TERMINATED", ("ccp_trade_id", "bucket", "currency", "notional_before"))
        + "</body></html>"
    )


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
