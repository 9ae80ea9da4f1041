"""A member's PDF statement of a business date: the figures of its CSV reports, with two charts.

``statement_html`` is pure (the figures in, HTML out); ``render_pdf`` turns it into PDF bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

from gateway.reports.kind import Row, cell


@dataclass(frozen=True, slots=True)
class StatementData:
    member_id: str
    member_name: str
    business_date: date
    counts: Mapping[str, int]  # rows of each CSV report, by kind
    margin: Sequence[Row]  # margin.csv's rows
    collateral: Sequence[Row]  # collateral.csv's rows
    im_history: Mapping[str, Sequence[tuple[date, Decimal]]]  # account -> (date, initial margin), last month
    vm_by_currency: Mapping[str, Decimal]  # the day's VM summed over accounts


_STYLE = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: sans-serif; font-size: 9pt; color: #222; }
h1 { font-size: 14pt; margin: 0 0 2mm 0; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 0.5pt solid #bbb; padding: 1mm 1.5mm; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { width: 100%; }
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
            for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(head)}">none</td></tr>'
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def statement_html(data: StatementData) -> str:
    from gateway.reports import charts  # matplotlib: loaded when a statement is first written

    day = data.business_date.isoformat()
    margin = _table(
        ("account", "currency", "initial margin", "variation margin", "VM balance", "PAI"),
        [[cell(v) for v in r[2:8]] for r in data.margin],
        frozenset({2, 3, 4, 5}),
    )
    collateral = _table(
        ("account", "asset", "kind", "currency", "market value", "collateral value"),
        [[cell(r[2]), cell(r[3]), cell(r[4]), cell(r[5]), cell(r[9]), cell(r[10])] for r in data.collateral],
        frozenset({4, 5}),
    )
    counts = _table(
        ("report", "rows"),
        [[f"{kind}.csv", str(n)] for kind, n in data.counts.items()],
        frozenset({1}),
    )
    im_chart = charts.margin_by_account(data.im_history, "Initial margin by account, last month")
    vm_chart = charts.vm_by_currency(data.vm_by_currency, f"Variation margin by currency, {day}")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Statement {escape(data.member_id)} {day}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Clearing statement: {escape(data.member_name)} ({escape(data.member_id)})</h1>"
        f"<p>Business date {day}. Amounts as in the CSV reports of the same date; "
        "variation margin and PAI positive when paid to the member.</p>"
        f"<h2>Margin by account and currency</h2>{margin}"
        f'<h2>Charts</h2><img src="{im_chart}" alt="initial margin by account">'
        f'<img src="{vm_chart}" alt="variation margin by currency">'
        f"<h2>Collateral held</h2>{collateral}"
        f"<h2>Reports of the day</h2>{counts}"
        "</body></html>"
    )


def render_pdf(html: str) -> bytes:
    """The statement as PDF bytes (weasyprint; slow: call it off the event loop)."""
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)
