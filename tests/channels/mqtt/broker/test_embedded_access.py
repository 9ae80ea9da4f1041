"""The embedded broker over real connections: who may connect, subscribe, publish and read what.

Each refusal is checked on the wire (CONNACK, SUBACK, nothing delivered) and in the log line it leaves
(channel mqtt, the user as identity, the reason code).
"""

from __future__ import annotations

import logging
from pathlib import Path

import aiomqtt
import pytest

from gateway.channels.mqtt.broker.access import BrokerAccess
from gateway.channels.mqtt.broker.acl_file import acl_file
from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.channels.mqtt.broker.passwd import PasswordFile
from gateway.refdata.sources import TradeSource
from tests.channels.mqtt.broker.world import (
    ACL,
    SOURCE_MW,
    USERS,
    access,
    client,
    nothing_more,
    refusals,
    until_marker,
)

SUBACK_FAILURE = 0x80


@pytest.fixture(autouse=True)
def _security_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.security")


async def test_an_anonymous_client_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker:
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with aiomqtt.Client("127.0.0.1", broker.port, identifier="anon"):
                pass
    assert [(c, i, r) for c, i, r, _ in refusals(caplog)] == [("mqtt", "-", "MQTT_NOT_AUTHENTICATED")]
    assert "anonymous" in refusals(caplog)[0][3]


@pytest.mark.parametrize(("user", "password"), [("BANKA", "b-pw"), ("BANKA", ""), ("NOBODY", "a-pw")])
async def test_a_wrong_password_or_unknown_user_is_refused(
    caplog: pytest.LogCaptureFixture, user: str, password: str
) -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker:
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with aiomqtt.Client("127.0.0.1", broker.port, username=user, password=password):
                pass
    assert [(c, i, r) for c, i, r, _ in refusals(caplog)] == [("mqtt", user, "MQTT_NOT_AUTHENTICATED")]


async def test_a_refused_connect_cannot_take_over_or_wipe_the_gateways_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "gateway", identifier="clearing-gateway") as gw,
        client(broker.port, "MW", identifier="mw") as mw,
    ):
        await gw.subscribe("ccp/out/+/fpml", qos=1)  # the gateway may read nothing else; a plain topic
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        # an anonymous client and a member, each with the gateway's client id and a clean session
        with pytest.raises(aiomqtt.MqttCodeError):
            async with aiomqtt.Client("127.0.0.1", broker.port, identifier="clearing-gateway"):
                pass
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with client(broker.port, "BANKA", identifier="clearing-gateway"):
                pass
        # the gateway is still connected and subscribed: a source's trade still reaches it
        await mw.publish("ccp/in/MW/fpml", b"trade-1", qos=1)
        assert await until_marker(gw, b"trade-1") == [("ccp/in/MW/fpml", b"trade-1")]
    codes = [(i, r) for _, i, r, _ in refusals(caplog)]
    assert ("-", "MQTT_NOT_AUTHENTICATED") in codes
    assert ("BANKA", "MQTT_CLIENT_ID_TAKEN") in codes


async def test_a_member_subscribing_to_everything_or_another_members_topic_receives_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "gateway") as gw,
        client(broker.port, "BANKA") as a,
    ):
        granted = [await a.subscribe(f, qos=1) for f in ("#", "ccp/member/BANKB/fpml", "ccp/member/+/fpml")]
        assert [list(g) for g in granted] == [[SUBACK_FAILURE]] * 3
        assert list(await a.subscribe("ccp/member/BANKA/fpml", qos=1)) == [1]
        await gw.publish("ccp/member/BANKB/fpml", b"B's status", qos=1)
        await gw.publish("ccp/out/MW/fpml", b"MW's status", qos=1)
        await gw.publish("ccp/member/BANKA/fpml", b"A's status", qos=1)
        assert await until_marker(a, b"A's status") == [("ccp/member/BANKA/fpml", b"A's status")]
        assert await nothing_more(a) == []
    logged = refusals(caplog)
    assert {(c, i, r) for c, i, r, _ in logged} == {("mqtt", "BANKA", "MQTT_TOPIC_DENIED")}
    assert any("subscription to '#' refused" in m for *_, m in logged)
    assert any("'ccp/member/BANKB/fpml'" in m for *_, m in logged)


async def test_a_member_publishing_on_an_intake_topic_is_dropped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "gateway", identifier="clearing-gateway") as gw,
        client(broker.port, "BANKA") as a,
        client(broker.port, "MW") as mw,
    ):
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        # a member on its "own" intake topic and on another's: acknowledged (as by Mosquitto), dropped
        await a.publish("ccp/in/BANKA/fpml", b"forged-1", qos=1)
        await a.publish("ccp/in/MW/fpml", b"forged-2", qos=1)
        await mw.publish("ccp/in/MW/fpml", b"honest", qos=1)
        assert await until_marker(gw, b"honest") == [("ccp/in/MW/fpml", b"honest")]
        assert await nothing_more(gw) == []
    logged = [(i, r, m) for _, i, r, m in refusals(caplog)]
    assert [(i, r) for i, r, _ in logged] == [("BANKA", "MQTT_TOPIC_DENIED")] * 2
    assert "publish on 'ccp/in/BANKA/fpml' dropped" in logged[0][2]


