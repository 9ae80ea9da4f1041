"""The schema loader: verified official set, clearing-profile fallback, explanations with paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

import fpml_schemas
from fpml_schemas import (
    OFFICIAL_LABEL,
    PROFILE_LABEL,
    SchemaSetError,
    build_manifest,
    load_manifest,
    load_schema,
    verify_directory,
)
from gateway.domain.errors import InputRejected
from gateway.formats.fpml.read import FpmlOptions, parse_fpml

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fpml" / "examples"
VANILLA = EXAMPLES / "products/interest-rate-derivatives/ird-ex01-vanilla-swap.xml"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    fpml_schemas.clear_cache()


def test_committed_manifest_matches_the_official_set(fpml_schema_dir: Path) -> None:
    assert verify_directory(fpml_schema_dir) == []
    assert build_manifest(fpml_schema_dir)["files"] == load_manifest()["files"]


def test_manifest_holds_names_and_digests_only() -> None:
    text = fpml_schemas.MANIFEST_PATH.read_text()
    data = json.loads(text)
    assert set(data) == {"schema_set", "main", "files"}
    assert all(len(v) == 64 for v in data["files"].values())
    assert "<xsd:" not in text


def test_default_directory_gives_the_verified_official_set(fpml_schema_dir: Path) -> None:
    loaded = load_schema()
    assert loaded.label == OFFICIAL_LABEL
    assert loaded.official
    assert load_schema() is loaded  # compiled once


def test_altered_official_file_is_refused(fpml_schema_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "xsd"
    shutil.copytree(fpml_schema_dir, copy)
    target = copy / "fpml-ird-5-10.xsd"
    target.write_bytes(target.read_bytes().replace(b"</xsd:schema>", b"<!-- altered --></xsd:schema>"))
    with pytest.raises(SchemaSetError, match=r"fpml-ird-5-10\.xsd: sha256 differs"):
        load_schema(copy)


def test_missing_configured_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaSetError, match=r"no fpml-main-5-10\.xsd"):
        load_schema(tmp_path / "nowhere")


def test_env_var_overrides_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(fpml_schemas.ENV_VAR, str(tmp_path))
    with pytest.raises(SchemaSetError):
        load_schema()


@pytest.mark.official_fpml
def test_absent_default_directory_falls_back_to_the_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(fpml_schemas.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_schema().label == PROFILE_LABEL
    parsed = parse_fpml(VANILLA.read_bytes())
    assert parsed.schema == PROFILE_LABEL
    assert len(parsed.trades) == 1


def _example_paths() -> list[str]:
    """Every official example; without them one placeholder, so the marker skips (or fails under CI)."""
    found = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.xml"))
    return found or ["(official examples absent)"]


@pytest.mark.official_fpml
@pytest.mark.parametrize("path", _example_paths())
def test_profile_accepts_every_official_example_it_declares(path: str) -> None:
    profile = load_schema(profile=True)
    root = etree.parse(str(EXAMPLES / path)).getroot()
    declared = etree.QName(root).localname in fpml_schemas.loader_roots()
    assert profile.is_valid(root) == declared


def _broken_swap() -> bytes:
    return VANILLA.read_bytes().replace(
        b"<initialValue>0.06</initialValue>", b"<initialValue>six</initialValue>"
    )


@pytest.mark.official_fpml
def test_profile_failure_is_explained_with_the_element_path() -> None:
    with pytest.raises(InputRejected) as caught:
        parse_fpml(_broken_swap(), options=FpmlOptions(profile=True, explain_wait=True))
    issue = caught.value.issues[0]
    assert issue.code.value == "SCHEMA_INVALID"
    assert issue.path.endswith("fixedRateSchedule/initialValue")
    assert PROFILE_LABEL in issue.message


@pytest.mark.official_fpml
def test_official_failure_names_the_element() -> None:
    """lxml's own report, with its ``/*/*[2]`` paths turned into element names."""
    with pytest.raises(InputRejected) as caught:
        parse_fpml(_broken_swap(), options=FpmlOptions(explain=False))
    issue = caught.value.issues[0]
    assert issue.code.value == "SCHEMA_INVALID"
    assert (
        issue.path
        == "/dataDocument/trade/swap/swapStream[2]/calculationPeriodAmount/calculation/fixedRateSchedule/initialValue"
    )
    assert OFFICIAL_LABEL in issue.message


@pytest.mark.official_fpml
def test_first_failure_does_not_wait_for_the_explainer() -> None:
    """Without waiting, the answer is lxml's (the xmlschema model builds in the background)."""
    profile = load_schema(profile=True)
    root = etree.fromstring(_broken_swap())
    fallback = profile.check(root)
    assert fallback
    assert profile.explain(root, fallback=fallback, wait=False) is fallback
