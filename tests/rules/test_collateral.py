"""The eligible-collateral table of the clearing settings: haircuts by ISIN or by ISIN country prefix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.rules.collateral import EligibleCollateral, check_haircut
from gateway.rules.settings import ClearingSettings

TABLE = """
[collateral.eligible]
AU = 0.03
AU000000BHP4 = 0.25
US = "0.02"
"""


def test_a_whole_isin_wins_over_its_country_prefix() -> None:
    eligible = ClearingSettings.from_toml(TABLE).collateral
    assert eligible.haircut_for("AU000000BHP4") == Decimal("0.25")
    assert eligible.haircut_for("AU000XCLWAB3") == Decimal("0.03")
    assert eligible.haircut_for("US0378331005") == Decimal("0.02")
    assert eligible.haircut_for("GB0002634946") is None


def test_the_shipped_settings_have_a_table() -> None:
    assert ClearingSettings.load().collateral.haircut_for("AU000XCLWAB3") is not None
    assert ClearingSettings().collateral.haircut_for("AU000XCLWAB3") is None  # no table, no haircut


@pytest.mark.parametrize(
    ("text", "code", "path"),
    [
        ("[collateral.eligible]\nAU = 1", ReasonCode.REF_INVALID_INPUT, "collateral.eligible.AU"),
        ("[collateral.eligible]\nAU = -0.1", ReasonCode.REF_INVALID_INPUT, "collateral.eligible.AU"),
        ("[collateral.eligible]\nAU = true", ReasonCode.REF_INVALID_INPUT, "collateral.eligible.AU"),
        ("[collateral.eligible]\nAUS = 0.1", ReasonCode.REF_INVALID_INPUT, "collateral.eligible.AUS"),
        (
            "[collateral.eligible]\nAU000000BHP5 = 0.1",
            ReasonCode.REF_INVALID_ISIN,
            "collateral.eligible.AU000000BHP5",
        ),
        ("[collateral]\nhaircut = 0.1", ReasonCode.REF_INVALID_INPUT, "collateral.haircut"),
        ("[collateral]\neligible = 3", ReasonCode.REF_INVALID_INPUT, "collateral.eligible"),
    ],
)
def test_a_bad_table_is_refused_where_it_is_wrong(text: str, code: ReasonCode, path: str) -> None:
    with pytest.raises(InputRejected) as err:
        ClearingSettings.from_toml(text)
    assert (err.value.code, err.value.path) == (code, path)


@pytest.mark.parametrize("value", ["1", "1.5", "-0.01", "NaN", "Infinity"])
def test_a_haircut_is_a_fraction_below_one(value: str) -> None:
    with pytest.raises(InputRejected) as err:
        check_haircut(Decimal(value), "--haircut")
    assert (err.value.code, err.value.path) == (ReasonCode.REF_INVALID_INPUT, "--haircut")


def test_zero_and_just_below_one_are_haircuts() -> None:
    assert check_haircut(Decimal(0), "--haircut") == 0
    assert EligibleCollateral().haircut_for("AU000XCLWAB3") is None
    assert check_haircut(Decimal("0.999"), "--haircut") == Decimal("0.999")
