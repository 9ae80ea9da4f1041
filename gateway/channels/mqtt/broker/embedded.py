"""An in-process MQTT 3.1.1 broker (amqtt) for the embedded configuration, with users, topic rules and
end-to-end acknowledgement of intake messages.

It lives as long as the ``async with`` block, in the gateway's own event loop, so it is meant for a
single machine (the demo, a developer laptop). Production uses Mosquitto (deploy/); both read the same
password file and ACL syntax (gateway/channels/mqtt/broker/access.py).

Users and topics
    A CONNECT is checked before amqtt touches any session: no user name, an unknown user or a wrong
    password gets CONNACK 5 (not authorised) and a ``refused`` log line, and cannot disturb the session
    of the client id it named. A client id already held by another user's session is refused the same
    way (a member cannot take over the gateway's session), and so is a will on a topic the user may not
    publish on (amqtt would publish it unchecked). SUBSCRIBE, PUBLISH and every delivery are
    checked against the ACL: a refused subscription gets 0x80 in SUBACK, a refused publication is
    dropped (its sender still gets PUBACK, as from Mosquitto), and retained messages reach only clients
    whose rules let them read the topic.

When PUBACK means "stored" (issue #11, item 6)
    amqtt answers PUBACK as soon as it has read a PUBLISH, and keeps everything in memory: a SIGKILL
    of the gateway process lost acknowledged trades. Two designs were weighed:

    * persist each intake message (fsync) before PUBACK and redeliver it after a restart: a second
      durable store beside the database, with its own recovery and clean-up, and an fsync per trade;
    * end-to-end acknowledgement: the only consumer of intake topics is the gateway, in this process,
      and it acknowledges a message only once the submission is in the database. So the broker holds
      the source's PUBACK until the gateway's PUBACK for that message has come back.

    The second is used: it adds no write to the hot path and no state to recover, because the
    database already is the durable store. A QoS 1 (or 2) PUBLISH on an intake topic (``{root}/in/+/fpml``)
    becomes a ``Held`` message (gateway/channels/mqtt/broker/handoff.py); it is delivered only to sessions of the
    intake consumer user (``consumer``), without amqtt's 5-second PUBACK timeout; with no such session
    subscribed it waits, unacknowledged. If the process dies, nothing was acknowledged that is not
    stored; every source with an unacknowledged message sends it again when it reconnects (QoS 1,
    clean_session=false), and the gateway's (source, messageId) key makes a repeat harmless.
    QoS 0 intake messages carry no promise and take amqtt's ordinary path.

amqtt has no public hooks for these decisions, so this module overrides methods of amqtt 0.12's
``Broker`` and ``BrokerProtocolHandler`` (the version is pinned in pyproject.toml;
tests/channels/mqtt/broker/ exercise every override over real connections).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
from types import TracebackType
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.constants import QOS_0, QOS_1
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.pubcomp import PubcompPacket
from amqtt.mqtt.pubrec import PubrecPacket
from amqtt.session import IncomingApplicationMessage, OutgoingApplicationMessage
from amqtt.utils import gen_client_id

from gateway.channels.mqtt.broker.access import BrokerAccess
from gateway.channels.mqtt.broker.acl import covers, matches
from gateway.channels.mqtt.broker.handoff import Handoff, Held

_LISTENER = "default"
log = logging.getLogger(__name__)


def _check_free(host: str, port: int) -> None:
    """Raise ``OSError`` now if the port is taken, rather than let the broker log a traceback."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


class _HeldIncoming(IncomingApplicationMessage):  # type: ignore[misc]
    """An intake PUBLISH whose PUBACK waits for the consumer's: carries its ``Held`` to the broker."""

    __slots__ = ("held",)

    def __init__(self, original: Any, held: Held) -> None:
        super().__init__(original.packet_id, original.topic, original.qos, original.data, original.retain)
        self.publish_packet = original.publish_packet  # type: ignore[misc]  # a slot of the amqtt base class
        self.held = held


class _Handler(BrokerProtocolHandler):  # type: ignore[misc]
    """amqtt's handler, except that an intake PUBLISH is acknowledged only once the consumer stored it."""

    intake_filter: str = ""
    handoff: Handoff | None = None
    closing: bool = False

    async def stop(self) -> None:
        self.closing = True  # before the waiters are cancelled: the pump sends nothing on a closing handler
        await super().stop()

    def _holds(self, message: Any) -> bool:
        return (
            self.handoff is not None
            and isinstance(message, IncomingApplicationMessage)
            and not isinstance(message, _HeldIncoming)
            and matches(self.intake_filter, message.topic)
        )

    async def _hand_over(self, message: Any) -> bool:
        """Queue ``message`` for the broker and wait for the consumer: True stored, False dropped."""
        assert self.handoff is not None
        assert self.session is not None
        held = Handoff.new(message.topic, bytes(message.data), self.session.username)
        try:
            await self.session.delivered_message_queue.put(_HeldIncoming(message, held))
            return await held.acknowledged
        except asyncio.CancelledError:
            self.handoff.forget(held)  # the source's connection went: it sends the message again
            raise

    async def _handle_qos1_message_flow(self, app_message: Any) -> None:
        if not self._holds(app_message):
            await super()._handle_qos1_message_flow(app_message)
            return
        from amqtt.mqtt.puback import PubackPacket

        await self._hand_over(app_message)
        puback = PubackPacket.build(app_message.packet_id)
        await self._send_packet(puback)
        app_message.puback_packet = puback

    async def _handle_qos2_message_flow(self, app_message: Any) -> None:
        if not self._holds(app_message):
            await super()._handle_qos2_message_flow(app_message)
            return
        # PUBREC is the QoS 2 receiver's promise: it too waits for the consumer; then the rest of the
        # handshake, without a second delivery
        await self._hand_over(app_message)
        packet_id = app_message.packet_id
        await self._send_packet(PubrecPacket.build(packet_id))
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pubrel_waiters[packet_id] = waiter
        try:
            await waiter
        finally:
            self._pubrel_waiters.pop(packet_id, None)
        await self._send_packet(PubcompPacket.build(packet_id))


