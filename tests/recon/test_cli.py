"""``clearing-recon run`` and ``ack`` end to end on files: outputs, exit codes, bad input, the --db path."""

from __future__ import annotations

import csv
import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recon.cli import _COMMAND_MODULES, app
from recon.report import BREAKS_CSV_COLUMNS
from tests.recon.conftest import position, write_csv

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)

runner = CliRunner()


def _run(
    tmp_path: Path, member: Path, ccp: Path | None, *extra: str, day: str = "2026-01-12"
) -> tuple[int, str, str]:
    args = [
        "run",
        "--date",
        day,
        "--member",
        "CM1",
        "--member-book",
        str(member),
        "--out",
        str(tmp_path / "out"),
        "--store",
        str(tmp_path / "breaks.db"),
        "--no-pdf",
    ]
    if ccp is not None:
        args += ["--ccp-positions", str(ccp)]
    result = runner.invoke(app, [*args, *extra])
    return result.exit_code, result.stdout, result.stderr


def _breaks(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out" / "breaks.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_run_writes_breaks_summary_and_report(tmp_path: Path) -> None:
    member = write_csv(
        tmp_path / "m.csv", [position("C1", notional="90000000"), position("C2"), position("C4")]
    )
    ccp = write_csv(tmp_path / "c.csv", [position("C1"), position("C2"), position("C3")])
    code, out, err = _run(tmp_path, member, ccp)
    assert code == 0, err
    assert "matched 2" in out
    rows = _breaks(tmp_path)
    with (tmp_path / "out" / "breaks.csv").open() as handle:
        header = next(csv.reader(handle))
    assert tuple(header[:10]) == (
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
    )
    assert tuple(header) == BREAKS_CSV_COLUMNS
    assert {(r["break_type"], r["trade_id"], r["field"]) for r in rows} == {
        ("ECONOMIC_MISMATCH", "C1", "notional"),
        ("MISSING_AT_MEMBER", "C3", ""),
        ("MISSING_AT_CCP", "C4", ""),
    }
    notional = next(r for r in rows if r["field"] == "notional")
    assert (notional["member_value"], notional["ccp_value"], float(notional["difference"])) == (
        "90000000.0",
        "100000000.0",
        -10_000_000.0,
    )
    assert (notional["first_seen"], notional["age_business_days"]) == ("2026-01-12", "0")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["by_type"]["ECONOMIC_MISMATCH"] == 1
    assert summary["by_type"]["MISSING_AT_MEMBER"] == 1
    assert summary["matched"] == 2
    assert summary["match_rate"] == pytest.approx(4 / 6, abs=1e-6)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Reconciliation report: CM1" in html
    assert "data:image/svg+xml;base64," in html


def test_unreadable_rows_are_reported_and_the_rest_reconciled(tmp_path: Path) -> None:
    member = write_csv(
        tmp_path / "m.csv",
        [position("C1"), position("C2", maturity_date="12/01/2031"), position("C3", notional="n/a")],
    )
    ccp = write_csv(tmp_path / "c.csv", [position("C1"), position("C2"), position("C3")])
    code, _out, err = _run(tmp_path, member, ccp)
    assert code == 0
    assert f"unreadable: {member}, row 2, column maturity_date: '12/01/2031' is not a date" in err
    assert f"unreadable: {member}, row 3, column notional: 'n/a' is not a number" in err
    rows = _breaks(tmp_path)
    assert [(r["break_type"], r["trade_id"], r["field"], r["source_row"]) for r in rows] == [
        ("INPUT_ERROR", "C2", "maturity_date", "2"),
        ("INPUT_ERROR", "C3", "notional", "3"),
    ]
    assert all(r["source_file"] == str(member) for r in rows)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["member_rows"], summary["member_unreadable_rows"], summary["matched"]) == (1, 2, 1)
    assert summary["match_rate"] == pytest.approx(2 / 6, abs=1e-6)  # unreadable rows count as unpaired


@pytest.mark.parametrize(
    ("member_rows", "columns", "message"),
    [
        ([position("C1")], ["trade_id", "notional"], "missing column(s): uti, member"),
        ([position("C1", member="CM9")], None, "this book belongs to member CM9, not CM1"),
    ],
)
def test_unusable_input_exits_2_with_a_specific_message(
    tmp_path: Path, member_rows: list[dict[str, object]], columns: list[str] | None, message: str
) -> None:
    kwargs = {"columns": columns} if columns else {}
    member = write_csv(tmp_path / "m.csv", member_rows, **kwargs)  # type: ignore[arg-type]
    ccp = write_csv(tmp_path / "c.csv", [position("C1")])
    code, _out, err = _run(tmp_path, member, ccp)
    assert code == 2
    assert f"error: {member}:" in err
    assert message in err
    assert not (tmp_path / "out" / "breaks.csv").exists()


def test_empty_and_absent_files_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "m.csv"
    empty.write_text("")
    ccp = write_csv(tmp_path / "c.csv", [position("C1")])
    code, _, err = _run(tmp_path, empty, ccp)
    assert (code, f"error: {empty}:file: file is empty (no header, no rows)" in err) == (2, True)
    code, _, err = _run(tmp_path, tmp_path / "nowhere.csv", ccp)
    assert (code, "does not exist" in err) == (2, True)
    code, _, err = _run(tmp_path, ccp, None)
    assert (code, "give exactly one of --ccp-positions FILE or --db URL" in err) == (2, True)


