"""Aggregate position breaks: net notional per currency, index and maturity bucket, member against CCP."""

from __future__ import annotations

import csv
import importlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from recon.aggregate import MaturityBuckets, aggregate_breaks
from recon.cli import _COMMAND_MODULES, app
from recon.loader import Side, load_book
from recon.tolerances import Tolerance
from tests.recon.conftest import position, write_csv

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)

DAY = date(2026, 1, 12)
runner = CliRunner()


def _ccp_rows() -> list[dict[str, str | None]]:
    return [
        position("C1", notional="100000000", direction="PAY", maturity_date="2031-01-12"),  # 5Y to the day
        position("C2", notional="40000000", direction="RECEIVE", maturity_date="2027-01-07"),
        position("C3", currency="USD", floating_index="SOFR", index_tenor="1D", notional="20000000",
                 maturity_date="2036-01-07"),  # just short of 10Y
        position("C4", notional="5000000", direction="RECEIVE", maturity_date="2031-01-13"),  # a day past 5Y
    ]  # fmt: skip


def _books(tmp_path: Path, member_rows: list[dict[str, str | None]]) -> tuple[Path, Path]:
    return write_csv(tmp_path / "member.csv", member_rows), write_csv(tmp_path / "ccp.csv", _ccp_rows())


def test_net_notional_by_bucket_breaks_where_the_books_differ(tmp_path: Path) -> None:
    rows = _ccp_rows()
    rows[0]["notional"] = "100000000.004"  # within the cent
    rows[1]["notional"] = "45000000"
    member_file, ccp_file = _books(tmp_path, rows[:2] + rows[3:])  # C3 is not in the member's book
    member = load_book(member_file, member="CM1", side=Side.MEMBER)
    ccp = load_book(ccp_file, member="CM1", side=Side.CCP)
    found = aggregate_breaks(member.frame, ccp.frame, DAY, MaturityBuckets(), Tolerance(abs=0.01), ("m", "c"))
    assert found.select("key", "member_value", "ccp_value", "difference").rows() == [
        ("aggregate:currency=AUD:index=BBSW:bucket=0-1Y", "45000000.0", "40000000.0", 5_000_000.0),
        ("aggregate:currency=USD:index=SOFR:bucket=5Y-10Y", "0.0", "-20000000.0", 20_000_000.0),
    ]
    assert set(found["break_type"]) == {"AGGREGATE_NOTIONAL_MISMATCH"}
    assert "maturing 0-1Y" in found["message"][0]


def test_a_maturity_on_an_edge_is_in_the_bucket_below_it(tmp_path: Path) -> None:
    _, ccp_file = _books(tmp_path, [])
    ccp = load_book(ccp_file, member="CM1", side=Side.CCP)
    member = ccp.frame.filter(pl.col("trade_id") != "C4")  # C4 alone makes the 5Y-10Y bucket
    found = aggregate_breaks(member, ccp.frame, DAY, MaturityBuckets(), Tolerance(), ("m", "c"))
    assert found["key"].to_list() == ["aggregate:currency=AUD:index=BBSW:bucket=5Y-10Y"]


def test_bucket_edges_must_be_increasing_tenors() -> None:
    assert MaturityBuckets.parse("6M, 1Y,5y").labels == ["0-6M", "6M-1Y", "1Y-5Y", "5Y+"]
    with pytest.raises(ValueError, match="increasing"):
        MaturityBuckets.parse("5Y,1Y")
    with pytest.raises(ValueError, match="not a tenor"):
        MaturityBuckets.parse("1Y,10D")


def test_run_with_aggregate_reports_the_bucket_and_both_figures(tmp_path: Path) -> None:
    rows = _ccp_rows()
    rows[1]["notional"] = "45000000"
    member_file, ccp_file = _books(tmp_path, rows)

    def run(*extra: str) -> list[dict[str, str]]:
        out = tmp_path / f"out{len(extra)}"
        args = ["run", "--date", DAY.isoformat(), "--member", "CM1", "--member-book", str(member_file)]
        args += ["--ccp-positions", str(ccp_file), "--out", str(out), "--no-pdf"]
        args += ["--store", str(tmp_path / f"b{len(extra)}.db"), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.stderr
        with (out / "breaks.csv").open() as handle:
            return list(csv.DictReader(handle))

    plain = run()
    assert [(r["break_type"], r["trade_id"]) for r in plain] == [("ECONOMIC_MISMATCH", "C2")]
    html = (tmp_path / "out0" / "report.html").read_text()
    assert "ECONOMIC_MISMATCH" in html
    assert "AGGREGATE_NOTIONAL_MISMATCH" not in html  # no such input, no such row in the report
    both = run("--aggregate", "--buckets", "1Y,10Y")
    aggregate = [r for r in both if r["break_type"] == "AGGREGATE_NOTIONAL_MISMATCH"]
    assert [(r["key"], r["member_value"], r["ccp_value"]) for r in aggregate] == [
        ("aggregate:currency=AUD:index=BBSW:bucket=0-1Y", "45000000.0", "40000000.0")
    ]
    assert "AGGREGATE_NOTIONAL_MISMATCH" in (tmp_path / "out3" / "report.html").read_text()
    bad = runner.invoke(
        app,
        ["run", "--date", DAY.isoformat(), "--member", "CM1", "--member-book", str(member_file),
         "--ccp-positions", str(ccp_file), "--out", str(tmp_path / "x"), "--aggregate", "--buckets", "1Q"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "--buckets" in bad.stderr
