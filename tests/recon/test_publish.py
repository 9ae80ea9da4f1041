"""The run's summary on the real Mosquitto broker: ``ccp/recon/{member}/summary`` at QoS 1."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import aiomqtt
import pytest

from gateway.clock import FixedClock
from recon.publish import parse_broker, topic
from recon.run import RunRequest, run_member
from tests.recon.conftest import position, write_csv


@pytest.mark.mosquitto
async def test_run_publishes_its_summary_to_the_broker(tmp_path: Path, mosquitto: tuple[str, int]) -> None:
    host, port = mosquitto
    member = f"CM{uuid.uuid4().hex[:8]}"
    book = write_csv(tmp_path / "m.csv", [position("C1", member=member, status="Pending")])
    ccp = write_csv(tmp_path / "c.csv", [position("C1", member=member), position("C2", member=member)])
    request = RunRequest(
        business_date=date(2026, 1, 12),
        member=member,
        member_book=book,
        ccp_positions=ccp,
        out=tmp_path / "out",
        store=str(tmp_path / "breaks.db"),
        mqtt=f"{host}:{port}",
        pdf=False,
    )
    clock = FixedClock(datetime(2026, 1, 12, 19, 0, tzinfo=UTC))
    async with aiomqtt.Client(hostname=host, port=port) as client:
        await client.subscribe(f"ccp/recon/{member}/summary", qos=1)
        outcome = await asyncio.to_thread(run_member, request, clock)
        async with asyncio.timeout(20):  # a guard against hanging, not a speed assertion
            message = await anext(aiter(client.messages))
    assert outcome.published
    assert outcome.publish_error is None
    assert str(message.topic) == f"ccp/recon/{member}/summary"
    assert message.qos == 1
    assert isinstance(message.payload, bytes)
    body = json.loads(message.payload)
    assert body == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert body["by_type"]["STATUS_MISMATCH"] == 1
    assert body["by_type"]["MISSING_AT_MEMBER"] == 1
    assert body["matched"] == 1


def test_unreachable_broker_keeps_the_outputs_and_reports_why(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    book = write_csv(tmp_path / "m.csv", [position("C1")])
    request = RunRequest(
        business_date=date(2026, 1, 12),
        member="CM1",
        member_book=book,
        ccp_positions=book,
        out=tmp_path / "out",
        store=str(tmp_path / "breaks.db"),
        mqtt=f"127.0.0.1:{free}",
        pdf=False,
    )
    outcome = run_member(request, FixedClock())
    assert not outcome.published
    assert outcome.publish_error is not None
    assert outcome.publish_error.startswith(f"summary not published to 127.0.0.1:{free}")
    assert (tmp_path / "out" / "summary.json").is_file()


def test_topic_and_broker_arguments_are_checked() -> None:
    assert topic("CM-1") == "ccp/recon/CM-1/summary"
    with pytest.raises(ValueError, match="cannot be used in an MQTT topic"):
        topic("CM/1")
    assert parse_broker("broker.example:8883") == ("broker.example", 8883)
    with pytest.raises(ValueError, match="is not HOST:PORT"):
        parse_broker("broker:notaport")
