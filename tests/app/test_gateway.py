"""The gateway end to end: FpML over the real Mosquitto, the real clearing core on SQLite and PostgreSQL,
statuses back to the source and to both members.

The margin model is the clearing core's linear stand-in (tests/clearing/doubles.py): the risk engine's
production checker is being built concurrently. Everything else is the production path.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiomqtt
import pytest
import simplefix
from lxml import etree
from sqlalchemy import func, select

from gateway.admin.reference import ReferenceData, cash
from gateway.admin.source_admin import TradeSources
from gateway.app import Gateway, open_gateway
from gateway.clock import FixedClock
from gateway.config import BrokerMode, FixConfig, GatewayConfig, MqttConfig, OpsConfig, StoreConfig
from gateway.domain.trade import Trade, TradeIdentifiers
from gateway.refdata.sources import TradeSource
from gateway.store import open_store, tables
from tests.app.harness import FPML, Inbox, Received, subscribed
from tests.channels.fix.client import FixClient
from tests.channels.fix.conftest import free_port
from tests.clearing.conftest import OPEN_NOW, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B
from tools.demo.requests import request_clearing

pytestmark = pytest.mark.mosquitto
OPS_TOKEN_ENV = "CLEARING_OPS_TOKEN_GATEWAY_TEST"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@dataclass
class Running:
    gateway: Gateway
    refdata: ReferenceData
    source: str
    bank_a: str
    bank_b: str
    inbox: Inbox
    publisher: aiomqtt.Client
    clock: FixedClock
    root: str
    n: int = 0

    async def send(self, trade_id: str, **kw: object) -> str:
        self.n += 1
        message_id = f"{self.source}-M{self.n}"
        trade = aud_irs(trade_id, **kw)  # type: ignore[arg-type]
        payload = request_clearing(trade, source=self.source, message_id=message_id, at=self.clock.now())
        await self.publisher.publish(f"{self.root}/in/{self.source}/fpml", payload, qos=1)
        return message_id

    def topic(self, who: str) -> str:
        return f"{self.root}/out/{who}/fpml" if who == self.source else f"{self.root}/member/{who}/fpml"


@contextlib.asynccontextmanager
async def running(
    mosquitto: tuple[str, int],
    store_url: str,
    *,
    collateral_b: Decimal = Decimal(100_000_000),
    fix_dir: Path | None = None,
    venue: bool = False,
) -> AsyncIterator[Running]:
    tag = uuid.uuid4().hex[:8]
    host, port = mosquitto
    bank_a, bank_b, source = f"A{tag}", f"B{tag}", f"S{tag}"
    fix = FixConfig(enabled=False)
    if fix_dir is not None:
        fix = FixConfig(enabled=True, port=free_port(), comp_id="CCP", data_dir=fix_dir)
        # The members are onboarded before the gateway starts: FIX sessions are those known at start.
        engine = await open_store(store_url)
        try:
            refdata = ReferenceData(engine)
            await refdata.add_participant(member(bank_a, LEI_A, (f"{bank_a}FIX",)))
            await refdata.add_participant(member(bank_b, LEI_B))
        finally:
            await engine.dispose()
    config = GatewayConfig(
        # Its own topic root: other runs may share the broker, and every gateway reads all intake topics.
        mqtt=MqttConfig(
            mode=BrokerMode.EXTERNAL,
            host=host,
            port=port,
            client_id=f"gw-{tag}",
            topic_root=f"test-{tag}/ccp",
        ),
        store=StoreConfig(url=store_url),
        fix=fix,
        ops=OpsConfig(port=0, token_env=OPS_TOKEN_ENV),
    )
    clock = FixedClock(OPEN_NOW)
    async with open_gateway(config, clock=clock, credit=LinearMargin()) as gw:
        refdata = ReferenceData(gw.engine, clock=clock, on_lodged=gw.clearing.wake)
        # the test's trade source is approved (the gateway reads the sources again when it starts running)
        await TradeSources(gw.engine, clock=clock).add(TradeSource(source, mqtt_user=source, venue=venue))
        if fix_dir is None:
            await refdata.add_participant(member(bank_a, LEI_A))
            await refdata.add_participant(member(bank_b, LEI_B))
        await refdata.lodge(bank_a, "HOUSE", cash("AUD", Decimal(100_000_000)))
        if collateral_b:
            await refdata.lodge(bank_b, "HOUSE", cash("AUD", collateral_b))
        root = config.mqtt.topic_root
        topics = [f"{root}/out/{source}/fpml", f"{root}/member/{bank_a}/fpml", f"{root}/member/{bank_b}/fpml"]
        stop, started = asyncio.Event(), asyncio.Event()
        async with subscribed(host, port, topics) as inbox, aiomqtt.Client(host, port) as publisher:
            task = asyncio.create_task(gw.run(stop, started))
            try:
                await asyncio.wait_for(started.wait(), 20)
                yield Running(gw, refdata, source, bank_a, bank_b, inbox, publisher, clock, root)
            finally:
                stop.set()
                await asyncio.wait_for(task, 20)


def _final(r: Running, who: str, correlation: str, kind: str) -> bool:
    return any(m.kind == kind and m.correlation == correlation for m in r.inbox.on(r.topic(who)))


async def test_cleared_trade_is_confirmed_to_the_source_and_both_members(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        await r.send("T-CLEAR")
        await r.inbox.wait_for(
            lambda _: all(
                _final(r, who, "T-CLEAR", "clearingConfirmed") for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        source_kinds = [m.kind for m in r.inbox.on(r.topic(r.source))]
        assert source_kinds[0] == "clearingAcknowledgement"
        assert source_kinds[-1] == "clearingConfirmed"
        # The publisher counts a status once the broker has acknowledged it, which may be just after delivery.
        async with asyncio.timeout(10):
            while "gateway_decision_latency_seconds_count 1.0" not in r.gateway.metrics.render().decode():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        metrics = r.gateway.metrics.render().decode()
        assert 'gateway_messages_in_total{channel="mqtt-fpml",outcome="submitted"} 1.0' in metrics


def _party_ids(m: Received) -> set[str]:
    return {str(x) for x in m.doc.xpath("//f:party/f:partyId/text()", namespaces={"f": FPML[1:-1]})}


async def test_each_member_is_shown_only_its_own_side(mosquitto: tuple[str, int], store_url: str) -> None:
    """The source sees both sides; a member sees its own cleared trade and never the other member's ids or figures."""
    async with running(mosquitto, store_url, collateral_b=Decimal(0)) as r:
        await r.send("T-VIEW")
        await r.inbox.wait_for(
            lambda _: all(
                any(
                    m.kind == "clearingStatus" and m.correlation == "T-VIEW" for m in r.inbox.on(r.topic(who))
                )
                for who in (r.source, r.bank_a)
            )
        )
        r.clock.advance(timedelta(minutes=5))
        await r.refdata.lodge(r.bank_b, "HOUSE", cash("AUD", Decimal(50_000_000)))
        await r.inbox.wait_for(
            lambda _: all(
                _final(r, who, "T-VIEW", "clearingConfirmed") for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        ccp = r.gateway.clearing.settings.ccp.party_id

        def confirmed(who: str) -> Received:
            return next(m for m in r.inbox.on(r.topic(who)) if m.kind == "clearingConfirmed")

        assert _party_ids(confirmed(r.source)) >= {LEI_A, LEI_B, ccp}
        assert _party_ids(confirmed(r.bank_a)) == {LEI_A, ccp}
        assert _party_ids(confirmed(r.bank_b)) == {LEI_B, ccp}
        # Bank B's collateral shortfall held the trade: Bank A is told it waits, not Bank B's figures.
        for m in r.inbox.on(r.topic(r.bank_a)):
            assert r.bank_b.encode() not in etree.tostring(m.doc), m.kind


async def test_refusal_carries_its_reason_codes(mosquitto: tuple[str, int], store_url: str) -> None:
    async with running(mosquitto, store_url) as r:
        await r.send("T-LONG", years=40)  # A$ IRS clear up to 30 years
        await r.inbox.wait_for(
            lambda _: all(
                _final(r, who, "T-LONG", "clearingRefused") for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        refused = next(m for m in r.inbox.on(r.topic(r.source)) if m.kind == "clearingRefused")
        assert refused.reason_codes == ["MaturityTooLong"]


async def test_malformed_fpml_is_answered_with_message_rejected(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", b"<requestClearing xmlns='nope'>", qos=1)
        msgs = await r.inbox.wait_for(lambda ms: any(m.kind == "messageRejected" for m in ms))
        rejected = next(m for m in msgs if m.kind == "messageRejected")
        assert rejected.topic == r.topic(r.source)
        assert rejected.reason_codes


async def test_pending_for_collateral_then_cleared_after_a_lodgement(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url, collateral_b=Decimal(0)) as r:
        await r.send("T-PEND")
        await r.inbox.wait_for(
            lambda _: any(
                m.kind == "clearingStatus" and m.correlation == "T-PEND"
                for m in r.inbox.on(r.topic(r.source))
            )
        )
        assert not _final(r, r.source, "T-PEND", "clearingConfirmed")
        r.clock.advance(timedelta(minutes=5))
        await r.refdata.lodge(r.bank_b, "HOUSE", cash("AUD", Decimal(50_000_000)))
        await r.inbox.wait_for(
            lambda _: all(
                _final(r, who, "T-PEND", "clearingConfirmed") for who in (r.source, r.bank_a, r.bank_b)
            )
        )


async def test_a_member_fix_session_receives_the_statuses(
    mosquitto: tuple[str, int], store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OPS_TOKEN_ENV, "gw-ops-token")  # /healthz lists sessions to the operator only
    async with running(mosquitto, store_url, fix_dir=tmp_path / "fix") as r:
        fix = r.gateway.config.fix
        client = FixClient("127.0.0.1", fix.port, sender=f"{r.bank_a}FIX", target=fix.comp_id)
        await client.connect()
        try:
            logon = await client.logon()
            assert logon.get(35) == b"A"
            await r.send("T-FIX")
            reports = []
            while not reports or reports[-1].get(939) != b"0":  # TrdRptStatus 0: accepted (cleared)
                msg = await client.receive()
                if msg.get(35) == b"AE":
                    reports.append(msg)
            assert all(m.get(1003) == b"T-FIX" for m in reports)
            ccp_id = reports[-1].get(1040) or b""
            assert ccp_id.startswith(b"CCP-")  # the CCP's trade id
            # Positions through the session: it knows the member by its LEI, the store by its member id.
            day = r.clock.now().strftime("%Y%m%d")
            await client.send(
                [
                    *[(35, "AN"), (710, "P1"), (724, "0"), (715, day), (60, f"{day}-12:00:00")],
                    *[(453, "1"), (448, LEI_A), (447, "N"), (452, "1")],
                ]
            )
            ack = await client.receive()
            while ack.get(35) != b"AO":  # statuses of other trades may come first
                ack = await client.receive()
            assert ack.get(728) == b"0"  # accepted, with positions
            report = await client.receive()
            assert report.get(35) == b"AP"
            assert (report.get(48) or b"").startswith(b"CCP-")  # the member's cleared trade
        finally:
            await client.logout()
            await client.close()
        assert r.gateway.ops is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", r.gateway.ops.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nAuthorization: Bearer gw-ops-token\r\n\r\n")
        await writer.drain()
        raw = await reader.read()
        writer.close()
        body = raw.partition(b"\r\n\r\n")[2]
        assert body, f"/healthz answered {raw!r}"  # once seen empty under load: say what came instead
        fix_health = json.loads(body)["components"]["fix"]
        assert fix_health["state"] == "up"
        assert f"{r.bank_a}FIX (logged out)" in fix_health["detail"]


async def test_an_order_checked_over_fix_is_released_by_its_registered_trade(
    mosquitto: tuple[str, int], store_url: str, tmp_path: Path
) -> None:
    """Pre-trade check (D) through the real service, the executed trade reported with the order's ClOrdID
    on the member's side (AE), then a cancel of the order (F): nothing is left to cancel."""
    from gateway.formats.fix.trade_write import trade_items
    from gateway.formats.fix.wire import Out

    async with running(mosquitto, store_url, fix_dir=tmp_path / "fix") as r:
        fix = r.gateway.config.fix
        client = FixClient("127.0.0.1", fix.port, sender=f"{r.bank_a}FIX", target=fix.comp_id)
        await client.connect()
        try:
            assert (await client.logon()).get(35) == b"A"
            trade = _own_account_only(aud_irs("T-ORD"))  # LEI_A (side 1) pays fixed
            body = [(int(t), v) for t, v in list(Out("AE", tuple(trade_items(trade))).pairs())[1:]]
            tags = [t for t, _ in body]
            streams = body[tags.index(40049) : tags.index(75)]
            now = r.clock.now().strftime("%Y%m%d-%H:%M:%S")

            async def answer(kind: bytes) -> simplefix.FixMessage:
                while True:  # statuses of the trade may come in between
                    msg = await client.receive()
                    if msg.get(35) == kind:
                        return msg

            await client.send(
                [
                    *[(35, "D"), (11, "O-E2E"), (1, "HOUSE"), (54, "1"), (60, now), (38, "10000000")],
                    *[
                        (40, "1"),
                        (167, "IRS"),
                        (762, "IRS"),
                        (453, "1"),
                        (448, LEI_A),
                        (447, "N"),
                        (452, "1"),
                    ],
                    *streams,
                ]
            )
            accepted = await answer(b"8")
            assert (accepted.get(150), accepted.get(39)) == (b"0", b"0"), accepted.get(58)

            report = [(35, "AE"), (571, "R-ORD"), (487, "0"), (856, "0"), (60, now)]
            with_order: list[tuple[int, str]] = []
            for tag, value in body:
                with_order.append((tag, value))
                if tag == 1 and not any(t == 11 for t, _ in with_order):
                    with_order.append((11, "O-E2E"))  # the member's side (the first) names its order
            await client.send(report + with_order)
            ack = await answer(b"AR")
            assert ack.get(1523) == b"0", ack.get(1328)

            await client.send(
                [(35, "F"), (41, "O-E2E"), (11, "C-E2E"), (1, "HOUSE"), (54, "1"), (60, now), (167, "IRS")]
            )
            refused = await answer(b"9")  # the trade took the order's place: nothing to cancel
            assert refused.get(41) == b"O-E2E"
        finally:
            await client.logout()
            await client.close()


def _own_account_only(trade: Trade) -> Trade:
    """``trade`` as Bank A reports it over FIX: a member names only its own account."""
    a, b = trade.parties
    return dataclasses.replace(trade, parties=(a, dataclasses.replace(b, account=None)))


def _with_uti(trade_id: str, uti: str) -> Trade:
    return dataclasses.replace(aud_irs(trade_id), identifiers=TradeIdentifiers(trade_id, 1, uti=uti))


async def test_one_uti_clears_once_across_sources_and_channels_and_a_repeat_is_answered_again(
    mosquitto: tuple[str, int], store_url: str, tmp_path: Path
) -> None:
    """The same UTI from the trade source over MQTT, from a member over FIX, and from the source again
    under a new trade id: one trade cleared, the other two refused naming it. The source's first message
    sent again is answered again on its topic with the trade's current status."""
    from gateway.formats.fix.trade_write import trade_items
    from gateway.formats.fix.wire import Out

    async with running(mosquitto, store_url, fix_dir=tmp_path / "fix") as r:
        out = r.topic(r.source)
        first = request_clearing(
            aud_irs("T-UTI"), source=r.source, message_id=f"{r.source}-U1", at=r.clock.now()
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", first, qos=1)
        await r.inbox.wait_for(lambda _: _final(r, r.source, "T-UTI", "clearingConfirmed"))
        uti = "UTI-T-UTI-1"
        async with r.gateway.engine.connect() as conn:
            sub_id = (
                await conn.execute(select(tables.submissions.c.id).where(tables.submissions.c.uti == uti))
            ).scalar_one()
            ccp_ids = sorted((await conn.execute(select(tables.cleared_trades.c.ccp_trade_id))).scalars())
        named = f"UTI {uti} is live as submission S{sub_id:010d} (Cleared, CCP trade ids {ccp_ids[0]} and {ccp_ids[1]})"

        # Bank A reports the same trade over FIX under its own trade id
        fix = r.gateway.config.fix
        client = FixClient("127.0.0.1", fix.port, sender=f"{r.bank_a}FIX", target=fix.comp_id)
        await client.connect()
        try:
            assert (await client.logon()).get(35) == b"A"
            trade = _own_account_only(_with_uti("A-UTI", uti))
            body = [(int(t), v) for t, v in list(Out("AE", tuple(trade_items(trade))).pairs())[1:]]
            now = r.clock.now().strftime("%Y%m%d-%H:%M:%S")
            await client.send([(35, "AE"), (571, "RA-1"), (487, "0"), (856, "0"), (60, now), *body])
            ack = await client.receive()
            while ack.get(35) != b"AR":  # statuses of the source's trade may come first
                ack = await client.receive()
            assert (ack.get(1523), ack.get(939)) == (b"1", b"1")
            assert ack.get(1328) == f"tradeHeader.uti: {named}".encode()
        finally:
            await client.logout()
            await client.close()

        # the source again, under a new trade id, the same UTI
        again = request_clearing(
            _with_uti("T-UTI-2", uti), source=r.source, message_id=f"{r.source}-U2", at=r.clock.now()
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", again, qos=1)
        msgs = await r.inbox.wait_for(lambda ms: any(m.kind == "messageRejected" for m in ms))
        rejected = next(m for m in msgs if m.kind == "messageRejected")
        assert rejected.topic == out
        assert rejected.reason_codes == ["DuplicateUTI"]
        assert named.encode() in etree.tostring(rejected.doc)

        # the first message again: its current status again, on the source's topic
        def confirmations() -> int:
            return sum(m.kind == "clearingConfirmed" and m.correlation == "T-UTI" for m in r.inbox.on(out))

        assert confirmations() == 1
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", first, qos=1)
        await r.inbox.wait_for(lambda _: confirmations() == 2)
        async with r.gateway.engine.connect() as conn:
            assert (
                await conn.execute(select(func.count()).select_from(tables.cleared_trades))
            ).scalar_one() == 2
            assert (
                await conn.execute(select(func.count()).select_from(tables.submissions))
            ).scalar_one() == 1


async def test_a_members_fix_report_is_alleged_on_the_counterpartys_member_topic(
    mosquitto: tuple[str, int], store_url: str, tmp_path: Path
) -> None:
    """Bank A reports its own trade over FIX: Bank B is told on its MQTT member topic that the trade
    awaits its acceptance, and nothing is cleared."""
    from gateway.formats.fix.trade_write import trade_items
    from gateway.formats.fix.wire import Out

    async with running(mosquitto, store_url, fix_dir=tmp_path / "fix") as r:
        fix = r.gateway.config.fix
        client = FixClient("127.0.0.1", fix.port, sender=f"{r.bank_a}FIX", target=fix.comp_id)
        await client.connect()
        try:
            assert (await client.logon()).get(35) == b"A"
            trade = _own_account_only(aud_irs("T-ALLEGE"))
            body = [(int(t), v) for t, v in list(Out("AE", tuple(trade_items(trade))).pairs())[1:]]
            now = r.clock.now().strftime("%Y%m%d-%H:%M:%S")
            await client.send([(35, "AE"), (571, "RA-1"), (487, "0"), (856, "0"), (60, now), *body])
            ack = await client.receive()
            while ack.get(35) != b"AR":
                ack = await client.receive()
            assert (ack.get(1523), ack.get(939)) == (b"0", b"4")
        finally:
            await client.logout()
            await client.close()
        to_b = r.topic(r.bank_b)
        await r.inbox.wait_for(
            lambda _: any(
                m.kind == "clearingStatus"
                and m.correlation == "T-ALLEGE"
                and m.doc.xpath("string(//f:clearingStatusValue)", namespaces={"f": FPML[1:-1]})
                == "AwaitingAcceptance"
                for m in r.inbox.on(to_b)
            )
        )
        await r.gateway.clearing.drain()
        async with r.gateway.engine.connect() as conn:
            assert (
                await conn.execute(select(func.count()).select_from(tables.cleared_trades))
            ).scalar_one() == 0
            stage = (await conn.execute(select(tables.submissions.c.stage))).scalar_one()
        assert stage == "ALLEGED"
