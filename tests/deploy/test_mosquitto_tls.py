"""deploy/mosquitto's TLS listener with the real Mosquitto: members and sources reach the broker only over TLS,
with their passwords; the broker's message size limit is the gateway's.

A Mosquitto is started from the test with deploy's configuration (both listeners, every TLS option as
deployed); only file locations and ports are adapted. Certificates are throwaway, made with openssl.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest

from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.channels.mqtt.intake.handler import MAX_MESSAGE_BYTES
from gateway.refdata.sources import TradeSource
from tests.certs import Pki
from tests.deploy.mosquitto_conf import DEPLOY, render, require_mosquitto, running
from tests.deploy.test_mosquitto_acl import USERS, _free_port

pytestmark = pytest.mark.mosquitto


@dataclass(frozen=True)
class Broker:
    plain_port: int  # the gateway's listener (compose network only)
    tls_port: int  # the members' listener
    ca: Path

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


@pytest.fixture
def tls_broker() -> Iterator[Broker]:
    require_mosquitto()
    # Run as root, mosquitto drops to its own user before reading these files: a world-readable folder.
    with tempfile.TemporaryDirectory(prefix="tls-test-") as name:
        folder = Path(name)
        folder.chmod(0o755)
        pki = Pki(folder / "certs")
        pki.issue("broker", "/CN=localhost", san="DNS:localhost,IP:127.0.0.1")
        for f in (folder / "certs").iterdir():
            f.chmod(0o644)
        (folder / "certs").chmod(0o755)
        passwd = folder / "passwd"
        users = [f"{u}:{p}" for u, p in USERS.items()]
        subprocess.run([str(DEPLOY / "make-passwd.sh"), str(passwd), *users], check=True, capture_output=True)
        passwd.chmod(0o644)
        # the deploy ACL as `clearing-gateway source acl` writes it, with MW registered as a trade source
        (folder / "acl").write_text(acl_file([TradeSource("MW", mqtt_user="MW")]))
        (folder / "data").mkdir(mode=0o777)
        plain, tls_port = _free_port(), _free_port()
        conf = render(folder, port=plain, passwd=passwd, acl=folder / "acl", tls_port=tls_port, certs=pki.dir)
        (folder / "mosquitto.conf").write_text(conf)
        with running(folder / "mosquitto.conf", [plain, tls_port]):
            yield Broker(plain, tls_port, pki.ca)


def _client(port: int, user: str, tls: ssl.SSLContext | None, password: str | None = None) -> aiomqtt.Client:
    return aiomqtt.Client(
        "localhost",
        port,
        username=user,
        password=password or USERS[user],
        identifier=f"tls-{user}",
        tls_context=tls,
    )


async def test_a_member_with_the_ca_and_its_password_is_served_over_tls(tls_broker: Broker) -> None:
    async with (
        _client(tls_broker.tls_port, "BANKA", tls_broker.tls()) as bank_a,
        _client(tls_broker.plain_port, "gateway", None) as gateway,
    ):
        await bank_a.subscribe("ccp/member/BANKA/fpml", qos=1)
        await gateway.publish("ccp/member/BANKA/fpml", b"status-for-A", qos=1)
        async with asyncio.timeout(10):
            message = await anext(aiter(bank_a.messages))
    assert message.payload == b"status-for-A"


def _connect_packet(user: str, password: str) -> bytes:
    """An MQTT 3.1.1 CONNECT with user name and password, as a plain client sends it."""

    def text(value: str) -> bytes:
        return len(value.encode()).to_bytes(2, "big") + value.encode()

    body = (
        text("MQTT")
        + bytes([4, 0xC2])
        + (60).to_bytes(2, "big")
        + text("plain")
        + text(user)
        + text(password)
    )
    return bytes([0x10, len(body)]) + body


def _answer_to_plain_connect(port: int, *, until_closed: bool) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:  # 10 s: a bound, not a timing
        sock.sendall(_connect_packet("BANKA", USERS["BANKA"]))
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # a reset is a close too
            while chunk := sock.recv(4096):
                answer += chunk
                if not until_closed:
                    break
        return answer


async def test_plain_mqtt_on_the_tls_port_and_a_wrong_password_over_tls_are_refused(
    tls_broker: Broker,
) -> None:
    plain = _answer_to_plain_connect(tls_broker.plain_port, until_closed=False)
    assert plain.startswith(b"\x20")  # CONNACK: the same packet is good MQTT
    answer = _answer_to_plain_connect(tls_broker.tls_port, until_closed=True)
    assert not answer.startswith(b"\x20")  # no CONNACK: at most a TLS alert, then the connection is closed
    with pytest.raises(aiomqtt.MqttError):
        async with _client(tls_broker.tls_port, "BANKA", tls_broker.tls(), password="wrong"):
            pass


async def test_a_message_above_the_gateways_limit_is_dropped_by_the_broker(tls_broker: Broker) -> None:
    async with (
        _client(tls_broker.plain_port, "gateway", None) as gateway,
        _client(tls_broker.tls_port, "MW", tls_broker.tls()) as source,
    ):
        await gateway.subscribe("ccp/in/+/fpml", qos=1)
        await source.publish("ccp/in/MW/fpml", b"x" * (MAX_MESSAGE_BYTES + 1), qos=1)
        await source.publish("ccp/in/MW/fpml", b"x" * MAX_MESSAGE_BYTES, qos=1)
        async with asyncio.timeout(10):
            message = await anext(aiter(gateway.messages))
    assert isinstance(message.payload, bytes)
    assert len(message.payload) == MAX_MESSAGE_BYTES  # the larger one never reached the gateway


def test_broker_message_size_limit_is_the_gateways() -> None:
    conf = (DEPLOY / "mosquitto.conf").read_text()
    (limit,) = re.findall(r"^message_size_limit (\d+)$", conf, flags=re.MULTILINE)
    assert int(limit) == MAX_MESSAGE_BYTES


def test_compose_publishes_only_the_tls_listener() -> None:
    compose = (DEPLOY.parent / "compose.yaml").read_text()
    published = re.findall(r'^\s+- "(\d+):(\d+)"$', compose, flags=re.MULTILINE)
    assert ("8883", "8883") in published
    assert all(inner != "1883" for _, inner in published)  # the plain listener stays on the compose network
