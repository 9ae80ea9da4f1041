"""``clearing-recon sample-book``: a member book whose planted breaks ``clearing-recon run`` finds, and
clear errors (exit 2, no traceback) for input it cannot use."""

from __future__ import annotations

import csv
import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recon.cli import _COMMAND_MODULES, app
from tests.recon.conftest import position, write_csv

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)

runner = CliRunner()


def _ccp_file(tmp_path: Path) -> Path:
    rows = [position(f"C{i}", notional=str(10_000_000 * i), npv=f"{1000 * i}.5") for i in range(1, 7)] + [
        position("D1", member="CM2"),
        position("D2", member="CM2"),
    ]
    return write_csv(tmp_path / "ccp.csv", rows)


def _sample(
    tmp_path: Path, ccp: Path, *extra: str, member: str = "CM1", out: str = "book.csv"
) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [
            "sample-book",
            "--ccp-positions",
            str(ccp),
            "--member",
            member,
            "--out",
            str(tmp_path / out),
            *extra,
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_run_finds_exactly_the_planted_breaks(tmp_path: Path) -> None:
    ccp = _ccp_file(tmp_path)
    code, out, err = _sample(tmp_path, ccp, "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["member"] == "CM1"
    assert made["rows"] == 6  # 6 of the member's trades, one dropped, one the CCP never registered
    planted = {(p["break_type"], p["trade_id"], p["field"]) for p in made["planted"]}
    assert {t for t, _, _ in planted} == {
        "MISSING_AT_MEMBER",
        "ECONOMIC_MISMATCH",
        "VALUATION_MISMATCH",
        "MISSING_AT_CCP",
    }
    with (tmp_path / "book.csv").open() as handle:
        book = list(csv.DictReader(handle))
    assert {r["member"] for r in book} == {"CM1"}  # the other member's rows are not in CM1's book

    result = runner.invoke(
        app,
        [
            "run",
            "--date",
            "2026-01-12",
            "--member",
            "CM1",
            "--member-book",
            str(tmp_path / "book.csv"),
            "--ccp-positions",
            str(ccp),
            "--out",
            str(tmp_path / "out"),
            "--store",
            str(tmp_path / "breaks.db"),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 0, result.stderr
    with (tmp_path / "out" / "breaks.csv").open() as handle:
        found = {(r["break_type"], r["trade_id"], r["field"]) for r in csv.DictReader(handle)}
    assert found == planted
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["matched"] == 5  # every CCP trade but the dropped one (two of them with a difference)
    assert summary["breaks"] == 4


def test_the_table_names_each_planted_break_and_the_same_seed_makes_the_same_book(tmp_path: Path) -> None:
    ccp = _ccp_file(tmp_path)
    code, out, err = _sample(tmp_path, ccp, "--seed", "5")
    assert code == 0, err
    for kind in ("MISSING_AT_MEMBER", "ECONOMIC_MISMATCH", "VALUATION_MISMATCH", "MISSING_AT_CCP"):
        assert kind in out
    first = (tmp_path / "book.csv").read_text()
    code, _, err = _sample(tmp_path, ccp, "--seed", "5", out="again.csv")
    assert code == 0, err
    assert (tmp_path / "again.csv").read_text() == first


@pytest.mark.parametrize(
    ("member", "out", "message"),
    [
        ("CM2", "book.csv", "'CM2' has 2 rows in the CCP file; a sample book needs at least 3"),
        (
            "NOBODY",
            "book.csv",
            "'NOBODY' has 0 rows in the CCP file; a sample book needs at least 3 (members in the file: CM1, CM2)",
        ),
        ("CM1", "book.parquet", "does not end in .csv"),
    ],
)
def test_a_member_without_enough_trades_or_a_wrong_suffix_is_refused(
    tmp_path: Path, member: str, out: str, message: str
) -> None:
    code, _, err = _sample(tmp_path, _ccp_file(tmp_path), member=member, out=out)
    assert code == 2
    assert message in err
    assert not (tmp_path / out).exists()


def test_a_ccp_file_that_cannot_be_used_is_named(tmp_path: Path) -> None:
    code, _, err = _sample(tmp_path, tmp_path / "nowhere.csv")
    assert code == 2
    assert "no such file: write it with `clearing-gateway export positions`" in err
    partial = write_csv(tmp_path / "partial.csv", [position("C1")], columns=["trade_id", "notional"])
    code, _, err = _sample(tmp_path, partial)
    assert code == 2
    assert "not the standard position layout: missing uti" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = _sample(tmp_path, empty)
    assert code == 2
    assert f"error: {empty}:file: not a readable CSV file" in err
    assert not (tmp_path / "book.csv").exists()
