"""End-to-end acknowledgement: a source's intake PUBLISH is acknowledged only once the gateway's
subscription acknowledged it (the gateway does so after storing it), over real connections."""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from gateway.channels.mqtt.broker.embedded import EmbeddedBroker
from gateway.channels.mqtt.client import ack, hold_acks
from tests.channels.mqtt.broker.world import access, client


def _gateway(port: int) -> aiomqtt.Client:
    gw = client(port, "gateway", identifier="clearing-gateway", clean_session=False)
    hold_acks(gw)  # as the intake loop: PUBACK only when told
    return gw


async def _next(gw: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(10):
        return await anext(gw.messages)


async def test_no_puback_while_no_gateway_is_subscribed_then_only_after_the_gateways() -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker, client(broker.port, "MW") as mw:
        published = asyncio.create_task(mw.publish("ccp/in/MW/fpml", b"trade-1", qos=1))
        while broker.held == 0:  # noqa: ASYNC110 - the broker has read it
            await asyncio.sleep(0.01)
        assert not published.done()  # no gateway subscription: nothing is acknowledged
        async with _gateway(broker.port) as gw:
            await gw.subscribe("ccp/in/+/fpml", qos=1)
            message = await _next(gw)
            assert message.payload == b"trade-1"
            await asyncio.sleep(0.2)
            assert not published.done()  # delivered, but not yet stored by the gateway
            assert ack(gw, message)
            async with asyncio.timeout(10):
                await published


async def test_a_message_the_gateway_did_not_acknowledge_comes_again_on_its_next_connection() -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker, client(broker.port, "MW") as mw:
        async with _gateway(broker.port) as gw:
            await gw.subscribe("ccp/in/+/fpml", qos=1)
            published = asyncio.create_task(mw.publish("ccp/in/MW/fpml", b"trade-2", qos=1))
            assert (await _next(gw)).payload == b"trade-2"
        # the gateway went away (a crash of its consumer) without acknowledging
        await asyncio.sleep(0.2)
        assert not published.done()
        async with _gateway(broker.port) as gw:
            await gw.subscribe("ccp/in/+/fpml", qos=1)
            again = await _next(gw)
            assert again.payload == b"trade-2"
            assert ack(gw, again)
            async with asyncio.timeout(10):
                await published


@pytest.mark.slow
async def test_a_slow_gateway_is_waited_for_without_a_timeout() -> None:
    """amqtt alone gives up on a subscriber's PUBACK after 5 s; storing a burst can take longer."""
    async with (
        EmbeddedBroker(access=access(), port=0) as broker,
        client(broker.port, "MW") as mw,
        _gateway(broker.port) as gw,
    ):
        await gw.subscribe("ccp/in/+/fpml", qos=1)
        published = asyncio.create_task(mw.publish("ccp/in/MW/fpml", b"trade-3", qos=1))
        message = await _next(gw)
        await asyncio.sleep(6)
        assert not published.done()
        assert ack(gw, message)
        async with asyncio.timeout(10):
            await published


async def test_a_source_that_leaves_before_delivery_leaves_nothing_held() -> None:
    async with EmbeddedBroker(access=access(), port=0) as broker:
        async with client(broker.port, "MW") as mw:
            pending = asyncio.create_task(mw.publish("ccp/in/MW/fpml", b"trade-4", qos=1))
            while broker.held == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            pending.cancel()
        while broker.held:  # noqa: ASYNC110 - the source resends it itself when it reconnects
            await asyncio.sleep(0.01)
