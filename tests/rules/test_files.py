from pathlib import Path

import pytest

from gateway.domain import InputRejected, ReasonCode
from gateway.rules.products import ProductTable
from gateway.rules.settings import ClearingSettings


@pytest.mark.parametrize("kind", [ProductTable, ClearingSettings])
def test_an_unreadable_rules_file_is_refused_naming_it(kind: type, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(InputRejected) as err:
        kind.load(missing)
    assert err.value.code is ReasonCode.REF_INVALID_INPUT
    assert err.value.path == str(missing)
    assert "cannot read" in str(err.value)


def test_the_shipped_rules_load() -> None:
    assert ProductTable.load() is not None
    assert ClearingSettings.load().ccp.party_id
