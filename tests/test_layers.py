"""The import rules of the layout (``[tool.importlinter]`` in pyproject.toml), checked by ``lint-imports``.

Run as CI runs it, in a subprocess: the project keeps every contract, and a copy of the source with one
import against a rule is refused, naming the import, so a contract that could not fail would be noticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_project_keeps_every_import_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for name in (
        "gateway layers: each imports only what is below it KEPT",
        "no import cycle between the packages of a package KEPT",
        "the product never imports tools KEPT",
        "recon uses only the gateway's published pieces KEPT",
    ):
        assert name in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "reported"),
    [
        (
            "gateway/clearing/decide.py",
            "import gateway.store.engine",
            "gateway layers: each imports only what is below it BROKEN",
            "gateway.clearing.decide -> gateway.store.engine",
        ),
        (
            "gateway/refdata/sources.py",
            "import gateway.channels.mqtt.topics",
            "gateway layers: each imports only what is below it BROKEN",
            "gateway.refdata.sources -> gateway.channels.mqtt.topics",
        ),
        (
            "recon/formats.py",
            "import gateway.clearing.ports",
            "recon uses only the gateway's published pieces BROKEN",
            "recon.formats -> gateway.clearing.ports",
        ),
        (
            "gateway/store/engine.py",
            "import tools.bench.clearing",
            "the product never imports tools BROKEN",
            "gateway.store.engine -> tools.bench.clearing",
        ),
        (
            "gateway/domain/values.py",
            "import gateway.config",
            "no import cycle between the packages of a package BROKEN",
            "- .domain -> .config",
        ),
        (
            "gateway/clearing/receipt.py",
            "import gateway.clearing.service",
            "no import cycle between the packages of a package BROKEN",
            "No cycles are allowed in gateway.clearing.",
        ),
    ],
)
def test_an_import_against_a_rule_is_refused_and_named(
    tmp_path: Path, module: str, line: str, contract: str, reported: str
) -> None:
    for package in ("gateway", "recon", "tools"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert contract in result.stdout
    assert reported in result.stdout
