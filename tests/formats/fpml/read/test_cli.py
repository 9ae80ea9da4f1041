"""``clearing-gateway normalise`` and ``bench fpml``, run as the operator runs them (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.formats.fpml.read.helpers import EXAMPLES, VANILLA

CLI = [sys.executable, "-m", "gateway.cli.main"]
REPO = Path(__file__).resolve().parents[4]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


@pytest.mark.official_fpml
def test_one_accepted_file_prints_its_canonical_trades() -> None:
    result = _run("normalise", str(EXAMPLES / VANILLA))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["ok"] is True
    assert out["message_type"] == "dataDocument"
    (trade,) = out["trades"]
    assert trade["source_trade_id"] == "TW9235"
    assert trade["streams"][1]["fixed_rate"] == 0.06


@pytest.mark.official_fpml
def test_several_files_give_a_list_and_exit_2_when_any_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    result = _run(
        "normalise",
        str(EXAMPLES / VANILLA),
        str(EXAMPLES / "products/interest-rate-derivatives/ird-ex22-cap.xml"),
        str(missing),
        str(tmp_path),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    ok, cap, gone, directory = json.loads(result.stdout)
    assert ok["ok"] is True
    assert cap["ok"] is False
    assert cap["errors"][0]["code"] == "SCOPE_CAP_FLOOR"
    assert cap["errors"][0]["path"] == "/dataDocument/trade/capFloor"
    assert gone == {
        "file": str(missing),
        "ok": False,
        "errors": [{"code": "XML_INPUT_UNREADABLE", "path": str(missing), "message": "no such file"}],
    }
    assert directory["errors"][0]["code"] == "XML_INPUT_UNREADABLE"
    assert "directory" in directory["errors"][0]["message"]


def test_hostile_file_is_refused_without_traceback(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("SECRET-VALUE-77")
    bad = tmp_path / "xxe.xml"
    bad.write_text(f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><x>&e;</x>')
    result = _run("normalise", str(bad))
    assert result.returncode == 2
    assert "SECRET-VALUE-77" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["errors"][0]["code"] == "XML_ENTITY_FORBIDDEN"


@pytest.mark.official_fpml
def test_bench_prints_both_figures_and_their_ratio() -> None:
    result = _run("bench", "fpml", "--seconds", "0.2")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["documents_in_set"] == 10
    assert figures["pipeline_parse_validate_normalise_docs_per_s"] > 0
    assert figures["baseline_lxml_parse_validate_docs_per_s"] > 0
    expected = (
        figures["pipeline_parse_validate_normalise_docs_per_s"]
        / figures["baseline_lxml_parse_validate_docs_per_s"]
    )
    assert abs(figures["ratio"] - expected) < 0.01
    stages = figures["stages_us_per_document"]
    assert set(stages["bare"]) == {"parse", "validate"}
    assert set(stages["pipeline"]) == {"parse", "rules", "validate", "read", "release"}
    assert all(v > 0 for side in stages.values() for v in side.values())


@pytest.mark.official_fpml
def test_bench_reports_each_hostile_document_refused_with_its_code() -> None:
    result = _run("bench", "fpml", "--seconds", "0.1")
    refusals = json.loads(result.stdout)["hostile_refusals"]
    assert {name: r["code"] for name, r in refusals.items()} == {
        "billion_laughs": "XML_ENTITY_FORBIDDEN",
        "external_entity": "XML_ENTITY_FORBIDDEN",
        "fifty_megabytes": "XML_TOO_LARGE",
        "truncated": "XML_MALFORMED",
        "wrong_namespace": "XML_WRONG_NAMESPACE",
    }


def test_a_schema_dir_that_is_missing_is_one_line_and_exit_2(tmp_path: Path) -> None:
    doc = tmp_path / "t.xml"
    doc.write_text("<x/>")
    result = _run("normalise", str(doc), "--schema-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stdout == ""  # no per-file INTERNAL_ERROR answer
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("clearing-gateway: error: --schema-dir: no fpml-main-5-10.xsd")
    assert str(tmp_path / "nowhere") in line


def test_without_a_schema_dir_the_clearing_profile_is_named(tmp_path: Path) -> None:
    """Outside a developer's checkout (no ../shared) the profile validates, and says so."""
    env = {k: v for k, v in os.environ.items() if k != "CLEARING_FPML_SCHEMA_DIR"}
    doc = tmp_path / "t.xml"
    doc.write_text("<x/>")
    result = subprocess.run(
        [*CLI, "normalise", str(doc)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert "validating against clearing-profile" in result.stderr
    assert "Traceback" not in result.stderr
