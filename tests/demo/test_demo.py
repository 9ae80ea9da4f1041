"""``clearing-gateway demo`` as a user runs it: a subprocess on the embedded defaults, nothing else needed."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path


def test_demo_clears_a_day_and_writes_the_position_report(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo", "--dir", str(work), "--trades", "8"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
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
