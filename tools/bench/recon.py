"""Benchmark: our reconciliation against datacompy's PandasCompare on the same generated books.

Each engine runs in its own fresh process (so peak memory is its own), reads the same Parquet books into
pandas (the interface users hand us), and is timed from those frames to its list of breaks.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from recon.layout import NUMERIC_COLUMNS
from recon.tolerances import DEFAULT_TOLERANCES

# The break types a single-key comparison can express, keyed as (type, trade id, field).
_COMPARABLE = (
    "MISSING_AT_MEMBER",
    "MISSING_AT_CCP",
    "ECONOMIC_MISMATCH",
    "STATUS_MISMATCH",
    "VALUATION_MISMATCH",
)


def _field_type(column: str) -> str:
    return {"status": "STATUS_MISMATCH", "npv": "VALUATION_MISMATCH"}.get(column, "ECONOMIC_MISMATCH")


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _ours(member_path: str, ccp_path: str, member: str) -> dict[str, Any]:
    import pandas as pd

    from recon.engine import reconcile
    from recon.loader import Side, normalise
    from recon.tolerances import Tolerances

    mem, ccp = pd.read_parquet(member_path), pd.read_parquet(ccp_path)
    start, cpu = time.perf_counter(), time.process_time()
    member_book = normalise(mem, source="member", member=member, side=Side.MEMBER)
    ccp_book = normalise(ccp, source="ccp", member=member, side=Side.CCP)
    result = reconcile(member, member_book, ccp_book, Tolerances())
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = result.breaks.select("break_type", "trade_id", "field").rows()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": _peak_mb(),
        "breaks": [(t, i, f or "") for t, i, f in rows],
        "counts": result.counts(),
        "matched": result.matched,
    }


def _datacompy(member_path: str, ccp_path: str, member: str) -> dict[str, Any]:
    import datacompy
    import pandas as pd

    mem, ccp = pd.read_parquet(member_path), pd.read_parquet(ccp_path)
    abs_tol: dict[str, float] = {c: DEFAULT_TOLERANCES[c].abs for c in NUMERIC_COLUMNS}
    rel_tol: dict[str, float] = {c: DEFAULT_TOLERANCES[c].rel for c in NUMERIC_COLUMNS}
    start, cpu = time.perf_counter(), time.process_time()
    compare = datacompy.PandasCompare(
        mem,
        ccp,
        join_columns="trade_id",
        abs_tol={**abs_tol, "default": 0.0},
        rel_tol={**rel_tol, "default": 0.0},
    )
    breaks: list[tuple[str, str, str]] = []
    breaks += [("MISSING_AT_CCP", str(t), "") for t in compare.df1_unq_rows["trade_id"].dropna()]
    breaks += [("MISSING_AT_MEMBER", str(t), "") for t in compare.df2_unq_rows["trade_id"].dropna()]
    both = compare.intersect_rows
    for column in mem.columns:
        flag = f"{column}_match"
        if column == "trade_id" or flag not in both.columns:
            continue
        differs = both.loc[~both[flag].astype(bool), "trade_id"]
        breaks += [(_field_type(column), str(t), column) for t in differs.dropna()]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": _peak_mb(), "breaks": breaks}


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        result: dict[str, Any] = pool.apply(target, args)
    return result


def run_bench(rows: int, *, seed: int = 7, member: str = "CM1", repeat: int = 3) -> dict[str, Any]:
    """Run each engine ``repeat`` times, alternating, each run in a fresh process; report the best of each.

    On a shared machine the best of several runs is the least disturbed one; every run's time is listed too.
    """
    from recon.synth import generate_books

    mem, ccp, injected = generate_books(rows, member=member, seed=seed)
    ours_runs: list[dict[str, Any]] = []
    theirs_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="recon-bench-") as tmp:
        member_path, ccp_path = str(Path(tmp) / "member.parquet"), str(Path(tmp) / "ccp.parquet")
        mem.to_parquet(member_path, index=False)
        ccp.to_parquet(ccp_path, index=False)
        del mem, ccp
        for _ in range(repeat):
            ours_runs.append(_in_child(_ours, member_path, ccp_path, member))
            theirs_runs.append(_in_child(_datacompy, member_path, ccp_path, member))
    ours = min(ours_runs, key=lambda r: r["seconds"])
    theirs = min(theirs_runs, key=lambda r: r["seconds"])
    found = {tuple(b) for b in ours["breaks"]}
    excluded = injected.not_comparable

    def comparable(items: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        return {b for b in items if b[0] in _COMPARABLE and b[1] not in excluded and b[1] != "None"}

    ours_set = comparable(found)
    theirs_set = comparable({tuple(b) for b in theirs["breaks"]})
    consistent = all({tuple(b) for b in r["breaks"]} == found for r in ours_runs)
    return {
        "rows": rows,
        "repeat": repeat,
        "ours_seconds": round(ours["seconds"], 3),
        "datacompy_seconds": round(theirs["seconds"], 3),
        "ratio": round(ours["seconds"] / theirs["seconds"], 3) if theirs["seconds"] else None,
        "ours_cpu_seconds": round(ours["cpu_seconds"], 3),
        "datacompy_cpu_seconds": round(theirs["cpu_seconds"], 3),
        "ours_all_seconds": [round(r["seconds"], 3) for r in ours_runs],
        "datacompy_all_seconds": [round(r["seconds"], 3) for r in theirs_runs],
        "ours_peak_mb": max(r["peak_mb"] for r in ours_runs),
        "datacompy_peak_mb": max(r["peak_mb"] for r in theirs_runs),
        "same_breaks": ours_set == theirs_set,
        "compared_breaks": len(ours_set),
        "only_ours": len(ours_set - theirs_set),
        "only_datacompy": len(theirs_set - ours_set),
        "excluded_keys": len(excluded),
        "ours_equals_injected": found == set(injected.expected),
        "ours_same_every_run": consistent,
        "ours_by_type": ours["counts"],
        "matched": ours["matched"],
        "engine": "polars",
    }
