"""Every refused hostile input on MQTT intake leaves a security log line naming the channel and the
identity (the intake topic's id) with its reason code, and is answered with messageRejected: malformed
XML, schema-invalid, an unknown message, too large. The running gateway over the real Mosquitto."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.channels.mqtt.intake.handler import MAX_MESSAGE_BYTES
from gateway.security_log import LOGGER_NAME
from tests.app.test_gateway import running
from tests.clearing.conftest import aud_irs
from tools.demo.requests import request_clearing

pytestmark = pytest.mark.mosquitto


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"


async def test_each_refused_hostile_input_leaves_a_log_line(
    mosquitto: tuple[str, int], store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    async with running(mosquitto, store_url) as r:
        good = request_clearing(aud_irs("T-H"), source=r.source, message_id="H-1", at=r.clock.now())
        hostile = {
            "XML_MALFORMED": b"<requestClearing xmlns='http://www.fpml.org/FpML-5/confirmation'>",
            "SCHEMA_INVALID": good.replace(b"messageId", b"messageIdentifier"),
            "XML_UNKNOWN_MESSAGE": good.replace(b"requestClearing", b"requestConsent"),
            "XML_TOO_LARGE": b" " * (MAX_MESSAGE_BYTES + 1),
        }
        for payload in hostile.values():
            await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        await r.inbox.wait_for(
            lambda _: sum(m.kind == "messageRejected" for m in r.inbox.on(r.topic(r.source))) >= len(hostile)
        )
    lines = [
        (rec.__dict__["channel"], rec.__dict__["identity"], rec.__dict__["reason_code"])
        for rec in caplog.records
        if rec.name == LOGGER_NAME
    ]
    for code in hostile:
        assert ("mqtt", r.source, code) in lines, (code, lines)
    assert all(
        rec.getMessage().startswith("refused channel=mqtt")
        for rec in caplog.records
        if rec.name == LOGGER_NAME
    )
