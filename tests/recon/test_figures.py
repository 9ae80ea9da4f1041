"""VM (and cash-flow) figures, member against CCP: trade and account level, tolerance, missing either side,
unreadable rows; through ``clearing-recon run`` into breaks.csv, summary.json and the HTML report."""

from __future__ import annotations

import csv
import importlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from gateway.domain.errors import InputRejected
from recon.cli import _COMMAND_MODULES, app
from recon.engine import BreakType
from recon.figure_sources import FIGURE_COLUMNS, read_figures
from recon.figures import CASH_FLOW, KINDS, VM, FigureBook, match_figures
from recon.tolerances import Tolerance
from tests.recon.conftest import position, write_csv

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)

DAY = date(2026, 1, 12)
runner = CliRunner()


def _figures(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIGURE_COLUMNS)
        writer.writerows(rows)
    return path


def _ccp(tmp_path: Path) -> FigureBook:
    return read_figures(
        _figures(
            tmp_path / "ccp-vm.csv",
            [
                ("C1", "HOUSE", "AUD", "2026-01-12", "1500.25"),
                ("C2", "HOUSE", "AUD", "2026-01-12", "-300"),
                ("C3", "CLIENT1", "AUD", "2026-01-12", "200"),
                ("C4", "CLIENT1", "AUD", "2026-01-12", "50"),
                ("C5", "HOUSE", "USD", "2026-01-12", "75"),
                ("C1", "HOUSE", "AUD", "2026-01-09", "999"),  # another day: not this run's
            ],
        ),
        VM,
        DAY,
        ccp=True,
    )


def _types(frame: object) -> list[tuple[str, str | None]]:
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    return [(t, k) for t, k in frame.select("break_type", "trade_id").iter_rows()]


def test_every_figure_kind_breaks_with_a_break_type_of_the_reports() -> None:
    known = {t.value for t in BreakType}
    assert all(set(kind.break_types) <= known for kind in KINDS)


def test_trade_and_account_figures_within_tolerance_match_and_the_rest_break(tmp_path: Path) -> None:
    member = read_figures(
        _figures(
            tmp_path / "member-vm.csv",
            [
                ("C1", "HOUSE", "aud", "2026-01-12", "1500.254"),  # within a cent
                ("C2", "HOUSE", "AUD", "2026-01-12", "-310"),  # 10 off
                ("", "CLIENT1", "AUD", "2026-01-12", "250"),  # C3 + C4, at account level
                ("C9", "HOUSE", "AUD", "2026-01-12", "12"),  # the CCP has no C9
            ],
        ),
        VM,
        DAY,
        ccp=False,
    )
    breaks = match_figures(VM, member, _ccp(tmp_path), Tolerance(abs=0.01))
    assert sorted(_types(breaks)) == [
        ("VM_MISMATCH", "C2"),
        ("VM_MISSING_AT_CCP", "C9"),
        ("VM_MISSING_AT_MEMBER", "C5"),
    ]
    mismatch = breaks.filter(breaks["break_type"] == "VM_MISMATCH").row(0, named=True)
    assert (mismatch["member_value"], mismatch["ccp_value"], mismatch["difference"]) == (
        "-310",
        "-300",
        -10.0,
    )
    assert mismatch["key"] == "vm:trade_id=C2"
    # a wider tolerance takes the 10 in
    wide = match_figures(VM, member, _ccp(tmp_path), Tolerance(abs=10.0))
    assert "VM_MISMATCH" not in wide["break_type"].to_list()


def test_an_account_total_that_differs_is_one_break_naming_the_account(tmp_path: Path) -> None:
    member = read_figures(
        _figures(
            tmp_path / "m.csv",
            [
                ("", "CLIENT1", "AUD", "2026-01-12", "240"),
                ("", "HOUSE", "AUD", "2026-01-12", "1200.25"),
                ("C5", "HOUSE", "USD", "2026-01-12", "75"),
            ],
        ),
        VM,
        DAY,
        ccp=False,
    )
    breaks = match_figures(VM, member, _ccp(tmp_path), Tolerance(abs=0.01))
    # HOUSE AUD: C1 + C2 = 1200.25 at the CCP, matched; CLIENT1 AUD: C3 + C4 = 250 at the CCP
    assert breaks.select("break_type", "key", "member_value", "ccp_value").rows() == [
        ("VM_MISMATCH", "vm:account=CLIENT1:currency=AUD", "240", "250")
    ]
    assert "account CLIENT1 in AUD" in breaks["message"][0]


