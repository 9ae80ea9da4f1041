"""The ops endpoints over real TCP: health as JSON with 200/503, metrics in Prometheus text."""

from __future__ import annotations

import asyncio
import json
import logging
import tomllib
from pathlib import Path

import pytest

from gateway.clock import FixedClock
from gateway.config import GatewayConfig, OpsConfig, config_from_dict
from gateway.ops.health import Health
from gateway.ops.http import OpsServer
from gateway.ops.metrics import Metrics
from gateway.security_log import LOGGER_NAME

TOKEN = "operator-secret-1"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


async def _get(port: int, path: str, method: str = "GET", token: str | None = TOKEN) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = "" if token is None else f"Authorization: Bearer {token}\r\n"
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode())
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

    async with OpsServer(health=health, metrics=Metrics(), port=0, probes={"db": db}, token=TOKEN) as ops:
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


async def test_healthz_details_only_to_the_operator_with_its_token(caplog: pytest.LogCaptureFixture) -> None:
    """Without credentials /healthz says ok or not; a wrong token is refused (401) and logged; the right one
    sees every component's detail (members' CompIDs and logon states)."""
    health = Health(FixedClock())
    health.up("fix", "port 9878: 1 of 2 sessions logged on: BANKA_FIX, BANKB_FIX (logged out)")
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    async with OpsServer(health=health, metrics=Metrics(), port=0, token=TOKEN) as ops:
        status, body = await _get(ops.port, "/healthz", token=None)
        assert status == 200
        assert json.loads(body) == {"status": "ok"}
        assert b"BANKA_FIX" not in body

        status, body = await _get(ops.port, "/healthz", token="guessed")
        assert status == 401
        assert b"BANKA_FIX" not in body
        refused = [r for r in caplog.records if r.name == LOGGER_NAME]
        assert len(refused) == 1
        assert refused[0].__dict__["channel"] == "http"
        assert refused[0].__dict__["reason_code"] == "AUTH_OPERATOR_UNAUTHENTICATED"
        assert refused[0].__dict__["identity"].startswith("127.0.0.1:")

        status, body = await _get(ops.port, "/healthz", token=TOKEN)
        assert status == 200
        assert "BANKB_FIX (logged out)" in json.loads(body)["components"]["fix"]["detail"]


async def test_any_token_is_refused_when_none_is_configured(caplog: pytest.LogCaptureFixture) -> None:
    health = Health(FixedClock())
    health.up("fix", "BANKA_FIX")
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    async with OpsServer(health=health, metrics=Metrics(), port=0, token=None) as ops:
        status, body = await _get(ops.port, "/healthz", token="anything")
        assert status == 401
        assert b"BANKA_FIX" not in body
        assert (await _get(ops.port, "/healthz", token=None)) == (200, b'{\n  "status": "ok"\n}\n')
    assert any(r.__dict__.get("reason_code") == "AUTH_OPERATOR_UNAUTHENTICATED" for r in caplog.records)


async def test_ops_binds_to_loopback_unless_configured() -> None:
    assert OpsConfig().host == "127.0.0.1"
    assert config_from_dict({}).ops.host == "127.0.0.1"
    assert GatewayConfig().ops.token_env == "CLEARING_OPS_TOKEN"
    production = tomllib.loads((DEPLOY / "config" / "production.toml").read_text())
    assert production["ops"]["host"] == "127.0.0.1"
    async with OpsServer(health=Health(FixedClock()), metrics=Metrics(), port=0) as ops:
        server = ops._server
        assert server is not None
        assert {s.getsockname()[0] for s in server.sockets} == {"127.0.0.1"}
