"""``clearing-gateway bench pipeline-floor``: what a cleared trade costs at least, part by part.

Per trade the gateway reads one ``requestClearing`` (parse + XSD validation), receives it at QoS 1,
publishes six statuses at QoS 1 (Received and Cleared to the source and both members) and talks to
PostgreSQL. Each part is timed here on its own, with nothing of the gateway around it: CPU
(``process_time``) and wall, per unit.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

STATUSES_PER_TRADE = 6  # Received and Cleared, each to the source and to both members (MQTT)


def _per_unit(cpu: float, wall: float, units: int) -> dict[str, float]:
    return {"cpu_us": round(cpu / units * 1e6, 1), "wall_us": round(wall / units * 1e6, 1), "units": units}


def _timed(fn: Callable[[], object], units: int) -> dict[str, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return _per_unit(time.process_time() - c0, time.perf_counter() - w0, units)


async def _timed_async(fn: Callable[[], Awaitable[object]], units: int) -> dict[str, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    await fn()
    return _per_unit(time.process_time() - c0, time.perf_counter() - w0, units)


def _requests(n: int) -> list[bytes]:
    from gateway.rules.hours import ServiceHours
    from gateway.rules.settings import ClearingSettings
    from gateway.shifted_clock import ShiftedClock
    from tools.bench.pipeline import payloads
    from tools.demo.runner import demo_start

    cs = ClearingSettings.load()
    start = demo_start(cs, datetime.now(UTC).date())
    business_date = ServiceHours(cs.service_hours, cs.backload).business_date(start)
    return [p for _, p in payloads("FLOOR", business_date, n, "F", ShiftedClock(start), seed=3)]


def _fpml(docs: list[bytes]) -> dict[str, Any]:
    from lxml import etree

    from fpml_schemas import load_schema
    from gateway.formats.fpml.read import parse_fpml

    schema = load_schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

    def bare() -> None:
        for d in docs:
            if not schema.schema.validate(etree.fromstring(d, parser)):
                raise RuntimeError("a benchmark request is not schema-valid")

    def full() -> None:
        for d in docs:
            parse_fpml(d)

    bare()  # warm: the schema compiled, caches filled
    full()
    return {
        "schema": schema.label,
        "request_bytes": round(sum(map(len, docs)) / len(docs)),
        "lxml_parse_and_xsd_validate": _timed(bare, len(docs)),
        "parse_fpml": _timed(full, len(docs)),
    }


async def _mqtt(broker: tuple[str, int], docs: list[bytes]) -> dict[str, Any]:
    import aiomqtt

    from gateway.channels.mqtt.client import ack, mqtt_client, publish_all
    from gateway.config import BrokerMode, MqttConfig

    cfg = MqttConfig(mode=BrokerMode.EXTERNAL, host=broker[0], port=broker[1])
    tag = uuid.uuid4().hex[:8]
    status = docs[0][: 6 * 1024]  # a status document is a few kB, like a request
    out = [(f"floor-{tag}/status/{n % 3}", status) for n in range(len(docs) * STATUSES_PER_TRADE)]
    result: dict[str, Any] = {"status_bytes": len(status)}
    async with mqtt_client(cfg, identifier=None) as pub:
        for chunk in (out[:60], out[60:120]):  # warm
            await publish_all(pub, chunk)

        async def publish() -> None:
            for i in range(0, len(out), 300):  # batches, as the publisher sends them
                await publish_all(pub, out[i : i + 300])

        result["publish_qos1_acked"] = await _timed_async(publish, len(out))

    # receive at QoS 1 with manual PUBACK (the intake's session), what the source sends published beforehand
    topic = f"floor-{tag}/in"
    cid = f"floor-{tag}-sub"
    async with mqtt_client(cfg, identifier=cid, persistent=True, manual_ack=True) as sub:
        await sub.subscribe(topic, qos=1)
    async with aiomqtt.Client(*broker) as source:
        for d in docs:
            await source.publish(topic, d, qos=1)
    async with mqtt_client(cfg, identifier=cid, persistent=True, manual_ack=True) as sub:
        await sub.subscribe(topic, qos=1)

        async def receive() -> None:
            got = 0
            async with asyncio.timeout(60):
                async for m in sub.messages:
                    ack(sub, m)
                    got += 1
                    if got == len(docs):
                        return

        result["receive_qos1_manual_ack"] = await _timed_async(receive, len(docs))
    # the session is left clean: a clean connect with the same id drops it
    async with aiomqtt.Client(*broker, identifier=cid, clean_session=True):
        pass
    return result


async def _postgres(url: str, n: int) -> dict[str, Any]:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT 1")

        async def round_trips() -> None:
            for _ in range(n):
                await conn.execute("SELECT 1")

        async def transactions() -> None:
            for _ in range(n):
                async with conn.transaction():
                    await conn.execute("SELECT 1")

        return {
            "round_trip_select_1": await _timed_async(round_trips, n),
            "transaction_begin_select_commit": await _timed_async(transactions, n),
        }
    finally:
        await conn.close()


async def run_floor(trades: int, broker: tuple[str, int], pg_url: str) -> dict[str, Any]:
    import os

    docs = await asyncio.to_thread(_requests, trades)
    result: dict[str, Any] = {"benchmark": "pipeline-floor", "cpu_count": os.cpu_count(), "requests": trades}
    result["fpml"] = await asyncio.to_thread(_fpml, docs)
    result["mqtt"] = await _mqtt(broker, docs)
    result["postgres"] = await _postgres(pg_url, trades)
    f, m = result["fpml"], result["mqtt"]
    floor = (
        f["lxml_parse_and_xsd_validate"]["cpu_us"]
        + m["receive_qos1_manual_ack"]["cpu_us"]
        + STATUSES_PER_TRADE * m["publish_qos1_acked"]["cpu_us"]
    )
    result["per_trade_floor_cpu_us_without_database"] = round(floor, 1)
    result["load_average"] = os.getloadavg()
    return result
