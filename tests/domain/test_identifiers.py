"""LEI (ISO 17442) and ISIN (ISO 6166) checks against a reference written here, separately from the code.

The reference computes the LEI remainder character by character and finds the ISIN check digit by trying
all ten, so it shares no arithmetic with ``gateway.domain.identifiers``.

What the standards' check digits catch: every change of one digit into another digit (both), and for an
LEI every change of one letter into another letter. A letter changed into a digit (or back) changes the
length of the digit expansion and can go unnoticed by the arithmetic (the pairs below are real cases);
for those the property is that the code agrees with the reference, never that it is stricter than the
standard.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.errors import InputRejected
from gateway.domain.identifiers import (
    DEFAULT_PARTY_SCHEME,
    PartyIdScheme,
    PartyScheme,
    is_valid_isin,
    is_valid_lei,
    isin_check_digit,
    lei_check_digits,
    parse_isin,
    parse_party_id,
)
from gateway.domain.reasons import ReasonCode

ALNUM = string.ascii_uppercase + string.digits


# ---------------------------------------------------------------- the reference


def _value(ch: str) -> int:
    return ord(ch) - ord("0") if ch.isdigit() else ord(ch) - ord("A") + 10


def ref_mod97(text: str) -> int:
    remainder = 0
    for ch in text:
        v = _value(ch)
        remainder = (remainder * (100 if v >= 10 else 10) + v) % 97
    return remainder


def ref_lei_valid(text: str) -> bool:
    return (
        len(text) == 20
        and all(ch in ALNUM for ch in text[:18])
        and text[18:].isdigit()
        and ref_mod97(text) == 1
    )


def ref_lei(base: str) -> str:
    return base + str(98 - ref_mod97(base + "00")).zfill(2)


def ref_luhn_ok(digits: str) -> bool:
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if pos % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def ref_isin_valid(text: str) -> bool:
    return (
        len(text) == 12
        and text[:2].isalpha()
        and text[:2].isupper()
        and all(ch in ALNUM for ch in text[2:11])
        and text[11].isdigit()
        and ref_luhn_ok("".join(str(_value(ch)) for ch in text))
    )


def ref_isin(base: str) -> str:
    (digit,) = [d for d in string.digits if ref_isin_valid(base + d)]
    return base + digit


lei_bases = st.text(alphabet=ALNUM, min_size=18, max_size=18)
isin_bases = st.builds(
    lambda country, body: country + body,
    st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2),
    st.text(alphabet=ALNUM, min_size=9, max_size=9),
)


def _changed(text: str, position: int, replacement: str) -> str:
    return text[:position] + replacement + text[position + 1 :]


# ---------------------------------------------------------------- LEI


@given(lei_bases)
def test_generated_leis_are_valid_with_the_reference_check_digits(base: str) -> None:
    lei = ref_lei(base)
    assert lei_check_digits(base) == lei[18:]
    assert is_valid_lei(lei)
    assert parse_party_id(lei, DEFAULT_PARTY_SCHEME, "--party") == lei


@given(lei_bases, st.integers(0, 19), st.sampled_from(ALNUM))
def test_a_single_character_change_to_an_lei(base: str, position: int, replacement: str) -> None:
    lei = ref_lei(base)
    if lei[position] == replacement:
        return
    changed = _changed(lei, position, replacement)
    assert is_valid_lei(changed) == ref_lei_valid(changed)
    if lei[position].isdigit() == replacement.isdigit():  # digit for digit, letter for letter: always caught
        assert not is_valid_lei(changed)


def test_real_leis_pass_and_the_standards_blind_spot_is_the_references_too() -> None:
    for lei in ("HWUPKR0MPOU8FGXBT394", "549300VBWWV6BYQOWM67", "529900DTJ5A7S5UCBB52"):
        assert is_valid_lei(lei)
    # one letter for one digit, both valid by ISO 7064: nothing a checksum of this kind can refuse
    for lei in ("Q9SDKRRYRUZCTQVOOV45", "Q9SDKRRYR9ZCTQVOOV45"):
        assert is_valid_lei(lei)
        assert ref_lei_valid(lei)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("12345", "an LEI has 20 characters"),
        ("549300vbwwv6byqowm67", "capital letters or digits"),
        ("549300VBWWV6BYQOWMAB", "2 check digits"),
        ("549300VBWWV6BYQOWM68", "expected 67"),
    ],
)
def test_a_party_id_that_is_not_an_lei_is_refused_with_the_rule(text: str, said: str) -> None:
    with pytest.raises(InputRejected) as err:
        parse_party_id(text, DEFAULT_PARTY_SCHEME, "--party")
    assert (err.value.code, err.value.path) == (ReasonCode.REF_INVALID_LEI, "--party")
    assert said in err.value.issues[0].message
    assert "--party-scheme" in err.value.issues[0].message


def test_another_party_scheme_takes_ids_as_given_and_lei_names_the_lei_scheme() -> None:
    dummy = PartyIdScheme.parse("http://www.fpml.org/coding-scheme/dummy-party-id", "--party-scheme")
    assert dummy.kind is PartyScheme.OTHER
    assert parse_party_id("12345", dummy, "--party") == "12345"
    for name in ("lei", "LEI", "iso17442", "http://www.fpml.org/coding-scheme/external/iso17442"):
        assert PartyIdScheme.parse(name, "--party-scheme") == DEFAULT_PARTY_SCHEME
    with pytest.raises(InputRejected) as err:
        PartyIdScheme.parse("two words", "--party-scheme")
    assert err.value.path == "--party-scheme"
    with pytest.raises(InputRejected) as err:
        parse_party_id(" ", dummy, "--party")
    assert err.value.path == "--party"


# ---------------------------------------------------------------- ISIN


@given(isin_bases)
def test_generated_isins_are_valid_with_the_reference_check_digit(base: str) -> None:
    isin = ref_isin(base)
    assert isin_check_digit(base) == isin[11]
    assert is_valid_isin(isin)
    assert parse_isin(isin, "--security") == isin


@given(isin_bases, st.integers(0, 11), st.sampled_from(ALNUM))
def test_a_single_character_change_to_an_isin(base: str, position: int, replacement: str) -> None:
    isin = ref_isin(base)
    if isin[position] == replacement:
        return
    changed = _changed(isin, position, replacement)
    assert is_valid_isin(changed) == ref_isin_valid(changed)
    if isin[position].isdigit() and replacement.isdigit():  # a digit for a digit: always caught (Luhn)
        assert not is_valid_isin(changed)
    if (position < 2 and replacement.isdigit()) or (position == 11 and not replacement.isdigit()):
        assert not is_valid_isin(changed)  # the country is letters, the check digit a digit


def test_real_isins_pass() -> None:
    for isin in ("US0378331005", "AU000000BHP4", "GB0002634946", "DE0007164600"):
        assert is_valid_isin(isin)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("BADISIN", "an ISIN has 12 characters"),
        ("1U0378331005", "2-letter country code"),
        ("US0378331006", "expected 5"),
    ],
)
def test_a_security_that_is_not_an_isin_is_refused_with_the_rule(text: str, said: str) -> None:
    with pytest.raises(InputRejected) as err:
        parse_isin(text, "--security")
    assert (err.value.code, err.value.path) == (ReasonCode.REF_INVALID_ISIN, "--security")
    assert said in err.value.issues[0].message