def test_mapping_and_tolerances_options(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nnotional = "Nominal"\n[codes.status]\nOK = "Cleared"\n')
    tolerances = tmp_path / "tol.toml"
    tolerances.write_text("[npv]\nabs = 100\n")
    rows = [position("C1", npv="12550", status="OK")]
    header = ["Nominal" if c == "notional" else c for c in rows[0]]
    member = write_csv(
        tmp_path / "m.csv",
        [{("Nominal" if k == "notional" else k): v for k, v in r.items()} for r in rows],
        columns=header,
    )
    ccp = write_csv(tmp_path / "c.csv", [position("C1")])
    code, _, err = _run(tmp_path, member, ccp, "--mapping", str(mapping), "--tolerances", str(tolerances))
    assert code == 0, err
    assert _breaks(tmp_path) == []
    assert "No open breaks: the member's book agrees with the CCP's positions." in (
        tmp_path / "out" / "report.html"
    ).read_text().replace("&#39;", "'")
    tolerances.write_text("[npv]\nabs = 10\n")
    code, _, _ = _run(
        tmp_path, member, ccp, "--mapping", str(mapping), "--tolerances", str(tolerances), day="2026-01-13"
    )
    assert [r["break_type"] for r in _breaks(tmp_path)] == ["VALUATION_MISMATCH"]
    tolerances.write_text("[npv]\nabs = -1\n")
    code, _, err = _run(tmp_path, member, ccp, "--tolerances", str(tolerances), day="2026-01-14")
    assert code == 2
    assert "npv.abs: must be a non-negative number" in err


def test_ack_comments_a_break_that_then_shows_in_the_next_run(tmp_path: Path) -> None:
    member = write_csv(tmp_path / "m.csv", [position("C1", npv="0")])
    ccp = write_csv(tmp_path / "c.csv", [position("C1")])
    assert _run(tmp_path, member, ccp)[0] == 0
    break_id = _breaks(tmp_path)[0]["break_id"]
    ack = runner.invoke(
        app,
        [
            "ack",
            break_id,
            "--comment",
            "CCP curve differs; accepted",
            "--by",
            "ops-ben",
            "--store",
            str(tmp_path / "breaks.db"),
        ],
    )
    assert ack.exit_code == 0, ack.stderr
    assert f"acknowledged {break_id} (CM1 VALUATION_MISMATCH, open)" in ack.stdout
    assert _run(tmp_path, member, ccp, day="2026-01-13")[0] == 0
    row = _breaks(tmp_path)[0]
    assert (row["break_id"], row["comment"], row["age_business_days"]) == (
        break_id,
        "CCP curve differs; accepted",
        "1",
    )
    listing = tmp_path / "open-breaks.csv"
    listed = runner.invoke(
        app, ["breaks", "--member", "CM1", "--store", str(tmp_path / "breaks.db"), "--out", str(listing)]
    )
    assert listed.exit_code == 0
    assert break_id in listed.stdout  # the table
    lines = listing.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("break_id,break_type,trade_id")
    assert lines[1].startswith(f"{break_id},VALUATION_MISMATCH,C1,UTI-C1,npv,")
    assert lines[1].endswith(",True,CCP curve differs; accepted")
    unknown = runner.invoke(app, ["ack", "0000", "--comment", "x", "--store", str(tmp_path / "breaks.db")])
    assert unknown.exit_code == 2
    assert "no break with id '0000'" in unknown.stderr


@pytest.mark.postgres
def test_run_against_the_gateway_database(tmp_path: Path, postgres_url: str) -> None:
    import asyncio
    from datetime import date

    from tests.recon.test_formats import _create_asof_views, _create_view

    asyncio.run(_create_view(postgres_url))
    asyncio.run(_create_asof_views(postgres_url, date(2026, 1, 12)))
    member = write_csv(
        tmp_path / "m.csv",
        [
            position(
                "CCP-000001",
                uti="UTI-1",
                notional="125000000",
                fixed_rate="0.04125",
                maturity_date="2036-01-07",
                npv="-15234.17",
            )
        ],
    )
    code, out, err = _run(tmp_path, member, None, "--db", postgres_url)
    assert code == 0, err
    rows = _breaks(tmp_path)
    assert {(r["break_type"], r["trade_id"]) for r in rows} == {("MISSING_AT_MEMBER", "CCP-000002")}
    assert "matched 1" in out


def test_a_member_the_gateway_database_does_not_know_is_refused(tmp_path: Path) -> None:
    import asyncio

    from tests.recon.test_formats import _create_view

    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    asyncio.run(_create_view(url))
    member = write_csv(tmp_path / "m.csv", [position("CCP-000001", member="NOBODY")])
    args = ["run", "--date", "2026-01-12", "--member", "NOBODY", "--member-book", str(member)]
    args += ["--out", str(tmp_path / "out"), "--store", str(tmp_path / "breaks.db"), "--no-pdf", "--db", url]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "REF_UNKNOWN_MEMBER" in result.stderr
    assert "--member" in result.stderr
    assert not (tmp_path / "out").exists()  # not an empty CCP book reported as breaks