async def test_a_source_reads_only_its_own_status_topic(caplog: pytest.LogCaptureFixture) -> None:
    users = USERS | {"OTHER": "o-pw"}
    async with (
        EmbeddedBroker(access=access(users), port=0) as broker,
        client(broker.port, "gateway") as gw,
        client(broker.port, "MW") as mw,
    ):
        assert list(await mw.subscribe("ccp/out/+/fpml", qos=1)) == [SUBACK_FAILURE]
        assert list(await mw.subscribe("ccp/out/OTHER/fpml", qos=1)) == [SUBACK_FAILURE]
        assert list(await mw.subscribe("ccp/in/+/fpml", qos=1)) == [SUBACK_FAILURE]
        assert list(await mw.subscribe("ccp/out/MW/fpml", qos=1)) == [1]
        await gw.publish("ccp/out/OTHER/fpml", b"other's", qos=1)
        await gw.publish("ccp/out/MW/fpml", b"mine", qos=1)
        assert await until_marker(mw, b"mine") == [("ccp/out/MW/fpml", b"mine")]
    assert {(i, r) for _, i, r, _ in refusals(caplog)} == {("MW", "MQTT_TOPIC_DENIED")}


async def test_retained_messages_reach_only_readers_of_their_topic(caplog: pytest.LogCaptureFixture) -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker:
        async with client(broker.port, "gateway") as gw:
            await gw.publish("ccp/member/BANKB/fpml", b"B retained", qos=1, retain=True)
            await gw.publish("ccp/member/BANKA/fpml", b"A retained", qos=1, retain=True)
        async with client(broker.port, "BANKA", clean_session=False) as a:
            await a.subscribe("ccp/member/BANKA/fpml", qos=1)
            assert await until_marker(a, b"A retained") == [("ccp/member/BANKA/fpml", b"A retained")]
        async with client(broker.port, "BANKB", clean_session=False) as b:
            await b.subscribe("ccp/member/BANKB/fpml", qos=1)
            assert await until_marker(b, b"B retained") == [("ccp/member/BANKB/fpml", b"B retained")]
        async with client(broker.port, "BANKA", clean_session=False) as a:  # an existing session comes back
            # (amqtt alone sent it the retained messages of every session's subscriptions, BANKB's too)
            assert {topic for topic, _ in await nothing_more(a)} <= {"ccp/member/BANKA/fpml"}


async def test_the_rules_can_be_replaced_while_the_broker_runs(caplog: pytest.LogCaptureFixture) -> None:
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "gateway", identifier="clearing-gateway") as gw,
        client(broker.port, "BANKB") as b,
    ):
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        await b.publish("ccp/in/BANKB/fpml", b"before", qos=1)
        broker.reload_acl(ACL + "\nuser BANKB\ntopic write ccp/in/BANKB/fpml\n")  # BANKB approved as a source
        await b.publish("ccp/in/BANKB/fpml", b"after", qos=1)
        assert await until_marker(gw, b"after") == [("ccp/in/BANKB/fpml", b"after")]
        broker.reload_acl(ACL)  # and withdrawn
        await b.publish("ccp/in/BANKB/fpml", b"withdrawn", qos=1)
        assert await nothing_more(gw) == []
    assert [(i, r) for _, i, r, _ in refusals(caplog)] == [("BANKB", "MQTT_TOPIC_DENIED")] * 2


async def test_a_will_on_an_intake_topic_is_refused_at_connect(caplog: pytest.LogCaptureFixture) -> None:
    """amqtt publishes a will without asking the rules: a member's forged trade as its will must not pass."""
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "gateway", identifier="clearing-gateway") as gw,
    ):
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        will = aiomqtt.Will("ccp/in/MW/fpml", b"forged by will", qos=1)
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with client(broker.port, "BANKA", will=will):
                pass
        async with client(broker.port, "MW", will=aiomqtt.Will("ccp/in/MW/fpml", b"own will", qos=1)):
            pass  # a source's will on its own intake topic is allowed (and not sent: it disconnected cleanly)
        async with client(broker.port, "MW") as mw:
            await mw.publish("ccp/in/MW/fpml", b"marker", qos=1)
            assert await until_marker(gw, b"marker") == [("ccp/in/MW/fpml", b"marker")]
    assert [(i, r) for _, i, r, _ in refusals(caplog)] == [("BANKA", "MQTT_TOPIC_DENIED")]


async def test_the_files_are_read_again_when_they_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    PasswordFile.with_passwords({"gateway": USERS["gateway"]}).save(passwd)
    acl.write_text(ACL)
    async with (
        EmbeddedBroker(access=BrokerAccess.from_files(passwd, acl), port=0) as broker,
        client(broker.port, "gateway", identifier="clearing-gateway") as gw,
    ):
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        with pytest.raises(aiomqtt.MqttCodeError, match="Not authorized"):
            async with client(broker.port, "BANKB"):
                pass
        users = PasswordFile.load(passwd)
        users.add("BANKB", USERS["BANKB"])
        users.save(passwd)
        acl.write_text(acl_file([SOURCE_MW, TradeSource("BANKB", mqtt_user="BANKB")]))
        async with client(broker.port, "BANKB") as b:  # the CONNECT reads both files again
            await b.publish("ccp/in/BANKB/fpml", b"now a source", qos=1)
            assert await until_marker(gw, b"now a source") == [("ccp/in/BANKB/fpml", b"now a source")]
    assert [(i, r) for _, i, r, _ in refusals(caplog)] == [("BANKB", "MQTT_NOT_AUTHENTICATED")]
