"""Publish a run's summary to MQTT ``ccp/recon/{member}/summary`` (QoS 1, JSON)."""

from __future__ import annotations

import json
import re
from typing import Any

_MEMBER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def topic(member: str) -> str:
    if not _MEMBER_ID.match(member):
        raise ValueError(
            f"member id '{member}' cannot be used in an MQTT topic (letters, digits, _ . - only)"
        )
    return f"ccp/recon/{member}/summary"


def parse_broker(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (port defaults to 1883)."""
    host, _, port = value.rpartition(":") if ":" in value else (value, ":", "1883")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{value}' is not HOST:PORT")
    return host, int(port)


async def publish_summary(
    host: str, port: int, member: str, summary: dict[str, Any], *, wait_seconds: float = 10.0
) -> None:
    """Deliver at least once (QoS 1: waits for the broker's PUBACK); raises aiomqtt.MqttError on failure."""
    import aiomqtt

    payload = json.dumps(summary, sort_keys=True).encode()
    async with aiomqtt.Client(hostname=host, port=port, timeout=wait_seconds) as client:
        await client.publish(topic(member), payload, qos=1, timeout=wait_seconds)
