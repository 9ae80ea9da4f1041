"""The ISO 4217 table: currencies the gateway clears and values are in it; anything else is refused by name."""

from __future__ import annotations

import pytest

from gateway.domain.currencies import ISO_4217, is_currency, parse_currency
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from gateway.refdata.fx import FxRates
from gateway.rules.settings import ClearingSettings


def test_the_table_holds_three_capital_letters_per_code() -> None:
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in ISO_4217)
    assert {"AUD", "USD", "EUR", "GBP", "JPY", "NZD", "CAD", "CHF", "XAU", "XDR"} <= ISO_4217


def test_every_currency_the_product_ships_is_in_the_table() -> None:
    shipped = FxRates.load()
    assert {shipped.pivot, *shipped.per_unit} <= ISO_4217
    assert set(ClearingSettings.load().block_thresholds.by_currency) <= ISO_4217


@pytest.mark.parametrize("code", ["XYZ", "aud", "AU", "AUDD", "", "HRK", "XTS", "XXX"])
def test_anything_else_is_refused_naming_the_option(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(InputRejected) as err:
        parse_currency(code, "--currency")
    assert (err.value.code, err.value.path) == (ReasonCode.REF_UNKNOWN_CURRENCY, "--currency")
    assert repr(code) in err.value.issues[0].message


def test_a_lower_case_code_gets_a_hint() -> None:
    with pytest.raises(InputRejected) as err:
        parse_currency("eur", "--base-currency")
    assert "did you mean EUR?" in err.value.issues[0].message
