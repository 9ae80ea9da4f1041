"""Every file or folder that docs/ARCHITECTURE.md and docs/DESIGN_NOTES.md name exists in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# a path of the repository's own folders: gateway/..., fpml_schemas/..., tools/... (a glob such as
# store/migrations/*.py is matched as one)
_PATH = re.compile(r"(?<![\w./-])(?:gateway|fpml_schemas|fix_specs|recon|tools|tests|deploy|docs)/[\w./*-]*")


def named_paths(text: str) -> list[str]:
    """The repository paths a document names, in order, without trailing punctuation."""
    return list(dict.fromkeys(m.group(0).rstrip(".,") for m in _PATH.finditer(text)))


def test_named_paths_finds_files_folders_and_globs_and_skips_topics_and_urls() -> None:
    text = (
        "`gateway/channels/mqtt/intake/` then gateway/clearing/decide.py, and "
        "gateway/store/migrations/versions/*.py; not ccp/in/gateway/x nor https://h/tools/y"
    )
    assert named_paths(text) == [
        "gateway/channels/mqtt/intake/",
        "gateway/clearing/decide.py",
        "gateway/store/migrations/versions/*.py",
    ]


@pytest.mark.parametrize("doc", ["ARCHITECTURE.md", "DESIGN_NOTES.md"])
def test_every_path_a_design_document_names_exists(doc: str) -> None:
    paths = named_paths((ROOT / "docs" / doc).read_text())
    assert any(p.startswith("gateway/") for p in paths)
    missing = [p for p in paths if not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())]
    assert missing == [], f"docs/{doc} names paths that do not exist"
