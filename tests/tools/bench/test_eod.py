"""`clearing-gateway bench eod` as a user runs it, small: every trade cleared (or the book seeded), both days run whole with a
VM for each trade side and a PAI for each account, the figures in their places."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TRADES, MEMBERS = 6, 3


@pytest.mark.parametrize("seeded", [False, True], ids=["cleared", "seeded"])
def test_bench_eod_runs_two_whole_days_and_reports_each_step(seeded: bool) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "gateway.cli.main", "bench", "eod",
            "--trades", str(TRADES), "--members", str(MEMBERS), *(["--seed-book"] if seeded else []),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["benchmark"], out["trades"], out["cleared"], out["members"]) == (
        "eod",
        TRADES,
        TRADES,
        MEMBERS,
    )
    assert out["peak_rss_mb"] > 0
    assert out["book"] == ("seeded" if seeded else "cleared through the service")
    assert list(out["days"]) == ["2026-01-07", "2026-01-08"]
    for day in out["days"].values():
        steps = {"refuse", "mature", "revalue", "cashflows", "vm", "pai", "calls", "reports"}
        assert set(day["steps_s"]) == set(day["steps_cpu_s"]) == steps
        assert day["members_reported"] == MEMBERS
        assert day["failed"] is None
        assert day["unvalued"] == 0
        assert day["vm_trade_sides"] == 2 * TRADES
        assert 0 < day["pai_accounts"] <= MEMBERS
        assert day["total_s"] >= sum(day["steps_s"].values()) - 0.01
