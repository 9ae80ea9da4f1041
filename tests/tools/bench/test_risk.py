"""`clearing-gateway bench risk` runs end to end in its own pinned process and reports every figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_bench_risk_reports_each_target_with_a_consistent_revaluation() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "bench", "risk", "--eod-trades", "400"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # Re-executed with BLAS on one thread and pinned to one CPU.
    assert out["machine"]["blas_threads"] == "1"
    assert len(out["machine"]["cpu_affinity"]) == 1
    assert out["machine"]["exp_float64_loop"] != ""
    assert out["market"]["synthetic"] is True
    assert out["market"]["scenarios"] == 1250
    reval = out["revaluation_10y_swap"]
    assert reval["same_as_engine"] is True
    assert reval["exponential_terms"] > 0
    assert reval["met"] == (reval["us"] <= reval["target_us"])
    check = out["incremental_check"]
    assert check["met"] == (check["ratio"] <= check["target_ratio"])
    eod = out["eod"]
    assert eod["trades"] == 400
    assert eod["accounts"] > 0
    assert eod["total_im"] > 0
    assert eod["peak_rss_mb"] > 0
