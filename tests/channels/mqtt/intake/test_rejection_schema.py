"""Every messageRejected the MQTT intake sends is valid FpML, and names the refused message when its id is readable.

Over the real Mosquitto: a schema-invalid requestClearing whose messageId is readable (real FpML reader,
official schema set) and a refusal with a 672-character reason; each answer is validated against the
official FpML 5.10 schema and against the clearing profile.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest
from lxml import etree

from fpml_schemas import load_schema
from gateway.channels.mqtt.intake.message_id import readable_message_id
from gateway.channels.mqtt.rejection import FPML_NS
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import parse_fpml_message
from tests.app.doubles import RecordingPort
from tests.channels.mqtt.intake.test_intake_loop import _rejections, _request, running_intake
from tests.strategies import vanilla_irs
from tools.demo.requests import request_clearing

NS = {"f": FPML_NS}
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def schemas(fpml_schema_dir: Path) -> tuple[etree.XMLSchema, etree.XMLSchema]:
    official = etree.XMLSchema(etree.parse(str(fpml_schema_dir / "fpml-main-5-10.xsd")))
    return official, load_schema(profile=True).schema


def _schema_invalid(message_id: str) -> bytes:
    valid = request_clearing(vanilla_irs(), source="MW", message_id=message_id, at=AT)
    broken = valid.replace(b">false</isCorrection>", b">perhaps</isCorrection>")
    assert broken != valid
    return broken


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'<requestClearing><header><messageId messageIdScheme="s">M-1</messageId>', "M-1"),
        (b"<f:messageRejected><f:header><f:messageId>  M\n 2 </f:messageId>", "M 2"),
        (b"<requestClearing><header><messageId>&xxe;</messageId>", None),  # an entity is never taken
        (b"<requestClearing><header><messageId><![CDATA[x]]></messageId>", None),
        (b"<requestClearing><header><messageId>" + b"M" * 256 + b"</messageId>", None),  # not a message id
        (b"<requestClearing>" + b" " * 20_000 + b"<messageId>LATE</messageId>", None),  # beyond the scan
        (b"\xff\xfe<messageId>\xff</messageId>", None),
    ],
)
def test_readable_message_id(payload: bytes, expected: str | None) -> None:
    assert readable_message_id(payload) == expected


@pytest.mark.mosquitto
async def test_a_schema_invalid_message_with_a_readable_id_is_answered_in_reply_to_it(
    mosquitto: tuple[str, int], fpml_schema_dir: Path, schemas: tuple[etree.XMLSchema, etree.XMLSchema]
) -> None:
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"
    port = RecordingPort()
    parse = functools.partial(parse_fpml_message, schema_dir=fpml_schema_dir)
    async with (
        running_intake(mosquitto, port, f"gw-{source}", root, parse=parse),
        aiomqtt.Client(*mosquitto) as pub,
        aiomqtt.Client(*mosquitto) as sub,
    ):
        await sub.subscribe(f"{root}/out/{source}/fpml", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _schema_invalid("MSG-READABLE-7"), qos=1)
        (reply,) = await _rejections(sub, 1)
    for schema in schemas:
        schema.assertValid(reply)
    assert reply.xpath("string(f:reason/f:reasonCode)", namespaces=NS) == "SchemaInvalid"
    assert reply.xpath("string(f:header/f:inReplyTo)", namespaces=NS) == "MSG-READABLE-7"
    assert port.submissions == []


@pytest.mark.mosquitto
async def test_a_672_character_reason_is_answered_with_a_valid_document(
    mosquitto: tuple[str, int],
    schemas: tuple[etree.XMLSchema, etree.XMLSchema],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="gateway.channels.mqtt.rejection")
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"
    text = "the counterparty is not admitted: " + "y" * 638
    assert len(text) == 672
    port = RecordingPort(refuse={"LONG": Issue(ReasonCode.ELIG_UNKNOWN_PARTY, "party[2]", text)})
    async with (
        running_intake(mosquitto, port, f"gw-{source}", root),
        aiomqtt.Client(*mosquitto) as pub,
        aiomqtt.Client(*mosquitto) as sub,
    ):
        await sub.subscribe(f"{root}/out/{source}/fpml", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M-LONG", "LONG"), qos=1)
        (reply,) = await _rejections(sub, 1)
    for schema in schemas:
        schema.assertValid(reply)
    assert reply.xpath("string(f:header/f:inReplyTo)", namespaces=NS) == "M-LONG"
    assert len(reply.xpath("string(f:reason/f:description)", namespaces=NS)) == 255
    assert any(text in r.getMessage() for r in caplog.records)  # the whole text is in the log
