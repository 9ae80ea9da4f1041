"""messageRejected: valid against the official FpML 5.10 schema, with every reason and the original."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fpml_schemas import load_schema
from gateway.channels.mqtt.rejection import FPML_NS, message_rejected
from gateway.domain.errors import Issue
from gateway.domain.reasons import REASONS, ReasonCode

NS = {"f": FPML_NS}
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema(fpml_schema_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(fpml_schema_dir / "fpml-main-5-10.xsd")))


def _render(issues: list[Issue], original: bytes = b"<x/>", in_reply_to: str | None = "MSG-1") -> bytes:
    return message_rejected(
        message_id="CCP-REJ-1",
        sent_by="CCP",
        send_to="MW",
        at=AT,
        issues=issues,
        in_reply_to=in_reply_to,
        original=original,
    )


def test_rejection_is_schema_valid_and_carries_every_reason(schema: etree.XMLSchema) -> None:
    issues = [
        Issue(ReasonCode.SCHEMA_INVALID, "/requestClearing/trade/swap", "element swapStream missing"),
        Issue(ReasonCode.FPML_DATE_ORDER, "stream.terminationDate", "termination before effective"),
    ]
    doc = etree.fromstring(_render(issues, original=b"<requestClearing/>"))
    schema.assertValid(doc)
    codes = doc.xpath("f:reason/f:reasonCode/text()", namespaces=NS)
    assert codes == [
        REASONS[ReasonCode.SCHEMA_INVALID].fpml_reason,
        REASONS[ReasonCode.FPML_DATE_ORDER].fpml_reason,
    ]
    assert doc.xpath("f:reason[1]/f:location/text()", namespaces=NS) == ["/requestClearing/trade/swap"]
    assert "SCHEMA_INVALID" in doc.xpath("string(f:reason[1]/f:description)", namespaces=NS)
    assert doc.xpath("string(f:header/f:inReplyTo)", namespaces=NS) == "MSG-1"
    echoed = doc.xpath("string(f:additionalData/f:base64Binary)", namespaces=NS)
    assert base64.b64decode(echoed) == b"<requestClearing/>"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    message=st.text(max_size=200),
    path=st.text(max_size=60),
    original=st.binary(max_size=200),
    reply=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
)
def test_any_issue_text_gives_a_valid_document(
    schema: etree.XMLSchema, message: str, path: str, original: bytes, reply: str | None
) -> None:
    text = _render([Issue(ReasonCode.XML_MALFORMED, path, message)], original=original, in_reply_to=reply)
    doc = etree.fromstring(text)
    schema.assertValid(doc)
    assert len(doc.xpath("f:reason", namespaces=NS)) == 1


def test_a_rejection_without_issues_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one issue"):
        _render([])


@pytest.fixture(scope="module")
def profile() -> etree.XMLSchema:
    return load_schema(profile=True).schema


def test_a_672_character_description_is_cut_to_the_schemas_limit_and_logged_whole(
    schema: etree.XMLSchema, profile: etree.XMLSchema, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.channels.mqtt.rejection")
    long = "a reason that goes on " + "x" * 650
    assert len(long) == 672
    doc = etree.fromstring(_render([Issue(ReasonCode.SCHEMA_INVALID, "/requestClearing", long)]))
    schema.assertValid(doc)
    profile.assertValid(doc)
    description = doc.xpath("string(f:reason/f:description)", namespaces=NS)
    assert len(description) == 255
    assert description.startswith("SCHEMA_INVALID: a reason that goes on xxx")
    assert description.endswith("...")
    assert any(f"SCHEMA_INVALID: {long}" in r.getMessage() for r in caplog.records)


def test_an_in_reply_to_longer_than_a_message_id_is_left_out(
    schema: etree.XMLSchema, profile: etree.XMLSchema
) -> None:
    doc = etree.fromstring(_render([Issue(ReasonCode.XML_MALFORMED, "/", "x")], in_reply_to="M" * 256))
    schema.assertValid(doc)
    profile.assertValid(doc)
    assert doc.xpath("f:header/f:inReplyTo", namespaces=NS) == []
    doc = etree.fromstring(
        _render([Issue(ReasonCode.XML_MALFORMED, "/", "x")], in_reply_to=" M\t" + "M" * 253)
    )
    profile.assertValid(doc)
    assert doc.xpath("string(f:header/f:inReplyTo)", namespaces=NS) == "M " + "M" * 253


def test_an_address_of_control_characters_leaves_sendto_out_and_stays_valid(
    schema: etree.XMLSchema, profile: etree.XMLSchema
) -> None:
    text = message_rejected(
        message_id="CCP-REJ-1",
        sent_by="CCP",
        send_to="\x08",
        at=AT,
        issues=[Issue(ReasonCode.AUTH_UNKNOWN_SOURCE, "topic", "no such source")],
    )
    doc = etree.fromstring(text)
    schema.assertValid(doc)
    profile.assertValid(doc)
    assert doc.find("f:header/f:sendTo", namespaces=NS) is None
    assert doc.xpath("string(f:header/f:sentBy)", namespaces=NS) == "CCP"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    message=st.text(max_size=1000),
    path=st.text(max_size=60),
    reply=st.one_of(st.none(), st.text(min_size=1, max_size=400)),
    send_to=st.text(min_size=1, max_size=400).filter(lambda s: s.strip() != ""),
)
def test_any_text_of_any_length_gives_a_document_valid_against_both_schemas(
    schema: etree.XMLSchema,
    profile: etree.XMLSchema,
    message: str,
    path: str,
    reply: str | None,
    send_to: str,
) -> None:
    text = message_rejected(
        message_id="CCP-REJ-1",
        sent_by="CCP",
        send_to=send_to,
        at=AT,
        issues=[Issue(ReasonCode.XML_MALFORMED, path, message)],
        in_reply_to=reply,
    )
    doc = etree.fromstring(text)
    schema.assertValid(doc)
    profile.assertValid(doc)
