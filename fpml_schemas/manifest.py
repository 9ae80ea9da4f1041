"""Checksums of the official FpML 5.10 confirmation schema files, and the check against them.

The manifest lists file names and sha256 digests only (facts about the files, not their text).
Regenerate it with ``python -m fpml_schemas.manifest DIR`` after reviewing a new schema release.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

MANIFEST_PATH = Path(__file__).with_name("fpml-5-10-confirmation.manifest.json")
SCHEMA_SET = "fpml-5-10-confirmation"
MAIN_FILE = "fpml-main-5-10.xsd"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of every ``.xsd`` file in ``directory``."""
    files = {p.name: _sha256(p) for p in sorted(directory.glob("*.xsd"))}
    if MAIN_FILE not in files:
        raise FileNotFoundError(f"{directory} has no {MAIN_FILE}")
    return {"schema_set": SCHEMA_SET, "main": MAIN_FILE, "files": files}


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def verify_directory(directory: Path, manifest: dict[str, Any] | None = None) -> list[str]:
    """Every difference between ``directory`` and the manifest (empty when the set is intact)."""
    expected: dict[str, str] = (manifest or load_manifest())["files"]
    problems = []
    for name, digest in expected.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(path) != digest:
            problems.append(f"{name}: sha256 differs from the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m fpml_schemas.manifest SCHEMA_DIR", file=sys.stderr)
        return 2
    manifest = build_manifest(Path(args[0]))
    MANIFEST_PATH.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {MANIFEST_PATH} ({len(manifest['files'])} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
