"""The members' daily reports on PostgreSQL: end of day's ``reports`` step writes every CSV with its
documented columns and the figures end of day left in the database, a PDF statement showing the same
figures, the checksums and each member's notification; run again, it writes the same bytes and owes no
new notification; ``clearing-gateway report`` reads them back or writes them first, and refuses an
unknown member, date or kind with its reason code."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from gateway.clearing import eod
from gateway.cli.app import app
from gateway.clock import FixedClock
from gateway.refdata.overnight import CsvOvernightRates
from gateway.reports.writer import ReportWriter
from gateway.store import create_engine
from gateway.store import tables as t
from gateway.store.tables import metadata
from tests.clearing.conftest import LEI_A, OPEN_NOW
from tests.clearing.test_eod_cycle import (
    AFTER_CLOSE,
    FIXINGS,
    TRADES,
    WED,
    Node,
    expected_npv,
    expected_pai,
    trade_day_one,
)

D = Decimal
REPORTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "REPORTS.md"
KINDS = ("trades", "statuses", "positions", "margin", "collateral", "movements")


def documented_columns() -> dict[str, list[str]]:
    """Each kind's columns as docs/REPORTS.md lists them: a ``### kind.csv`` heading, then a table whose
    first column is the CSV column in backticks."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in REPORTS_DOC.read_text().splitlines():
        heading = re.match(r"^### `(\w+)\.csv`", line)
        if heading:
            current = heading.group(1)
            out[current] = []
            continue
        if line.startswith("#"):
            current = None
        cell = re.match(r"^\| `(\w+)` \|", line)
        if current is not None and cell:
            out[current].append(cell.group(1))
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture
async def pg_url(postgres_session_url: str) -> AsyncIterator[str]:
    eng = create_engine(postgres_session_url)
    async with eng.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())
    await eng.dispose()
    return postgres_session_url


@pytest.fixture
async def node(pg_url: str, tmp_path: Path) -> AsyncIterator[Node]:
    path = tmp_path / "overnight.csv"
    path.write_text(FIXINGS)
    made = Node(pg_url, FixedClock(OPEN_NOW), CsvOvernightRates.load(path), "reports-test")
    svc = made.service
    svc.reports = ReportWriter(made.engine, tmp_path / "reports", svc.hours, svc.clock)
    yield made
    await made.engine.dispose()


async def day_one_closed(node: Node) -> Path:
    await trade_day_one(node)
    node.service.clock.advance(AFTER_CLOSE)  # type: ignore[attr-defined]
    report = await eod.end_of_day(node.service, WED)
    assert report.failed is None
    assert dict(report.steps)["reports"] == "done"
    assert report.reported == 2
    writer = node.service.reports
    assert isinstance(writer, ReportWriter)
    return writer.root


async def db_rows(node: Node, query: Any) -> list[Any]:
    async with node.engine.connect() as conn:
        return list(await conn.execute(query))


async def test_each_csv_has_the_documented_columns_and_the_days_figures(node: Node) -> None:
    root = await day_one_closed(node)
    documented = documented_columns()
    assert set(documented) >= set(KINDS)
    folder = root / "BANKA" / WED.isoformat()
    tables = {}
    for kind in KINDS:
        columns, rows = read_csv(folder / f"{kind}.csv")
        assert columns == documented[kind], kind
        tables[kind] = rows

    # trades of the day: BANKA's side of T1 and T2, notionals as traded, nothing of BANKB's
    trades = tables["trades"]
    assert sorted((r["notional"], r["direction"]) for r in trades) == sorted(
        (str(n), "PAY" if payer == LEI_A else "RECEIVE") for _, n, payer in TRADES
    )
    own_ids = {
        r.ccp_trade_id
        for r in await db_rows(node, select(t.cleared_trades).where(t.cleared_trades.c.member_id == "BANKA"))
    }
    assert {r["ccp_trade_id"] for r in trades} == own_ids
    assert {r["member"] for r in trades} == {"BANKA"}

    # statuses of the day: every status of the three trades, only BANKA's own ids
    statuses = tables["statuses"]
    assert {r["source_trade_id"] for r in statuses} == {"T1", "T2", "BIG"}
    shown = {i for r in statuses for i in r["ccp_trade_ids"].split(";") if i}
    assert shown == own_ids
    assert any(r["reason_codes"] for r in statuses if r["source_trade_id"] == "BIG")

    # positions: the view's rows for BANKA
    assert {r["trade_id"] for r in tables["positions"]} == own_ids

    # margin: IM as account_risk holds it, VM of day one = the NPV, its PAI at the day's fixing
    # (its client account, never margined, shows zeros)
    client, margin = tables["margin"]
    assert [client[k] for k in ("account", "currency", "initial_margin", "variation_margin", "pai")] == [
        "CLIENT1",
        "AUD",
        "0",
        "0",
        "0",
    ]
    (risk,) = await db_rows(node, select(t.account_risk).where(t.account_risk.c.member_id == "BANKA"))
    assert (margin["account"], margin["currency"]) == ("HOUSE", "AUD")
    assert D(margin["initial_margin"]) == risk.margin > 0
    assert D(margin["variation_margin"]) == expected_npv("BANKA", WED)
    assert D(margin["vm_balance"]) == expected_npv("BANKA", WED)
    assert D(margin["pai"]) == expected_pai(expected_npv("BANKA", WED), WED)

    # collateral and the day's movement
    (held,) = tables["collateral"]
    assert (held["asset_id"], D(held["quantity"]), D(held["collateral_value"])) == (
        "AUD",
        D(100_000_000),
        D(100_000_000),
    )
    (moved,) = tables["movements"]
    assert (moved["asset_id"], D(moved["quantity_delta"])) == ("AUD", D(100_000_000))

    # checksums: SHA256SUMS and the notification name every file with its sha256
    sums = dict(
        reversed(line.split("  "))
        for line in (folder / "SHA256SUMS").read_text().splitlines()  # type: ignore[misc]
    )
    assert set(sums) == {f"{k}.csv" for k in KINDS} | {"statement.pdf"}
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    (notice,) = await db_rows(node, select(t.report_notices).where(t.report_notices.c.member_id == "BANKA"))
    payload = json.loads(notice.payload)
    assert payload["member"] == "BANKA"
    assert payload["business_date"] == WED.isoformat()
    assert {f["name"]: f["sha256"] for f in payload["files"]} == sums
    assert notice.delivered_at is None


