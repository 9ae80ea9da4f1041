"""An embedded broker with known users and the deploy-style rules, for tests over real connections."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiomqtt
import pytest

from gateway.channels.mqtt.broker.access import BrokerAccess
from gateway.channels.mqtt.broker.acl import Acl
from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.channels.mqtt.broker.passwd import PasswordFile
from gateway.refdata.sources import TradeSource

USERS = {"gateway": "gw-pw", "MW": "mw-pw", "BANKA": "a-pw", "BANKB": "b-pw"}
SOURCE_MW = TradeSource("MW", mqtt_user="MW")
ACL = acl_file([SOURCE_MW])  # MW is a trade source; BANKA and BANKB are members


def access(users: dict[str, str] | None = None, acl: str = ACL) -> BrokerAccess:
    return BrokerAccess(PasswordFile.with_passwords(users or USERS), Acl.parse(acl))


def client(port: int, user: str, *, identifier: str | None = None, **kwargs: object) -> aiomqtt.Client:
    return aiomqtt.Client(
        "127.0.0.1",
        port,
        username=user,
        password=USERS[user],
        identifier=identifier or f"t-{user}",
        **kwargs,  # type: ignore[arg-type]
    )


async def until_marker(client: aiomqtt.Client, marker: bytes) -> list[tuple[str, bytes]]:
    """Everything ``client`` receives up to and including ``marker`` (which proves delivery happened)."""
    got: list[tuple[str, bytes]] = []
    async with asyncio.timeout(10):
        async for m in client.messages:
            assert isinstance(m.payload, bytes)
            got.append((m.topic.value, m.payload))
            if m.payload == marker:
                return got
    return got


async def nothing_more(client: aiomqtt.Client, seconds: float = 0.3) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for m in client.messages:
                assert isinstance(m.payload, bytes)
                got.append((m.topic.value, m.payload))
    return got


def refusals(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str, str]]:
    """(channel, identity, reason code, message) of every security refusal logged."""
    return [
        (r.channel, r.identity, r.reason_code, r.getMessage())  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "gateway.security" and r.levelno == logging.WARNING
    ]
