"""The simulated trade source's requests, written with the product's text writer, against the lxml reference.

The request writer used to build an lxml tree; it now writes text with ``render``'s building blocks. The
reference below builds the same request as a tree (the header by hand, the trade with the reference
trade writer), and the two must agree byte for byte for random trades; the request must also be valid
FpML 5.10.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.domain.trade import Trade
from gateway.formats.fpml.write import schemes
from gateway.formats.fpml.write.parties import PartyTable
from gateway.formats.fpml.write.xml import timestamp_text
from tests.formats.fpml.write.conftest import SchemaCheck
from tests.formats.fpml.write.reference import write_trade
from tests.formats.fpml.write.reference.parties import write_parties
from tests.formats.fpml.write.reference.xml import root, sub, to_bytes
from tests.formats.fpml.write.test_render import coded, trades
from tools.demo.requests import request_clearing

AT = datetime(2026, 3, 16, 9, 30, 15, 250_000, tzinfo=UTC)


def reference_request(
    trade: Trade, *, source: str, message_id: str, ccp: str, retracted: bool, correction: bool, sequence: int
) -> bytes:
    doc = root("requestClearingRetracted" if retracted else "requestClearing")
    header = sub(doc, "header")
    sub(header, "messageId", message_id, messageIdScheme=schemes.MESSAGE_ID)
    sub(header, "sentBy", source, messageAddressScheme=schemes.PARTICIPANT)
    sub(header, "sendTo", ccp, messageAddressScheme=schemes.PARTICIPANT)
    sub(header, "creationTimestamp", timestamp_text(AT, "header.creationTimestamp"))
    if not retracted:
        sub(doc, "isCorrection", "true" if correction else "false")
    sub(doc, "correlationId", trade.identifiers.source_trade_id, correlationIdScheme=schemes.CORRELATION_ID)
    sub(doc, "sequenceNumber", str(sequence))
    parties = PartyTable()
    write_trade(doc, trade, parties, source=source)
    write_parties(doc, parties)
    return to_bytes(doc, pretty=False)


@pytest.fixture(scope="module")
def assert_valid(fpml_schema_dir: Path) -> SchemaCheck:
    return SchemaCheck(etree.XMLSchema(etree.parse(str(fpml_schema_dir / "fpml-main-5-10.xsd"))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trade=trades(),
    source=coded,
    message_id=coded,
    ccp=coded,
    retracted=st.booleans(),
    correction=st.booleans(),
    sequence=st.integers(1, 9999),
)
def test_a_request_is_byte_for_byte_what_the_reference_builds_and_valid_fpml(
    trade: Trade,
    source: str,
    message_id: str,
    ccp: str,
    retracted: bool,
    correction: bool,
    sequence: int,
    assert_valid: SchemaCheck,
) -> None:
    args = {
        "source": source,
        "message_id": message_id,
        "ccp": ccp,
        "retracted": retracted,
        "correction": correction,
        "sequence": sequence,
    }
    written = request_clearing(trade, at=AT, **args)  # type: ignore[arg-type]
    assert written == reference_request(trade, **args)  # type: ignore[arg-type]
    assert_valid(written)
