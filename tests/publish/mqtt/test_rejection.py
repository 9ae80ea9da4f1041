"""messageRejected: valid against the official FpML 5.10 schema, with every reason and the original."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.domain.errors import Issue
from gateway.domain.reasons import REASONS, ReasonCode
from gateway.publish.mqtt.rejection import FPML_NS, message_rejected

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