async def test_the_pdf_statement_shows_the_figures_of_the_csv(node: Node) -> None:
    root = await day_one_closed(node)
    for member in ("BANKA", "BANKB"):
        folder = root / member / WED.isoformat()
        text = "".join(page.extract_text() for page in pypdf.PdfReader(folder / "statement.pdf").pages)
        flat = re.sub(r"\s+", "", text)
        _, margin = read_csv(folder / "margin.csv")
        for row in margin:
            for column in ("initial_margin", "variation_margin", "vm_balance", "pai"):
                assert row[column] in flat, (member, column, row[column])
        _, held = read_csv(folder / "collateral.csv")
        for row in held:
            assert row["collateral_value"] in flat
        assert member in text
        assert WED.isoformat() in text
        assert "Initial margin by account" in text  # the charts' titles (SVG text)
        assert "Variation margin by currency" in text


async def test_run_again_the_same_files_and_no_new_notification(node: Node) -> None:
    root = await day_one_closed(node)
    folder = root / "BANKB" / WED.isoformat()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    async with node.engine.begin() as conn:  # as if the publisher had sent them
        await conn.execute(update(t.report_notices).values(delivered_at=OPEN_NOW))
    report = await eod.end_of_day(node.service, WED)  # every step again
    assert dict(report.steps)["reports"] == "done"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    owed = await db_rows(node, select(t.report_notices).where(t.report_notices.c.delivered_at.is_(None)))
    assert owed == []


async def cli(*args: str) -> Any:
    """The command line, on a thread of its own (it runs its own event loop)."""
    import gateway.cli.cmd_report  # noqa: F401  (registers the command)

    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_the_report_command_prints_writes_and_refuses(node: Node, pg_url: str, tmp_path: Path) -> None:
    root = await day_one_closed(node)
    base = ["--db", pg_url, "--dir", str(root), "--date", WED.isoformat()]
    shown = await cli("report", "--member", "BANKA", "--kind", "margin", *base)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == (root / "BANKA" / WED.isoformat() / "margin.csv").read_text()

    # absent: written first (the member's whole set), then copied
    elsewhere = tmp_path / "elsewhere"
    base_b = ["--db", pg_url, "--dir", str(elsewhere), "--date", WED.isoformat()]
    out = tmp_path / "b.pdf"
    copied = await cli("report", "--member", "BANKB", "--kind", "statement", "--out", str(out), *base_b)
    assert copied.exit_code == 0, copied.output
    assert out.read_bytes()[:5] == b"%PDF-"
    written = elsewhere / "BANKB" / WED.isoformat()
    assert (written / "positions.csv").read_bytes() == (
        root / "BANKB" / WED.isoformat() / "positions.csv"
    ).read_bytes()

    for args, code in (
        (["--member", "NOBODY", "--kind", "margin", *base], "REF_UNKNOWN_MEMBER"),
        (["--member", "BANKA", "--kind", "gossip", *base], "RPT_UNKNOWN_KIND"),
        (
            [
                "--member",
                "BANKA",
                "--kind",
                "margin",
                "--db",
                pg_url,
                "--dir",
                str(root),
                "--date",
                "2026-01-05",
            ],
            "RPT_UNKNOWN_DATE",
        ),
    ):
        refused = await cli("report", *args)
        assert refused.exit_code != 0
        assert code in refused.stderr, refused.stderr
    assert not (root / "NOBODY").exists()
    assert not (root / "BANKA" / date(2026, 1, 5).isoformat()).exists()
