"""``clearing-recon bench`` on small books: both engines run, and they find the same breaks."""

from __future__ import annotations

import importlib
import json

from typer.testing import CliRunner

from recon.cli import _COMMAND_MODULES, app
from recon.engine import BEYOND_POSITIONS

for _module in _COMMAND_MODULES:
    importlib.import_module(_module)


def test_bench_reports_both_engines_and_identical_breaks() -> None:
    result = CliRunner().invoke(app, ["bench", "--rows", "3000", "--seed", "3", "--repeat", "1"])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["rows"] == 3000
    assert figures["same_breaks"] is True
    assert figures["ours_equals_injected"] is True
    assert (figures["only_ours"], figures["only_datacompy"]) == (0, 0)
    assert figures["compared_breaks"] > 0
    # every kind of break the generated books inject (they carry no lifecycle events)
    # every position break the generated books carry is found (they carry no lifecycle event, and no VM,
    # cash-flow or aggregate figures: those types are matched from other inputs)
    beyond = {t.value for t in BEYOND_POSITIONS}
    assert all(
        v > 0
        for t, v in figures["ours_by_type"].items()
        if not t.startswith("LIFECYCLE_") and t not in beyond
    )
    assert figures["ours_seconds"] > 0
    assert figures["datacompy_seconds"] > 0
    assert figures["ours_peak_mb"] > 0
    assert figures["ours_same_every_run"] is True
    assert len(figures["ours_all_seconds"]) == 1