_delivering: contextvars.ContextVar[_HeldIncoming | None] = contextvars.ContextVar(
    "_delivering", default=None
)


class _Broker(Broker):  # type: ignore[misc]
    """amqtt's broker with authentication before sessions, ACL checks and the intake hand-off."""

    def __init__(
        self, config: dict[str, Any], *, access: BrokerAccess, intake_filter: str, consumer: str
    ) -> None:
        super().__init__(config)
        self.access = access
        self.intake_filter = intake_filter
        self.consumer = consumer
        self.handoff = Handoff()
        self._pump_task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await super().start()
        self._pump_task = asyncio.create_task(self._pump(), name="embedded-broker-intake-pump")

    async def shutdown(self) -> None:
        tasks = [t for t in (self._pump_task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().shutdown()

    # --- CONNECT: authenticate before any session is looked up, taken over or deleted

    async def _initialize_client_session(
        self, reader: Any, writer: Any, remote_address: str, remote_port: int
    ) -> tuple[Any, Any]:
        try:
            handler, session = await _Handler.init_from_connect(reader, writer, self.plugins_manager)
        except (AMQTTError, MQTTError, NoDataError) as exc:
            await writer.close()
            raise AMQTTError(f"no valid CONNECT from {remote_address}:{remote_port}: {exc}") from exc
        handler.intake_filter = self.intake_filter
        handler.handoff = self.handoff
        user: str | None = session.username
        refused = not await self.access.authenticate(user, session.password, session.client_id)
        if not refused and session.client_id:
            existing = self._sessions.get(session.client_id)
            owner = existing[0].username if existing is not None else None
            if existing is not None and owner != user:
                assert user is not None
                self.access.client_id_refused(user, session.client_id, owner)
                refused = True
        if not refused and session.will_flag and session.will_topic is not None:
            # amqtt publishes a will without asking the topic rules: a will is allowed only where the
            # user may publish (as Mosquitto does), else the CONNECT is refused
            refused = not self.access.may_publish(user, session.client_id, session.will_topic)
        if refused:
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
            await writer.close()
            raise AMQTTError(f"connection from {remote_address}:{remote_port} refused")
        session.password = None  # checked; not kept in memory
        if session.clean_session:
            if session.client_id:
                await self._delete_session(session.client_id)
            else:
                session.client_id = gen_client_id()
            session.parent = 0
        elif session.client_id in self._sessions:
            kept = self._sessions[session.client_id][0]
            for name in ("will_flag", "will_message", "will_topic", "will_qos", "will_retain", "keep_alive"):
                setattr(kept, name, getattr(session, name))
            kept.username = user
            kept.password = None
            session = kept
            session.parent = 1
        else:
            session.parent = 0
        return handler, session

    async def _authenticate(self, session: Any, listener: Any) -> bool:
        return True  # done in _initialize_client_session, before the session was touched

    async def _client_message_loop(self, client_session: Any, handler: Any) -> None:
        self.handoff.poke()  # a consumer may be back: held messages can go
        await super()._client_message_loop(client_session, handler)

    # --- topic rules

    async def _topic_filtering(self, session: Any, topic: str, action: Action) -> bool:
        user, client_id = session.username, session.client_id
        if action == Action.PUBLISH:
            return self.access.may_publish(user, client_id, topic)
        if action == Action.SUBSCRIBE:
            allowed = self.access.may_subscribe(user, client_id, topic)
            if allowed and user == self.consumer and covers(topic, self.intake_filter):
                self.handoff.poke()
            return allowed
        return self.access.may_receive(user, client_id, topic)

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Any
    ) -> None:
        """Retained messages for one of ``session``'s own subscriptions, on topics it may read."""
        topic_filter, qos = subscription
        own = any(s.client_id == session.client_id for s, _ in self._subscriptions.get(topic_filter, ()))
        handler = self._get_handler(session)
        if not own or handler is None:
            return
        sends = [
            handler.mqtt_publish(m.topic, m.data, min(qos, m.qos or qos), retain=True)
            for topic, m in list(self._retained_messages.items())
            if matches(topic_filter, topic)
            and self.access.acl.allows_receive(session.username, session.client_id, topic)
        ]
        if sends:
            await asyncio.gather(*sends, return_exceptions=True)

    # --- intake hand-off

    async def _handle_message_delivery(self, client_session: Any, handler: Any, wait_deliver: Any) -> bool:
        message = wait_deliver.result()
        if not isinstance(message, _HeldIncoming):
            return bool(await super()._handle_message_delivery(client_session, handler, wait_deliver))
        token = _delivering.set(message)
        try:
            keep = bool(await super()._handle_message_delivery(client_session, handler, wait_deliver))
        finally:
            _delivering.reset(token)
        if not message.held.sent and message.held not in self.handoff:
            self.handoff.dropped(message.held)  # refused by the rules or an invalid topic
        return keep

    async def _broadcast_message(
        self, session: Any, topic: str | None, data: bytes | bytearray | None, force_qos: int | None = None
    ) -> None:
        message = _delivering.get()
        if message is not None and session is not None and topic == message.topic:
            self.handoff.enqueue(message.held)  # allowed by the rules: to the consumer, PUBACK when stored
            return
        await super()._broadcast_message(session, topic, data, force_qos)

    def _consumer(self) -> tuple[Any, Any] | None:
        """A connected session of the consumer user subscribed (QoS 1+) to every intake topic, and its handler."""
        for topic_filter, subscribers in self._subscriptions.items():
            if not covers(topic_filter, self.intake_filter):
                continue
            for session, qos in subscribers:
                if (
                    session.username != self.consumer
                    or qos == QOS_0
                    or session.transitions.state != "connected"
                ):
                    continue
                entry = self._sessions.get(session.client_id)
                if entry is not None and entry[0] is session and not getattr(entry[1], "closing", True):
                    return session, entry[1]
        return None

    async def _pump(self) -> None:
        """Hand every held message to the consumer while one is connected."""
        while True:
            await self.handoff.wait()
            consumer = self._consumer()
            if consumer is None or not len(self.handoff):
                continue
            session, handler = consumer
            for held in self.handoff.next_batch():
                task = asyncio.create_task(self._deliver(held, session, handler))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, held: Held, session: Any, handler: Any) -> None:
        """PUBLISH to the consumer and wait for its PUBACK, however long storing takes."""
        if handler.closing or held.acknowledged.done():
            self.handoff.returned(held)
            return
        packet_id = session.next_packet_id
        outgoing = OutgoingApplicationMessage(packet_id, held.topic, QOS_1, held.data, False)
        session.inflight_out[packet_id] = outgoing  # reserves the packet id
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        handler._puback_waiters[packet_id] = waiter  # cancelled by amqtt when the connection stops
        try:
            outgoing.publish_packet = outgoing.build_publish_packet()
            await handler._send_packet(outgoing.publish_packet)
            await waiter
        except asyncio.CancelledError:
            task = asyncio.current_task()
            self.handoff.returned(held)
            if task is not None and task.cancelling():
                raise  # the broker is shutting down
            return
        except Exception as exc:
            log.warning(
                "intake message to %s not delivered (%s); kept for the next connection",
                session.client_id,
                exc,
            )
            self.handoff.returned(held)
            return
        finally:
            handler._puback_waiters.pop(packet_id, None)
            session.inflight_out.pop(packet_id, None)
        self.handoff.delivered(held)


