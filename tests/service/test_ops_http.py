"""The ops endpoints over real TCP: health as JSON with 200/503, metrics in Prometheus text."""

from __future__ import annotations

import asyncio
import json

from gateway.clock import FixedClock
from gateway.ops.health import Health
from gateway.ops.http import OpsServer
from gateway.ops.metrics import Metrics


async def _get(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_health_reflects_components_and_probes() -> None:
    health = Health(FixedClock())
    health.up("mqtt_intake", "subscribed")
    db_ok = True

    async def db() -> str | None:
        if not db_ok:
            raise ConnectionRefusedError("connection refused")
        return "3 connections"

    async with OpsServer(health=health, metrics=Metrics(), port=0, probes={"db": db}) as ops:
        status, body = await _get(ops.port, "/healthz")
        assert status == 200
        doc = json.loads(body)
        assert doc["status"] == "ok"
        assert doc["components"]["db"]["state"] == "up"
        assert doc["components"]["db"]["detail"] == "3 connections"
        db_ok = False
        status, body = await _get(ops.port, "/healthz")
        assert status == 503
        assert "connection refused" in json.loads(body)["components"]["db"]["detail"]


async def test_metrics_and_unknown_paths() -> None:
    metrics = Metrics()
    metrics.messages_in.labels("mqtt-fpml", "submitted").inc(3)
    async with OpsServer(health=Health(FixedClock()), metrics=metrics, port=0) as ops:
        status, body = await _get(ops.port, "/metrics")
        assert status == 200
        assert b'gateway_messages_in_total{channel="mqtt-fpml",outcome="submitted"} 3.0' in body
        assert b"gateway_decision_latency_seconds_bucket" in body
        assert (await _get(ops.port, "/nope"))[0] == 404
        assert (await _get(ops.port, "/metrics", "POST"))[0] == 405
