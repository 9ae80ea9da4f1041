"""``clearing-gateway demo`` as a user runs it: a subprocess on the embedded defaults, nothing else needed."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fpml_schemas import ENV_VAR


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The demo as a user runs it, from ``cwd`` (whose parent has no ``shared``), with no schema configured."""
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def test_demo_clears_a_day_and_writes_the_position_report(tmp_path: Path) -> None:
    """Without ``../shared`` (a user's clone): the clearing profile validates, and the day clears."""
    work = tmp_path / "demo"
    assert not (tmp_path.parent / "shared").exists()
    done = _demo(tmp_path, "--dir", str(work), "--trades", "8")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "validated against: clearing-profile" in out
    assert "Traceback" not in out + done.stderr
    for shown in (
        "Outcomes",
        "Members (AUD)",
        "BANKA",
        "ELIG_MATURITY_TOO_LONG",
        "RISK_INSUFFICIENT_COLLATERAL",
    ):
        assert shown in out
    assert "LIFE_BACKLOAD_QUEUED" in out
    reports = list(work.glob("ccp-positions-*.csv"))
    assert len(reports) == 1
    with reports[0].open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # 8 straight-through trades and the one cleared after the collateral call, two member sides each.
    assert len(rows) == 2 * 9
    assert {r["member"] for r in rows} >= {"BANKA", "BANKB"}


def test_a_configured_schema_dir_that_is_missing_stops_the_demo_in_one_line(tmp_path: Path) -> None:
    done = _demo(tmp_path, "--dir", str(tmp_path / "demo"), "--schema-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "Traceback" not in out
    lines = [ln for ln in out.splitlines() if "cannot start the gateway" in ln]
    assert len(lines) == 1
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