class EmbeddedBroker:
    """``async with EmbeddedBroker(access=..., port=0) as broker``: ``broker.port`` is the bound port (0 picks one).

    ``access`` holds the users and topic rules; ``consumer`` is the user whose acknowledgement makes an
    intake message (``{topic_root}/in/+/fpml``) stored, i.e. the gateway's own user.
    """

    def __init__(
        self,
        *,
        access: BrokerAccess,
        host: str = "127.0.0.1",
        port: int = 1883,
        consumer: str = "gateway",
        topic_root: str = "ccp",
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        self.host = host
        self.port = port
        self.access = access
        self.consumer = consumer
        self.intake_filter = f"{topic_root}/in/+/fpml"
        self._broker: _Broker | None = None

    @property
    def running(self) -> bool:
        return self._broker is not None

    @property
    def held(self) -> int:
        """Intake messages waiting for the consumer (not yet handed over)."""
        return len(self._broker.handoff) if self._broker is not None else 0

    def reload_acl(self, text: str) -> None:
        """Replace the topic rules now (``AclError`` if ``text`` cannot be read)."""
        self.access.reload_acl(text)

    async def __aenter__(self) -> EmbeddedBroker:
        if self.port != 0:
            _check_free(self.host, self.port)

        # amqtt logs every packet at INFO; the gateway's own logs say what matters.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)
        config: dict[str, Any] = {
            "listeners": {
                _LISTENER: {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 0}
            },
            # amqtt's own plugins stay out: authentication and topic rules are decided by ``access``
            "plugins": {},
        }
        broker = _Broker(config, access=self.access, intake_filter=self.intake_filter, consumer=self.consumer)
        await broker.start()
        self._broker = broker
        if self.port == 0:
            server = broker._servers[_LISTENER].instance
            self.port = int(server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()