def test_unreadable_rows_are_input_errors_naming_file_row_and_column(tmp_path: Path) -> None:
    member = read_figures(
        _figures(
            tmp_path / "m.csv",
            [
                ("C1", "HOUSE", "AUD", "2026-01-12", "1,500.25"),
                ("C2", "HOUSE", "AUDX", "2026-01-12", "-300"),
                ("C3", "CLIENT1", "AUD", "12/01/2026", "200"),
            ],
        ),
        VM,
        DAY,
        ccp=False,
    )
    assert [(p.row, p.column) for p in member.problems] == [(1, "amount"), (2, "currency"), (3, "date")]
    breaks = match_figures(VM, member, _ccp(tmp_path), Tolerance(abs=0.01))
    errors = breaks.filter(breaks["break_type"] == "INPUT_ERROR")
    assert errors.height == 3
    assert errors["source_row"].to_list() == [1, 2, 3]


def test_a_figures_file_without_the_layout_is_unusable(tmp_path: Path) -> None:
    path = tmp_path / "vm.csv"
    path.write_text("trade,account,currency,date,amount\nC1,HOUSE,AUD,2026-01-12,1\n", encoding="utf-8")
    with pytest.raises(InputRejected, match=r"missing column\(s\) \['trade_id'\]"):
        read_figures(path, VM, DAY, ccp=False)


def test_cash_flows_are_the_same_matcher_keyed_by_settlement_date(tmp_path: Path) -> None:
    rows = [("C1", "HOUSE", "AUD", "2026-01-15", "-1000"), ("C1", "HOUSE", "AUD", "2026-04-15", "-1000")]
    ccp = read_figures(_figures(tmp_path / "c.csv", rows), CASH_FLOW, DAY, ccp=True)
    member = read_figures(_figures(tmp_path / "m.csv", rows[:1]), CASH_FLOW, DAY, ccp=False)
    breaks = match_figures(CASH_FLOW, member, ccp, Tolerance(abs=0.01))
    assert breaks.select("break_type", "key").rows() == [
        ("CASH_FLOW_MISSING_AT_MEMBER", "cash_flow:trade_id=C1:date=2026-04-15")
    ]


def test_run_reports_vm_breaks_in_every_output(tmp_path: Path) -> None:
    book = write_csv(tmp_path / "book.csv", [position("C1"), position("C2")])
    ccp_book = write_csv(tmp_path / "ccp.csv", [position("C1"), position("C2")])
    _ccp(tmp_path)  # writes ccp-vm.csv
    member_vm = _figures(
        tmp_path / "member-vm.csv",
        [("C1", "HOUSE", "AUD", "2026-01-12", "1400.25"), ("", "CLIENT1", "AUD", "2026-01-12", "250")],
    )
    out = tmp_path / "out"
    args = ["run", "--date", DAY.isoformat(), "--member", "CM1", "--member-book", str(book)]
    args += [
        "--ccp-positions",
        str(ccp_book),
        "--out",
        str(out),
        "--store",
        str(tmp_path / "b.db"),
    ]
    args += ["--member-vm", str(member_vm), "--ccp-vm", str(tmp_path / "ccp-vm.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    with (out / "breaks.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["break_type"], r["trade_id"]) for r in rows) == [
        ("VM_MISMATCH", "C1"),
        ("VM_MISSING_AT_MEMBER", "C2"),
        ("VM_MISSING_AT_MEMBER", "C5"),
    ]
    c1 = next(r for r in rows if r["trade_id"] == "C1")
    assert (c1["member_value"], c1["ccp_value"], Decimal(c1["difference"])) == ("1400.25", "1500.25", -100)
    info = json.loads((out / "summary.json").read_text())
    assert info["by_type"]["VM_MISMATCH"] == 1
    assert info["by_type"]["VM_MISSING_AT_MEMBER"] == 2
    assert "ccp-vm.csv" in info["sources"]["ccp"]
    assert "VM_MISMATCH" in (out / "report.html").read_text()
    pdf = "".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "VM_MISMATCH" in pdf
    assert "VM_MISSING_AT_MEMBER" in pdf


def test_ccp_vm_without_the_members_is_refused(tmp_path: Path) -> None:
    book = write_csv(tmp_path / "book.csv", [position("C1")])
    _ccp(tmp_path)
    args = ["run", "--date", DAY.isoformat(), "--member", "CM1", "--member-book", str(book)]
    args += ["--ccp-positions", str(book), "--out", str(tmp_path / "out"), "--store", str(tmp_path / "b.db")]
    args += ["--ccp-vm", str(tmp_path / "ccp-vm.csv"), "--no-pdf"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--member-vm" in result.stderr
    assert not (tmp_path / "out").exists()
