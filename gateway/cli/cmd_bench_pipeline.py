"""``clearing-gateway bench pipeline``: trades/s and latency through the running gateway, as JSON.

``clearing-gateway bench pipeline-floor``: the cost of the parts of a cleared trade that no design avoids.
Each figure is per unit (document, message, round trip), measured alone in this process: CPU seconds
from ``time.process_time`` (this process only: the broker's and the database's own work is not in it)
and wall-clock seconds. Multiplied by the units a trade needs (one request read, one request received,
six statuses published, the database round trips) they give a floor under the gateway's CPU per trade.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import bench_app


@bench_app.command("pipeline")
def bench_pipeline(
    trades: Annotated[int, typer.Option(min=1, help="Trades in the sustained burst.")] = 1000,
    latency_trades: Annotated[int, typer.Option(min=1, help="Trades offered at --rate.")] = 1000,
    rate: Annotated[
        float, typer.Option(min=1, help="Offered trades per second for the latency run.")
    ] = 500.0,
    mqtt_host: Annotated[str, typer.Option(help="Broker (Mosquitto).")] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    pg: Annotated[
        str | None,
        typer.Option(help="PostgreSQL admin URL; a fresh database is created and dropped. 'none': SQLite."),
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    round_trips: Annotated[int, typer.Option(min=1, help="Bare MQTT round trips measured.")] = 500,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep market data, config and gateway log here.")
    ] = None,
) -> None:
    """Publish requestClearing to a gateway process over Mosquitto and PostgreSQL; time each clearingConfirmed."""
    from tools.bench.pipeline import BenchSettings, dumps, run_bench

    settings = BenchSettings(
        mqtt_host=mqtt_host,
        mqtt_port=mqtt_port,
        db_admin_url=None if pg in (None, "none") else pg,
        trades=trades,
        latency_trades=latency_trades,
        rate=rate,
        round_trips=round_trips,
        workdir=workdir,
    )
    try:
        result = asyncio.run(run_bench(settings))
    except (RuntimeError, OSError) as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(dumps(result))


@bench_app.command("pipeline-floor")
def bench_pipeline_floor(
    trades: Annotated[int, typer.Option(min=10, help="Requests parsed and messages published.")] = 500,
    mqtt_host: Annotated[str, typer.Option(help="Broker (Mosquitto).")] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    pg: Annotated[str, typer.Option(help="PostgreSQL URL for the round-trip figure.")] = (
        "postgresql://postgres@127.0.0.1:5432/test"
    ),
) -> None:
    """What a cleared trade costs at least, part by part, with nothing of the gateway around it (JSON).

    Per trade the gateway reads one ``requestClearing`` (parse + XSD validation), receives it at QoS 1,
    publishes six statuses at QoS 1 (Received and Cleared to the source and both members) and talks to
    PostgreSQL. Each part is timed here on its own in this process: CPU (``process_time``) and wall.
    """
    import json

    result = asyncio.run(_run_floor(trades, (mqtt_host, mqtt_port), pg))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))


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

    from gateway.channels.mqtt.client import ack, mqtt_client
    from gateway.channels.mqtt.publisher import publish_all
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


async def _run_floor(trades: int, broker: tuple[str, int], pg_url: str) -> dict[str, Any]:
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
