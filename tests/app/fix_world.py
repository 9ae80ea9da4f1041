"""The FIX acceptor as the gateway builds it, in front of the real clearing service, and members' sessions.

``fix_ccp`` onboards members in the reference data, then opens the gateway (``open_gateway``: the store,
the ``ClearingService``, the acceptor configured by ``acceptor_config`` from the reference data) and runs
its FIX publisher. The clearing pass is not running: a test calls ``FixCcp.clear()`` when the pass is to
decide what is due, so a trade can be looked at (or cancelled) between its receipt and its novation.
A member's session is the independent simplefix client of tests/channels/fix/client.py over real TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from gateway.admin.reference import ReferenceData, cash
from gateway.admin.source_admin import TradeSources
from gateway.app import Gateway, open_gateway
from gateway.clearing.ports import DeliveryChannel
from gateway.clock import FixedClock
from gateway.config import (
    BrokerMode,
    ClearingConfig,
    FixConfig,
    GatewayConfig,
    MqttConfig,
    OpsConfig,
    StoreConfig,
    TlsConfig,
)
from gateway.refdata.model import Member
from gateway.refdata.sources import TradeSource
from gateway.store import tables as t
from tests.channels.fix.client import WAIT_S, FixClient, pairs_of
from tests.channels.fix.conftest import free_port
from tests.clearing.conftest import OPEN_NOW
from tests.clearing.doubles import LinearMargin

Pairs = list[tuple[int, str]]


@dataclass(frozen=True, slots=True)
class Msg:
    """One message a member received: its fields in order, and the last value of each tag."""

    pairs: tuple[tuple[int, str], ...]

    @property
    def type(self) -> str:
        return self[35]

    def __getitem__(self, tag: int) -> str:
        return dict(self.pairs)[tag]

    def get(self, tag: int) -> str | None:
        return dict(self.pairs).get(tag)

    def all(self, tag: int) -> list[str]:
        return [v for t_, v in self.pairs if t_ == tag]

    def pick(self, *tags: int) -> tuple[str | None, ...]:
        values = dict(self.pairs)
        return tuple(values.get(tag) for tag in tags)


@dataclass
class Session:
    """A member's FIX session. Replies and unsolicited statuses arrive interleaved on one connection:
    ``reply`` returns the next message of the type asked for and keeps the others for ``statuses``."""

    comp_id: str
    client: FixClient
    kept: list[Msg] = field(default_factory=list)
    _probe: int = 0

    async def send(self, pairs: Pairs) -> None:
        await self.client.send(pairs)

    async def _next(self) -> Msg:
        return Msg(tuple(pairs_of(await self.client.receive())))

    async def reply(self, msg_type: str) -> Msg:
        while True:
            msg = await self._next()
            if msg.type == msg_type:
                return msg
            self.kept.append(msg)

    async def ask(self, pairs: Pairs, reply_type: str) -> Msg:
        await self.send(pairs)
        return await self.reply(reply_type)

    async def everything_sent(self) -> list[Msg]:
        """Every message the CCP has sent so far that no ``reply`` took (in order), then forgets them.

        A TestRequest is the barrier: the CCP answers it after everything it sent before it on this
        session, so the messages before the Heartbeat are all there is."""
        self._probe += 1
        probe = f"BARRIER-{self._probe}"
        await self.send([(35, "1"), (112, probe)])
        while True:
            msg = await self._next()
            if msg.type == "0" and msg.get(112) == probe:
                break
            self.kept.append(msg)
        out, self.kept = self.kept, []
        return [m for m in out if m.type != "0"]  # heartbeats are the session's, not the member's


@dataclass
class FixCcp:
    gateway: Gateway
    refdata: ReferenceData
    clock: FixedClock
    sessions: list[Session] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self.gateway.fix is not None
        return self.gateway.fix.config.port

    async def session(self, comp_id: str, *, tls: ssl.SSLContext | None = None) -> Session:
        """Log ``comp_id`` on (over ``tls`` when given), and return once the gateway counts it logged on
        (its statuses flow)."""
        client = FixClient(
            "127.0.0.1", self.port, sender=comp_id, target=self.gateway.config.fix.comp_id, tls=tls
        )
        await client.connect()
        logon = Msg(tuple(pairs_of(await client.logon())))
        assert logon.type == "A", logon
        s = Session(comp_id, client)
        self.sessions.append(s)
        fix = self.gateway.fix
        assert fix is not None
        async with asyncio.timeout(WAIT_S):  # quickfix's onLogon reaches the event loop a moment later
            while comp_id not in fix.logged_on:
                s.kept += await s.everything_sent()
        self.gateway.fix_publisher.wakeup.set()  # type: ignore[union-attr]
        return s

    async def clear(self) -> int:
        """One clearing pass over what is due (what the service's pipeline task does on each wake-up)."""
        return await self.gateway.clearing.drain()

    async def delivered(self) -> None:
        """Wait until the FIX publisher has sent every status owed to a logged-on member."""
        fix = self.gateway.fix
        assert fix is not None
        async with asyncio.timeout(WAIT_S):
            while True:
                out = {m.comp_id for m in fix.config.sessions} - set(fix.logged_on)
                if not await self.gateway.clearing.pending(DeliveryChannel.FIX, 1, exclude=out):
                    return
                self.gateway.fix_publisher.wakeup.set()  # type: ignore[union-attr]
                await asyncio.sleep(0.01)

    async def statuses(self, session: Session) -> list[Msg]:
        """The unsolicited status reports (AE) the member has been sent so far (in order)."""
        await self.delivered()
        got = await session.everything_sent()
        others = [m for m in got if m.type != "AE"]
        assert not others, [m.pairs for m in others]
        return got

    async def count(self, table: t.Table, *where: ColumnElement[bool]) -> int:
        async with self.gateway.engine.connect() as conn:
            query = select(func.count()).select_from(table)
            for w in where:
                query = query.where(w)
            return int((await conn.execute(query)).scalar_one())

    async def stages(self, source: str, trade_id: str) -> list[tuple[int, str]]:
        """(version, stage) of every stored submission of a trade, oldest first."""
        s = t.submissions.c
        async with self.gateway.engine.connect() as conn:
            rows = await conn.execute(
                select(s.source_version, s.stage)
                .where(s.source == source, s.source_trade_id == trade_id)
                .order_by(s.id)
            )
            return [(int(v), str(stage)) for v, stage in rows]


@contextlib.asynccontextmanager
async def fix_ccp(
    engine: AsyncEngine,
    db_url: str,
    fix_dir: Path,
    members: Sequence[Member],
    *,
    collateral: dict[str, Decimal],
    suspended: Sequence[str] = (),
    settings_file: Path | None = None,
    tls: TlsConfig | None = None,
    sources: Sequence[TradeSource] = (),
) -> AsyncIterator[FixCcp]:
    """The gateway's FIX side over ``db_url`` (migrated, empty; ``engine`` is on it) with ``members``
    onboarded before it starts (FIX sessions are those known at start), ``suspended`` suspended, and
    ``collateral`` lodged in each member's HOUSE account; ``settings_file`` replaces the shipped clearing
    settings (gateway/rules/settings.toml); ``tls`` makes the FIX port mutual TLS (``[fix.tls]``)."""
    refdata = ReferenceData(engine)
    for m in members:
        await refdata.add_participant(m)
    for member_id in suspended:
        await refdata.suspend(member_id)
    for source in sources:  # approved trade sources (a FIX CompID makes a source session)
        await TradeSources(engine).add(source)
    config = GatewayConfig(
        mqtt=MqttConfig(mode=BrokerMode.EXTERNAL),  # not connected: only ``run`` starts the MQTT tasks
        store=StoreConfig(url=db_url),
        fix=FixConfig(enabled=True, port=free_port(), comp_id="CCP", data_dir=fix_dir, tls=tls),
        ops=OpsConfig(port=0),
        clearing=ClearingConfig(settings_file=settings_file),
    )
    clock = FixedClock(OPEN_NOW)
    async with open_gateway(config, clock=clock, credit=LinearMargin()) as gw:
        assert gw.fix_publisher is not None
        gw.clearing.watch_outbox(gw.fix_publisher.wakeup)
        refdata = ReferenceData(gw.engine, clock=clock, on_lodged=gw.clearing.wake)
        for member_id, amount in collateral.items():
            if amount:
                await refdata.lodge(member_id, "HOUSE", cash("AUD", amount))
        assert gw.fix is not None
        publisher = asyncio.create_task(gw.fix_publisher.run(), name="fix-publisher")
        ccp = FixCcp(gw, refdata, clock)
        try:
            yield ccp
        finally:
            for s in ccp.sessions:
                with contextlib.suppress(Exception):
                    await s.client.logout()
                await s.client.close()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
