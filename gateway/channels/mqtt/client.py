"""One place that turns ``MqttConfig`` into an aiomqtt client, for intake, publishers and tools."""

from __future__ import annotations

import aiomqtt

from gateway.config import MqttConfig


def mqtt_client(
    cfg: MqttConfig,
    *,
    identifier: str | None,
    persistent: bool = False,
    manual_ack: bool = False,
    port: int | None = None,
) -> aiomqtt.Client:
    """A client on the configured broker; ``persistent`` keeps the session (and unacked messages) across reconnects.

    With ``manual_ack`` QoS 1 messages are acknowledged only by ``ack(client, message)``: the broker
    redelivers every message not acknowledged before a crash.
    """
    tls = aiomqtt.TLSParameters(ca_certs=str(cfg.tls_ca_file)) if cfg.tls_ca_file else None
    client = aiomqtt.Client(
        cfg.host,
        port if port is not None else cfg.port,
        identifier=identifier,
        username=cfg.username,
        password=cfg.password,
        clean_session=not persistent,
        keepalive=cfg.keepalive_s,
        tls_params=tls,
        max_inflight_messages=1000,
        timeout=30,
    )
    # aiomqtt warns above 10 outstanding publishes; the publishers keep a whole batch in flight on purpose.
    client.pending_calls_threshold = 100_000
    if manual_ack:
        # aiomqtt 2.x has no public switch yet; paho's is the documented way to hold PUBACK.
        client._client.manual_ack_set(True)
    return client


def ack(client: aiomqtt.Client, message: aiomqtt.Message) -> bool:
    """Send the PUBACK for ``message`` (QoS 1) now; False if the connection is gone (the broker will redeliver)."""
    if message.qos == 0:
        return True
    rc = client._client.ack(message.mid, message.qos)
    return bool(rc == 0)
