"""MQTT intake over the real Mosquitto: stored before acknowledged, redelivered after a crash, never dropped.

The clearing port and the FpML reader are the stand-ins of tests/app/doubles.py (both are being
built concurrently); tests/app/ runs the same path with the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt
import pytest
from lxml import etree

from gateway.admin.source_directory import SourceDirectory
from gateway.channels.mqtt.client import mqtt_client
from gateway.channels.mqtt.intake.handler import FpmlIntake
from gateway.channels.mqtt.intake.loop import MqttIntake
from gateway.channels.mqtt.rejection import FPML_NS
from gateway.clock import FixedClock
from gateway.config import BrokerMode, MqttConfig
from gateway.domain.codec import trade_to_dict
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.ops.health import Health
from gateway.ops.metrics import Metrics
from gateway.refdata.sources import SourceStatus, TradeSource
from gateway.security_log import LOGGER_NAME
from tests.app.doubles import RecordingPort, json_parse
from tests.strategies import vanilla_irs

pytestmark = pytest.mark.mosquitto


def _request(message_id: str, *trade_ids: str, retracted: bool = False) -> bytes:
    trades = [trade_to_dict(vanilla_irs(source_trade_id=t)) for t in trade_ids]
    return json.dumps({"message_id": message_id, "trades": trades, "retracted": retracted}).encode()


@contextlib.asynccontextmanager
async def running_intake(
    broker: tuple[str, int],
    port: RecordingPort,
    client_id: str,
    root: str,
    *,
    read_thread: bool = True,
    parse: Callable[[bytes], Any] = json_parse,
    read_processes: int = 0,
    sources: SourceDirectory | None = None,
) -> AsyncIterator[MqttIntake]:
    host, p = broker
    if sources is None:  # the test's source (client id gw-{source}) is registered and active
        sources = SourceDirectory([TradeSource(client_id.removeprefix("gw-"), "user")])
    cfg = MqttConfig(mode=BrokerMode.EXTERNAL, host=host, port=p, client_id=client_id)
    clock = FixedClock()
    intake = MqttIntake(
        intake=FpmlIntake(
            port=port, parse=parse, clock=clock, sources=sources, max_attempts=2, retry_initial_s=0.01
        ),
        connect=lambda: mqtt_client(cfg, identifier=client_id, persistent=True, manual_ack=True),
        ccp_id="CCP",
        clock=clock,
        metrics=Metrics(),
        health=Health(clock),
        topic_root=root,
        read_thread=read_thread,
        read_processes=read_processes,
        worker_parse=parse if read_processes else None,
    )
    task = asyncio.create_task(intake.run())
    try:
        await asyncio.wait_for(intake.subscribed.wait(), 60)  # a worker process compiles the schema first
        yield intake
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _wait_for(predicate: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - the condition is another task's state
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 10)


@pytest.mark.parametrize("read_thread", [True, False])
async def test_requests_are_submitted_per_trade(mosquitto: tuple[str, int], read_thread: bool) -> None:
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"  # a broker shared with other runs: topics of this test only
    port = RecordingPort()
    intake = running_intake(mosquitto, port, f"gw-{source}", root, read_thread=read_thread)
    async with intake, aiomqtt.Client(*mosquitto) as pub:
        await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T1"), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M2", "T2", "T3"), qos=1)
        await _wait_for(lambda: len(port.submissions) == 3)
    by_id = {s.message_id: s for s in port.submissions}
    assert set(by_id) == {"M1", "M2#1", "M2#2"}
    assert all(s.source == source for s in port.submissions)
    assert by_id["M2#2"].trade.identifiers.source_trade_id == "T3"


@pytest.mark.parametrize("read_thread", [True, False])
async def test_retraction_follows_its_request(mosquitto: tuple[str, int], read_thread: bool) -> None:
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"  # a broker shared with other runs: topics of this test only
    port = RecordingPort()
    intake = running_intake(mosquitto, port, f"gw-{source}", root, read_thread=read_thread)
    async with intake, aiomqtt.Client(*mosquitto) as pub:
        await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T1"), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M2", "T1", retracted=True), qos=1)
        await _wait_for(lambda: len(port.withdrawals) == 1)
    assert port.withdrawals == [(source, "T1")]


async def test_reads_run_off_the_event_loop_and_are_handed_on_in_arrival_order(
    mosquitto: tuple[str, int],
) -> None:
    """Reads on the reader thread, one slower than the next, still reach the port in arrival order per trade."""
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"
    port = RecordingPort()
    threads: list[str] = []

    def slow_first(data: bytes) -> Any:
        threads.append(threading.current_thread().name)
        if b'"M1"' in data:
            time.sleep(0.2)  # the request is read slowly; its retraction right behind it must still wait
        return json_parse(data)

    seen_at_withdrawal: list[int] = []
    withdraw = port.withdraw

    async def recording_withdraw(*args: Any) -> Any:
        seen_at_withdrawal.append(len(port.submissions))
        return await withdraw(*args)

    port.withdraw = recording_withdraw  # type: ignore[method-assign]
    intake = running_intake(mosquitto, port, f"gw-{source}", root, parse=slow_first)
    async with intake, aiomqtt.Client(*mosquitto) as pub:
        await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T1"), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M2", "T1", retracted=True), qos=1)
        await _wait_for(lambda: len(port.withdrawals) == 1)
    assert [s.message_id for s in port.submissions] == ["M1"]
    assert seen_at_withdrawal == [1]  # the retraction reached the port only after its request
    assert port.withdrawals == [(source, "T1")]
    assert len(threads) == 2
    assert all(name.startswith("fpml-read") for name in threads)


async def _rejections(sub: aiomqtt.Client, n: int) -> list[etree._Element]:
    out: list[etree._Element] = []
    async with asyncio.timeout(10):
        async for m in sub.messages:
            assert isinstance(m.payload, bytes)
            out.append(etree.fromstring(m.payload))
            if len(out) == n:
                return out
    return out


async def test_unreadable_input_is_answered_not_dropped(mosquitto: tuple[str, int]) -> None:
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"  # a broker shared with other runs: topics of this test only
    port = RecordingPort(refuse={"BAD": Issue(ReasonCode.ELIG_UNKNOWN_PARTY, "party[1]", "no such member")})
    async with (
        running_intake(mosquitto, port, f"gw-{source}", root),
        aiomqtt.Client(*mosquitto) as pub,
        aiomqtt.Client(*mosquitto) as sub,
    ):
        await sub.subscribe(f"{root}/out/{source}/fpml", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", b"<requestClearing", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M9", "BAD"), qos=1)
        replies = await _rejections(sub, 2)
    ns = {"f": FPML_NS}
    assert [r.tag for r in replies] == [f"{{{FPML_NS}}}messageRejected"] * 2
    assert "XML_MALFORMED" in replies[0].xpath("string(f:reason/f:description)", namespaces=ns)
    assert replies[1].xpath("string(f:header/f:inReplyTo)", namespaces=ns) == "M9"
    assert replies[1].xpath("string(f:reason/f:reasonCode)", namespaces=ns) == "UnknownParty"
    assert port.submissions == []


async def test_a_message_not_yet_stored_is_redelivered_after_a_crash(mosquitto: tuple[str, int]) -> None:
    """The intake dies while the store holds the message: no PUBACK went out, so the broker sends it again."""
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"  # a broker shared with other runs: topics of this test only
    client_id = f"gw-{source}"
    stuck = RecordingPort(gate=asyncio.Event())
    async with aiomqtt.Client(*mosquitto) as pub:
        async with running_intake(mosquitto, stuck, client_id, root):
            await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T1"), qos=1)
            await asyncio.wait_for(stuck.entered.wait(), 10)
        # The first intake is gone without having stored or acknowledged M1.
        assert stuck.submissions == []
        fresh = RecordingPort()
        async with running_intake(mosquitto, fresh, client_id, root):
            await _wait_for(lambda: len(fresh.submissions) == 1)
        assert fresh.submissions[0].message_id == "M1"
        # Acknowledged now: a third session receives nothing more.
        again = RecordingPort()
        async with running_intake(mosquitto, again, client_id, root):
            await pub.publish(f"{root}/in/{source}/fpml", _request("M2", "T2"), qos=1)
            await _wait_for(lambda: len(again.submissions) == 1)
        assert [s.message_id for s in again.submissions] == ["M2"]


async def test_reads_in_a_worker_process_keep_arrival_order_and_answer_bad_input(
    mosquitto: tuple[str, int],
) -> None:
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"
    port = RecordingPort()
    intake = running_intake(mosquitto, port, f"gw-{source}", root, read_processes=1)
    async with intake, aiomqtt.Client(*mosquitto) as pub, aiomqtt.Client(*mosquitto) as sub:
        await sub.subscribe(f"{root}/out/{source}/fpml", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T1"), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", b"not json", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M2", "T1", retracted=True), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M3", "T2", "T3"), qos=1)
        await _wait_for(lambda: len(port.submissions) == 3 and len(port.withdrawals) == 1)
        rejected = await _rejections(sub, 1)
    assert [s.message_id for s in port.submissions] == ["M1", "M3#1", "M3#2"]
    assert port.withdrawals == [(source, "T1")]
    assert rejected[0].tag == f"{{{FPML_NS}}}messageRejected"


async def test_unapproved_sources_are_refused_unread_answered_and_logged(
    mosquitto: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown topic id and a suspended source are refused with their own reason, each with a log line
    naming channel and identity, and a messageRejected on their own answer topic; nothing is parsed or
    submitted. Malformed input from the approved source is logged too."""
    source = f"SRC{uuid.uuid4().hex[:6]}"
    root = f"test-{source}/ccp"
    evil, suspended = f"EVIL{source}", f"OLD{source}"
    sources = SourceDirectory(
        [TradeSource(source, "u1"), TradeSource(suspended, "u2", status=SourceStatus.SUSPENDED)]
    )
    parsed: list[bytes] = []

    def parse(data: bytes) -> Any:
        parsed.append(data)
        return json_parse(data)

    caplog.set_level("WARNING", logger=LOGGER_NAME)
    port = RecordingPort()
    intake = running_intake(mosquitto, port, f"gw-{source}", root, parse=parse, sources=sources)
    async with intake, aiomqtt.Client(*mosquitto) as pub, aiomqtt.Client(*mosquitto) as sub:
        await sub.subscribe(f"{root}/out/+/fpml", qos=1)
        await pub.publish(f"{root}/in/{evil}/fpml", _request("E1", "T1"), qos=1)
        await pub.publish(f"{root}/in/{suspended}/fpml", _request("S1", "T2"), qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", b"<requestClearing", qos=1)
        await pub.publish(f"{root}/in/{source}/fpml", _request("M1", "T3"), qos=1)
        await _wait_for(lambda: len(port.submissions) == 1)
        replies = await _rejections(sub, 3)
    ns = {"f": FPML_NS}
    by_recipient = {r.xpath("string(f:header/f:sendTo)", namespaces=ns): r for r in replies}
    assert set(by_recipient) == {evil, suspended, source}
    assert by_recipient[evil].xpath("string(f:reason/f:reasonCode)", namespaces=ns) == "UnknownSource"
    assert "AUTH_UNKNOWN_SOURCE" in etree.tostring(by_recipient[evil]).decode()
    assert by_recipient[suspended].xpath("string(f:reason/f:reasonCode)", namespaces=ns) == "SourceSuspended"
    assert [s.message_id for s in port.submissions] == ["M1"]
    assert all(b'"E1"' not in p and b'"S1"' not in p for p in parsed)  # never read
    lines = {
        (r.__dict__["channel"], r.__dict__["identity"], r.__dict__["reason_code"])
        for r in caplog.records
        if r.name == LOGGER_NAME
    }
    assert ("mqtt", evil, "AUTH_UNKNOWN_SOURCE") in lines
    assert ("mqtt", suspended, "AUTH_SOURCE_SUSPENDED") in lines
    assert any(who == source and code != "AUTH_UNKNOWN_SOURCE" for _, who, code in lines)
