"""Golden files: the writers' output for fixed inputs, byte for byte, and every file valid FpML 5.10.

After a deliberate change of output run ``python -m tests.formats.fpml.write.regenerate`` and review the diff.
"""

from __future__ import annotations

import pytest

from tests.formats.fpml.write.cases import CASES, GOLDEN_DIR
from tests.formats.fpml.write.conftest import SchemaCheck


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden_file(name: str) -> None:
    path = GOLDEN_DIR / f"{name}.xml"
    assert path.is_file(), f"{path} is missing; run python -m tests.formats.fpml.write.regenerate"
    assert CASES[name]() == path.read_bytes(), f"{name}: output differs from {path}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_file_is_valid_fpml(name: str, assert_valid: SchemaCheck) -> None:
    assert_valid((GOLDEN_DIR / f"{name}.xml").read_bytes())


def test_every_golden_file_has_a_case() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.xml")} == set(CASES)
