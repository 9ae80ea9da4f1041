"""`clearing-gateway bench lifecycle` as a user runs it: small, on SQLite and on PostgreSQL; every partial
termination confirmed and its Cleared status found in the outbox, the figures in their places."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import PG_DB, PG_HOST, PG_PORT, PG_USER, _need

TRADES = 12


def _bench(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "bench", "lifecycle", "--trades", str(TRADES), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)  # stdout is the JSON alone: the logs go to stderr
    return out


def _every_termination_confirmed(out: dict[str, Any], database: str, concurrency: int) -> None:
    assert out["benchmark"] == "lifecycle"
    assert out["database"] == database
    assert (out["trades"], out["cleared"]) == (TRADES, TRADES)
    assert len(out["load_average_before"]) == 3
    runs = out["terminations"]
    assert runs["submitted"] == runs["confirmed"] == runs["cleared_status_in_outbox"] == TRADES
    assert runs["refused"] == 0
    assert runs["concurrency"] == concurrency
    assert runs["seconds"] > 0
    assert runs["per_s"] == pytest.approx(TRADES / runs["seconds"], rel=0.01)
    latency = runs["latency_ms"]
    assert set(latency) == {"p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"}
    assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]


def test_bench_lifecycle_on_sqlite_confirms_every_partial_termination() -> None:
    _every_termination_confirmed(_bench("--concurrency", "4"), "sqlite", 4)


@pytest.mark.postgres
def test_bench_lifecycle_on_postgresql_confirms_every_partial_termination() -> None:
    _need(PG_HOST, PG_PORT, "PostgreSQL")
    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"
    _every_termination_confirmed(_bench("--pg", admin), "postgresql", 20)
