"""The daily run: due only on business days after the set time, each member isolated, never run twice."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from gateway.clock import FixedClock
from recon.cli import _COMMAND_MODULES, app
from recon.schedule import due_date, load_config, next_due, run_due
from tests.recon.conftest import position, write_csv

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)

CONFIG = """
[schedule]
time = "19:00"
timezone = "Australia/Sydney"
calendar = "Australia"
store = "state/breaks.db"
out = "out/{member}/{date}"
ccp_positions = "ccp/{member}_{yyyymmdd}.csv"

[[members]]
id = "CM1"
book = "books/CM1_{yyyymmdd}.csv"

[[members]]
id = "CM2"
book = "books/CM2_{yyyymmdd}.csv"    # never delivered

[[members]]
id = "CM3"
book = "books/CM3_{yyyymmdd}.csv"
mapping = "maps/cm3.toml"
"""

# Monday 12 January 2026, 19:30 in Sydney (UTC+11).
DUE = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)


def _setup(tmp_path: Path) -> Path:
    (tmp_path / "books").mkdir()
    (tmp_path / "ccp").mkdir()
    (tmp_path / "maps").mkdir()
    write_csv(tmp_path / "books" / "CM1_20260112.csv", [position("C1", notional="1")])
    write_csv(tmp_path / "ccp" / "CM1_20260112.csv", [position("C1")])
    write_csv(tmp_path / "books" / "CM3_20260112.csv", [position("D1", member="CM3")])
    write_csv(tmp_path / "ccp" / "CM3_20260112.csv", [position("D1", member="CM3")])
    (tmp_path / "maps" / "cm3.toml").write_text('[dates]\nformat = "%Y-%m-%d"\n')
    config = tmp_path / "recon.toml"
    config.write_text(CONFIG)
    return config


def test_due_only_after_the_time_on_business_days(tmp_path: Path) -> None:
    config = load_config(_setup(tmp_path))
    assert due_date(config, datetime(2026, 1, 12, 7, 59, tzinfo=UTC)) is None  # 18:59 Sydney
    assert str(due_date(config, DUE)) == "2026-01-12"
    assert due_date(config, datetime(2026, 1, 10, 9, 0, tzinfo=UTC)) is None  # Saturday
    assert due_date(config, datetime(2026, 1, 26, 9, 0, tzinfo=UTC)) is None  # Australia Day
    assert (
        next_due(config, datetime(2026, 1, 23, 9, 0, tzinfo=UTC)).isoformat() == "2026-01-27T19:00:00+11:00"
    )


def test_each_member_runs_once_and_a_failure_stays_with_its_member(tmp_path: Path) -> None:
    config = load_config(_setup(tmp_path))
    results = {r.member: r for r in run_due(config, FixedClock(DUE), pdf=False)}
    assert set(results) == {"CM1", "CM2", "CM3"}
    assert results["CM1"].ok
    assert results["CM3"].ok
    assert not results["CM2"].ok
    assert "CM2_20260112.csv:file: file does not exist" in results["CM2"].detail
    summary = json.loads((tmp_path / "out" / "CM1" / "2026-01-12" / "summary.json").read_text())
    assert summary["by_type"]["ECONOMIC_MISMATCH"] == 1
    assert (tmp_path / "out" / "CM3" / "2026-01-12" / "breaks.csv").is_file()
    # A second pass the same evening runs only the member that has not reconciled yet.
    write_csv(tmp_path / "books" / "CM2_20260112.csv", [position("E1", member="CM2")])
    write_csv(tmp_path / "ccp" / "CM2_20260112.csv", [position("E1", member="CM2")])
    again = run_due(config, FixedClock(DUE.replace(minute=45)), pdf=False)
    assert [(r.member, r.ok) for r in again] == [("CM2", True)]
    assert run_due(config, FixedClock(DUE.replace(minute=50)), pdf=False) == []


def test_schedule_once_command(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    early = runner.invoke(
        app, ["schedule", "--config", str(config), "--once", "--no-pdf", "--now", "2026-01-12T18:00:00+11:00"]
    )
    assert early.exit_code == 0
    assert "nothing due; next run at 2026-01-12T19:00:00+11:00" in early.stdout
    due = runner.invoke(
        app, ["schedule", "--config", str(config), "--once", "--no-pdf", "--now", "2026-01-12T19:30:00+11:00"]
    )
    assert due.exit_code == 1  # CM2's book never arrived
    assert "2026-01-12 CM1: ok" in due.stdout
    assert "2026-01-12 CM2: FAILED" in due.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[schedule]\ntime = "7pm"\n[[members]]\nid = "CM1"\nbook = "b.csv"\nccp_positions = "c.csv"\n'
    )
    refused = runner.invoke(app, ["schedule", "--config", str(bad), "--once"])
    assert refused.exit_code == 2
    assert "schedule.time: time must be HH:MM" in refused.stderr
