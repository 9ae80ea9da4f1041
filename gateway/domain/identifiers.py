"""Identifiers operators type: LEIs (ISO 17442), ISINs (ISO 6166) and how party ids are checked.

Pure functions and frozen values, no I/O. Each ``parse_*`` returns the checked value or raises
``InputRejected`` whose issue names the option or field the value came from (``path``) and the rule broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode

LEI_LENGTH = 20
ISIN_LENGTH = 12

_LEI_SHAPE = re.compile(r"[A-Z0-9]{18}[0-9]{2}")
_ISIN_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")


def _digits(text: str) -> str:
    """Letters as two-digit numbers (A=10 .. Z=35), digits as they are."""
    return "".join(str(int(ch, 36)) for ch in text)


def lei_check_digits(base: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits for an 18-character LEI prefix."""
    remainder = int(_digits(base + "00")) % 97
    return f"{98 - remainder:02d}"


def lei_problem(value: str) -> str | None:
    """Why ``value`` is not an LEI, or None if it is one."""
    if len(value) != LEI_LENGTH:
        return f"an LEI has {LEI_LENGTH} characters, {value!r} has {len(value)}"
    if _LEI_SHAPE.fullmatch(value) is None:
        return f"{value!r} is not 18 capital letters or digits followed by 2 check digits"
    if int(_digits(value)) % 97 != 1:
        return (
            f"{value!r} has wrong check digits (ISO 7064 MOD 97-10: expected {lei_check_digits(value[:18])})"
        )
    return None


def is_valid_lei(value: str) -> bool:
    return lei_problem(value) is None


def isin_check_digit(base: str) -> str:
    """The Luhn check digit over the digit expansion of an 11-character ISIN prefix."""
    total = 0
    for i, ch in enumerate(reversed(_digits(base))):
        d = int(ch)
        if i % 2 == 0:  # the rightmost digit of the expansion is doubled (the check digit will follow it)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def isin_problem(value: str) -> str | None:
    """Why ``value`` is not an ISIN, or None if it is one."""
    if len(value) != ISIN_LENGTH:
        return f"an ISIN has {ISIN_LENGTH} characters, {value!r} has {len(value)}"
    if _ISIN_SHAPE.fullmatch(value) is None:
        return f"{value!r} is not a 2-letter country code, 9 capital letters or digits and a check digit"
    expected = isin_check_digit(value[:11])
    if value[11] != expected:
        return f"{value!r} has a wrong check digit (ISO 6166: expected {expected})"
    return None


def is_valid_isin(value: str) -> bool:
    return isin_problem(value) is None


class PartyScheme(StrEnum):
    """How a member's or source's party ids are checked when they are registered."""

    LEI = "http://www.fpml.org/coding-scheme/external/iso17442"
    OTHER = "other"  # any other FpML partyIdScheme: ids are taken as given


LEI_SCHEME_NAMES = frozenset({"lei", "iso17442", PartyScheme.LEI.value})


@dataclass(frozen=True, slots=True)
class PartyIdScheme:
    """The scheme an operator gave for party ids: the LEI scheme (checked) or another one (not checked)."""

    uri: str

    @property
    def kind(self) -> PartyScheme:
        return PartyScheme.LEI if self.uri.lower() in LEI_SCHEME_NAMES else PartyScheme.OTHER

    @classmethod
    def parse(cls, text: str, path: str) -> PartyIdScheme:
        value = text.strip()
        if not value or any(ch.isspace() for ch in value):
            raise InputRejected.of(
                ReasonCode.REF_INVALID_INPUT,
                path,
                f"{text!r} is not a party id scheme: give 'lei' or a scheme URI without spaces",
            )
        return cls(PartyScheme.LEI.value if value.lower() in LEI_SCHEME_NAMES else value)


DEFAULT_PARTY_SCHEME = PartyIdScheme(PartyScheme.LEI.value)


def parse_party_id(value: str, scheme: PartyIdScheme, path: str) -> str:
    """``value`` if it is a party id of ``scheme``: in the LEI scheme it must be an LEI."""
    if not value.strip():
        raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, path, "the party id is empty")
    if scheme.kind is PartyScheme.LEI:
        problem = lei_problem(value)
        if problem is not None:
            raise InputRejected.of(
                ReasonCode.REF_INVALID_LEI,
                path,
                f"{problem}; for a party identified otherwise give its scheme with --party-scheme",
            )
    return value


def parse_isin(value: str, path: str) -> str:
    """``value`` if it is an ISIN with a correct check digit."""
    problem = isin_problem(value)
    if problem is not None:
        raise InputRejected.of(ReasonCode.REF_INVALID_ISIN, path, problem)
    return value


__all__ = [
    "DEFAULT_PARTY_SCHEME",
    "PartyIdScheme",
    "PartyScheme",
    "check_root",
    "check_segment",
    "is_valid_isin",
    "is_valid_lei",
    "isin_check_digit",
    "isin_problem",
    "lei_check_digits",
    "lei_problem",
    "parse_isin",
    "parse_party_id",
]


# A name that becomes one MQTT topic level (a source id, a member id): the channel's rule, kept here so
# the reference data can check its ids without reaching up into the channels.
_TOPIC_LEVEL_FORBIDDEN = frozenset("/+#\x00")


def check_segment(name: str) -> str:
    """Return ``name`` if it can be one topic level, else raise ``ValueError`` saying why."""
    if not name:
        raise ValueError("a topic level may not be empty")
    bad = sorted(set(name) & _TOPIC_LEVEL_FORBIDDEN)
    if bad:
        raise ValueError(f"{name!r} contains {', '.join(repr(c) for c in bad)}, not allowed in a topic level")
    if name.startswith("$"):
        raise ValueError(f"{name!r} starts with '$', reserved for broker topics")
    return name


def check_root(root: str) -> str:
    """A topic root is one or more valid levels separated by ``/``."""
    for level in root.split("/"):
        check_segment(level)
    return root
