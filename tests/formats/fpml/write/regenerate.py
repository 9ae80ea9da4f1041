"""Rewrite the FpML golden files from ``cases.py``; run it only after a deliberate change of output.

    python -m tests.formats.fpml.write.regenerate   (from the repository root, in the project venv)

It prints each file it changes; review the diff (``git diff tests/golden/fpml_out``) before committing.
"""

from __future__ import annotations

from tests.formats.fpml.write.cases import CASES, GOLDEN_DIR


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, build in CASES.items():
        path = GOLDEN_DIR / f"{name}.xml"
        data = build()
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            print(f"wrote {path}")
    known = {f"{name}.xml" for name in CASES}
    for stale in sorted(p for p in GOLDEN_DIR.glob("*.xml") if p.name not in known):
        print(f"no case produces {stale} any more; delete it if that is intended")


if __name__ == "__main__":
    main()
