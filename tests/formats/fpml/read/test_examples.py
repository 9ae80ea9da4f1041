"""Every official example gets a correct answer: accepted ones match their golden canonical JSON field by
field, refused ones carry their specific reason code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.codec import trade_to_dict
from gateway.domain.errors import InputRejected
from gateway.domain.messages import ClearingConfirmation, ClearingRequest, ClearingStatusReport
from gateway.formats.fpml.read import ParsedFpml, parse_fpml

GOLDEN = Path(__file__).resolve().parents[3] / "golden" / "fpml"
EXAMPLES = Path(__file__).resolve().parents[5] / "shared" / "fpml" / "examples"

REFUSED: dict[str, tuple[str, str]] = {
    # file -> (reason code, a word the message must contain)
    "business-processes/clearing/msg-ex07-clearingRequested-from-sef.xml": (
        "SCOPE_NON_SWAP_PRODUCT",
        "fxSingleLeg",
    ),
    "business-processes/clearing/msg-ex10-clearingConfirmed-clearing-performed.xml": (
        "SCOPE_NON_SWAP_PRODUCT",
        "fxSingleLeg",
    ),
    "business-processes/clearing/msg-ex100-request-clearing-eligibility.xml": (
        "XML_UNKNOWN_MESSAGE",
        "requestClearingEligibility",
    ),
    "business-processes/consent/msg-ex200-request-consent-clearing.xml": (
        "SCOPE_NON_SWAP_PRODUCT",
        "creditDefaultSwap",
    ),
    "business-processes/consent/msg-ex201-grant-consent.xml": ("XML_UNKNOWN_MESSAGE", "consentGranted"),
    "business-processes/consent/msg-ex202-consent-refused.xml": ("XML_UNKNOWN_MESSAGE", "consentRefused"),
    "business-processes/consent/msg-ex304-request-retransmission-of-constituent-of-portfolio.xml": (
        "XML_UNKNOWN_MESSAGE",
        "requestRetransmission",
    ),
    "business-processes/packages/pkg-ex60-request-clearing.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "constant-maturity",
    ),
    "business-processes/packages/pkg-ex61-clearing-confirmed.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "constant-maturity",
    ),
    "cdm-samples/fpml-5-10/products/rates/GBP-OIS-uti.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "additional payments",
    ),
    "products/interest-rate-derivatives/ird-ex09-euro-swaption-explicit.xml": (
        "SCOPE_EMBEDDED_OPTION",
        "swaption",
    ),
    "products/interest-rate-derivatives/ird-ex16-mand-term-swap.xml": (
        "SCOPE_EMBEDDED_OPTION",
        "mandatoryEarlyTermination",
    ),
    "products/interest-rate-derivatives/ird-ex22-cap.xml": ("SCOPE_CAP_FLOOR", "capFloor"),
    "products/interest-rate-derivatives/ird-ex27-inverse-floater.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "inverse floater",
    ),
    "products/interest-rate-derivatives/ird-ex29-non-deliverable-settlement-swap.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "non-deliverable",
    ),
    "products/interest-rate-derivatives/ird-ex32-zero-coupon-swap.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "firstPeriodStartDate",
    ),
    "products/interest-rate-derivatives/ird-ex33-BRL-CDI-swap.xml": (
        "SCOPE_UNSUPPORTED_FEATURE",
        "non-deliverable",
    ),
}


def _all_examples() -> list[str]:
    return sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.xml"))


def _accepted() -> list[str]:
    return sorted(str(p.relative_to(GOLDEN))[: -len(".json")] for p in GOLDEN.rglob("*.xml.json"))


def test_every_example_has_an_expected_answer(fpml_examples: Path) -> None:
    assert set(_all_examples()) == set(_accepted()) | set(REFUSED)
    assert not set(_accepted()) & set(REFUSED)


def _compare(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: keys differ {set(actual) ^ set(expected)}"
        for key in expected:
            _compare(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, expected {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _compare(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: got {actual!r}, expected {expected!r}"


def _message_fields(parsed: ParsedFpml, wanted: dict[str, Any]) -> dict[str, Any]:
    msg = parsed.message
    out: dict[str, Any] = {}
    for key in wanted:
        if key in ("message_id", "sent_by"):
            out[key] = getattr(msg.header, key) if msg.header is not None else None
        elif key == "trade_ids":
            assert isinstance(msg, ClearingStatusReport)
            out[key] = [
                {"party_id": t.party_id, "trade_id": t.trade_id, "scheme": t.scheme} for t in msg.trade_ids
            ]
        elif key == "status_applies_to":
            assert isinstance(msg, ClearingStatusReport)
            out[key] = list(msg.status_applies_to)
        elif key == "status":
            assert isinstance(msg, ClearingStatusReport)
            out[key] = msg.status.value
        elif key == "submitted":
            assert isinstance(msg, ClearingConfirmation)
            out[key] = None if msg.submitted is None else trade_to_dict(msg.submitted)
        else:
            out[key] = getattr(msg, key)
    return out


@pytest.mark.parametrize("rel", _accepted())
def test_accepted_example_matches_golden(rel: str, fpml_examples: Path) -> None:
    expected = json.loads((GOLDEN / f"{rel}.json").read_text())
    parsed = parse_fpml((fpml_examples / rel).read_bytes())
    assert parsed.message_type.value == expected["message_type"]
    assert parsed.schema == "fpml-5-10-confirmation (official, verified)"
    _compare([trade_to_dict(t) for t in parsed.trades], expected["trades"], rel)
    if "message" in expected:
        _compare(_message_fields(parsed, expected["message"]), expected["message"], f"{rel}:message")


@pytest.mark.parametrize("rel", sorted(REFUSED))
def test_refused_example_has_its_specific_reason(rel: str, fpml_examples: Path) -> None:
    code, word = REFUSED[rel]
    with pytest.raises(InputRejected) as caught:
        parse_fpml((fpml_examples / rel).read_bytes())
    codes = {i.code.value for i in caught.value.issues}
    assert codes == {code}, caught.value.issues
    assert any(word in i.message for i in caught.value.issues), caught.value.issues
    assert all(i.path.startswith("/") for i in caught.value.issues)


def test_clearing_request_carries_its_header_and_trade(fpml_examples: Path) -> None:
    rel = "business-processes/option-exercise-expiry/msg-ex114-clearing-requested-from-swaption-exercise.xml"
    parsed = parse_fpml((fpml_examples / rel).read_bytes())
    assert isinstance(parsed.message, ClearingRequest)
    assert parsed.message.trades == parsed.trades
    assert parsed.message.header.send_to == ("CLEARCO",)
    assert parsed.message.is_correction is False
    assert parsed.message.retracted is False


def test_confirmation_names_the_clearing_house(fpml_examples: Path) -> None:
    rel = "business-processes/option-exercise-expiry/msg-ex115-clearing-confirmed-swap-trade-created-due-to-exercise.xml"
    parsed = parse_fpml((fpml_examples / rel).read_bytes())
    assert isinstance(parsed.message, ClearingConfirmation)
    assert parsed.message.cleared == parsed.trades
    assert parsed.message.ccp_party_id == "CLEARCO"
