"""``clearing-gateway demo`` as a user runs it: a subprocess on the embedded defaults, nothing else needed.

One reduced day (in-process broker, SQLite, real FIX sessions) is run once from a folder whose parent has
no ``shared``, and its summary is read as a newcomer reads it: the reasons, why there are more statuses
than trades, which schema set checked the messages, where the data is and what to run next.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fpml_schemas import ENV_VAR

TRADES = 6  # straight-through trades; the day adds five exceptions (MW-CALL, MW-40Y, ...)
EXCEPTIONS = {"MW-CALL", "MW-40Y", "MW-OIS10Y", "MW-HUGE", "MW-BACK"}


def _env() -> dict[str, str]:
    """No schema configured, and the width of a plain terminal."""
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["COLUMNS"] = "80"
    return env


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The demo as a user runs it, from ``cwd`` (whose parent has no ``shared``), with no schema configured."""
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=_env(),
    )


def _gateway(cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    """A ``clearing-gateway ...`` command line as printed, run as the user would paste it."""
    words = shlex.split(command)
    module = {"clearing-gateway": "gateway.cli.main", "clearing-recon": "recon.cli"}[words[0]]
    return subprocess.run(
        [sys.executable, "-m", module, *words[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=_env(),
    )


@dataclass(frozen=True)
class Day:
    cwd: Path
    workdir: Path
    out: str

    def section(self, start: str, end: str) -> str:
        """The summary from the line holding ``start`` up to the next line holding ``end``."""
        lines = self.out.splitlines()
        first = next(i for i, ln in enumerate(lines) if start in ln)
        last = next(i for i in range(first + 1, len(lines)) if end in lines[i])
        return "\n".join(lines[first:last])

    def line(self, prefix: str) -> str:
        return next(ln.strip() for ln in self.out.splitlines() if ln.strip().startswith(prefix))


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    """Without ``../shared`` (a user's clone): the clearing profile validates, and the day clears."""
    cwd = tmp_path_factory.mktemp("clone")
    assert not (cwd.parent / "shared").exists()
    done = _demo(cwd, "--dir", "var/demo", "--trades", str(TRADES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return Day(cwd, cwd / "var" / "demo", done.stdout)


def test_demo_clears_its_day_and_names_the_clearing_profile(day: Day) -> None:
    assert "FpML messages validated against: clearing-profile" in day.out
    for shown in ("Outcomes", "Members (AUD)", "BANKA", "ELIG_MATURITY_TOO_LONG", "LIFE_BACKLOAD_QUEUED"):
        assert shown in day.out


def test_the_lifecycle_events_are_shown_each_as_it_ended(day: Day) -> None:
    table = day.section("Lifecycle events", "events ended as intended")
    rows = [" ".join(ln.split()) for ln in table.splitlines() if re.search(r"MW-\d{5}", ln)]
    assert len(rows) == 7
    outcomes = [re.search(r"MW-\d{5} (\w+)", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert outcomes == ["confirmed"] * 5 + ["refused", "confirmed"]
    # the partial termination keeps 3/5 of the notional, the full termination leaves nothing
    assert re.search(r"MW-00001 confirmed 10m -> 6m", rows[0]), rows[0]
    # the economic amendment of the partly terminated trade: its notional kept, its fixed rate raised
    assert re.search(r"MW-00001 confirmed 6m -> 6m", rows[3]), rows[3]
    flat = " ".join(table.split())
    assert re.search(r"amendment: fixed rate \d\.\d{4}% -> \d\.\d{4}%", flat), flat
    assert re.search(r"MW-00002 confirmed 10m -> 0", rows[4]), rows[4]
    assert re.search(r"MW-00002 refused 0 -> 0 LIFE_TRADE_NOT_LIVE", rows[5]), rows[5]
    assert re.search(r"MW-00005 confirmed \d+m -> 0", rows[6]), rows[6]
    assert "7 of 7 events ended as intended." in day.out


def _blocks(section: str) -> dict[str, str]:
    """Rows of a table whose first column is a trade id: each trade's lines, continuation lines included."""
    blocks: dict[str, list[str]] = {}
    current = None
    for ln in section.splitlines():
        match = re.match(r"\s*(MW-[A-Z0-9]+)\s", ln)
        if match:
            current = match.group(1)
            blocks[current] = []
        if current is not None:
            blocks[current].append(ln)
    return {k: " ".join(" ".join(v).split()) for k, v in blocks.items()}


def test_the_reasons_heading_lists_only_trades_given_reasons_each_with_its_reason(day: Day) -> None:
    rows = _blocks(day.section("Refusal and pending reasons", "Why "))
    # no straight-through trade, and every exception: the one that waited and then cleared included
    assert set(rows) == EXCEPTIONS
    assert "Received → Pending → Cleared" in rows["MW-CALL"]
    assert "pending: RISK_INSUFFICIENT_COLLATERAL" in rows["MW-CALL"]
    assert "refused: ELIG_MATURITY_TOO_LONG" in rows["MW-40Y"]
    assert "refused: ELIG_MATURITY_TOO_LONG" in rows["MW-OIS10Y"]
    assert "pending: RISK_INSUFFICIENT_COLLATERAL" in rows["MW-HUGE"]
    assert "refused: LIFE_NOT_REGISTERED_BY_EOD" in rows["MW-HUGE"]
    assert "pending: LIFE_BACKLOAD_QUEUED" in rows["MW-BACK"]
    assert not any(re.search(r"\s-\s*$", ln) for ln in day.section("Refusal", "Why ").splitlines())


def test_statuses_per_recipient_add_up_to_the_total(day: Day) -> None:
    why = re.search(r"Why (\d+) statuses for (\d+) trades", day.out)
    assert why is not None
    total, trades = int(why.group(1)), int(why.group(2))
    assert trades == TRADES + len(EXCEPTIONS)
    table = day.section("Statuses per recipient", "Trade MW-")
    header = next(ln for ln in table.splitlines() if ln.lstrip().startswith("recipient"))
    steps = header.split()[1:-1]
    assert steps[:2] == ["received", "awaiting"]
    rows: dict[str, list[int]] = {}
    for ln in table.splitlines():
        match = re.match(r"\s*((?:MARKITWIRE source)|(?:BANK[ABC] (?:MQTT|FIX))|all)\s+([\d\s]+)$", ln)
        if match:
            rows[match.group(1)] = [int(n) for n in match.group(2).split()]
    assert set(rows) == {"MARKITWIRE source", "all"} | {
        f"BANK{m} {c}" for m in "ABC" for c in ("MQTT", "FIX")
    }
    assert rows.pop("all") == [total]
    assert sum(numbers[-1] for numbers in rows.values()) == total
    for numbers in rows.values():
        assert sum(numbers[:-1]) == numbers[-1]  # each recipient's steps add up to its own total
    # the source hears of each of the FpML trades it submitted: one receipt each (Bank C's FIX trade is not its)
    fix_trades = TRADES // 6
    assert rows["MARKITWIRE source"][0] == trades - fix_trades


def test_one_trade_is_shown_status_by_status_to_each_recipient(day: Day) -> None:
    worked = " ".join(day.section("Trade MW-CALL", "Members (AUD)").split())
    pending_then_cleared = "Received → Pending (RISK_INSUFFICIENT_COLLATERAL) → Cleared"
    # the source and both members of the trade (Bank C pays, Bank A receives), on MQTT and on FIX
    for recipient in ("MARKITWIRE source", "BANKA MQTT", "BANKC MQTT"):
        assert f"{recipient} {pending_then_cleared}" in worked
    for recipient in ("BANKA FIX", "BANKC FIX"):
        assert re.search(rf"{recipient} AE \w+ → AE Pending → AE Cleared", worked)
    assert "BANKB" not in worked  # not a party to it: told nothing


def test_the_database_is_named_and_the_printed_query_runs(day: Day) -> None:
    database = day.line("database")
    # says where the operations commands look by default
    assert "operations commands read var/gateway.db unless given --db" in " ".join(day.out.split())
    path = Path(database.split()[1])
    assert (day.cwd / path).is_file()
    assert (day.cwd / path).resolve() == (day.workdir / "gateway.db").resolve()
    query = day.line("clearing-gateway trade list")
    assert "sqlite+aiosqlite:///var/demo/gateway.db" in query
    done = _gateway(day.cwd, query)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = " ".join(done.stdout.split())
    for trade in ("MW-00001", "MW-CALL", "MW-HUGE", "MW-BACK"):
        assert trade in listed


def test_the_position_file_holds_the_cleared_trades_as_export_positions_writes_them(day: Day) -> None:
    line = day.line("CCP positions")
    match = re.match(r"CCP positions\s+(\S+) \((\d+) rows", line)
    assert match is not None, line
    printed = day.cwd / match.group(1)
    assert printed.is_file()
    assert printed.parent.resolve() == day.workdir.resolve()
    with printed.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # the straight-through trades and the one cleared after the collateral call, two member sides each,
    # but the one terminated in full and the one de-cleared; the partly terminated one at its new size;
    # then Bank B's compression: its sides terminated, its residuals in their place
    compressed = re.search(r"(\d+) trades terminated, (\d+) created", day.out)
    ended, created = (0, 0) if compressed is None else (int(compressed.group(1)), int(compressed.group(2)))
    assert compressed is not None or "Compression of BANKB/HOUSE: nothing to compress" in day.out
    assert len(rows) == int(match.group(2)) == 2 * (TRADES + 1 - 2) - ended + created
    assert any(r["notional"] == "6000000" and r["member"] == "BANKA" for r in rows)
    assert {r["member"] for r in rows} == {"BANKA", "BANKB", "BANKC"}
    assert all(r["status"] == "CLEARED" for r in rows)
    # the printed export of one member's positions gives that member's rows of the file, line for line
    export = day.line("clearing-gateway export positions")
    done = _gateway(day.cwd, export)
    assert done.returncode == 0, done.stdout + done.stderr
    out = day.cwd / shlex.split(export)[shlex.split(export).index("--out") + 1]
    with out.open(newline="") as fh:
        assert list(csv.DictReader(fh)) == [r for r in rows if r["member"] == "BANKA"]
    assert f"--ccp-positions {match.group(1)}" in day.line("clearing-recon run")


def test_the_printed_reconciliation_runs_and_finds_the_planted_breaks(day: Day) -> None:
    book = day.line("clearing-recon sample-book")
    done = _gateway(day.cwd, book)
    assert done.returncode == 0, done.stdout + done.stderr
    recon = day.line("clearing-recon run")
    done = _gateway(day.cwd, recon)
    words = shlex.split(recon)
    report = day.cwd / words[words.index("--out") + 1]
    assert (report / "report.html").is_file(), done.stdout + done.stderr
    summary = json.loads((report / "summary.json").read_text())
    assert summary["breaks"] == 4, summary


def test_a_configured_schema_dir_that_is_missing_stops_the_demo_in_one_line(tmp_path: Path) -> None:
    done = _demo(tmp_path, "--dir", str(tmp_path / "demo"), "--schema-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "Traceback" not in out
    lines = [ln for ln in out.splitlines() if ln.startswith("clearing-gateway: error: ")]
    assert len(lines) == 1
    assert lines[0].startswith("clearing-gateway: error: [fpml] schema_dir: ")
    assert lines[0].endswith("(OPS_CANNOT_START)")
    assert "FpML schema set cannot be used" in out
    assert "nowhere" in out
    assert "[fpml] schema_dir" in " ".join(out.split())  # brackets shown, not eaten as markup
    assert not (tmp_path / "demo").exists()  # stopped before preparing anything


@pytest.mark.official_fpml
def test_demo_validates_with_the_official_set_when_given_it(tmp_path: Path, fpml_schema_dir: Path) -> None:
    done = _demo(
        tmp_path, "--dir", str(tmp_path / "demo"), "--trades", "2", "--schema-dir", str(fpml_schema_dir)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validated against: fpml-5-10-confirmation (official, verified)" in " ".join(done.stdout.split())
