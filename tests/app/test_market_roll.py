"""The running service picks up a new business day's market data from the drop, without a restart: the next
credit check prices on the new curves, and a refused drop leaves the day in force (real Mosquitto, SQLite
and PostgreSQL, the production risk engine)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import aiomqtt
import numpy as np
import pytest

from gateway.admin.fixings import FixingsStore
from gateway.admin.reference import ReferenceData, cash
from gateway.admin.source_admin import TradeSources
from gateway.app import StartupError, open_gateway
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clock import FixedClock
from gateway.config import (
    BrokerMode,
    FixConfig,
    GatewayConfig,
    MqttConfig,
    OpsConfig,
    RiskConfig,
    StoreConfig,
)
from gateway.domain.enums import AccountType
from gateway.refdata.fx import FxRates
from gateway.refdata.sources import TradeSource
from gateway.risk.engine import RiskEngine
from gateway.risk.margin import initial_margin
from gateway.risk.market.drop import DropLimits, base_day, read_drop
from gateway.risk.market.synth import write_market
from gateway.store import refdata_repo
from tests.app.harness import subscribed
from tests.app.test_gateway import Running, _final
from tests.clearing.conftest import OPEN_NOW, aud_irs, member
from tests.risk.drops import edit, write_drop
from tests.strategies import LEI_A, LEI_B

pytestmark = pytest.mark.mosquitto

BASE = date(2026, 1, 6)  # the market data the service starts with: the business day before OPEN_NOW's
TODAY = date(2026, 1, 7)  # OPEN_NOW's business date
CENT = Decimal("0.01")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("market")
    write_market(out, BASE, seed=5, days=1300)
    return out


@contextlib.asynccontextmanager
async def serving(mosquitto: tuple[str, int], url: str, market: Path, drop: Path) -> AsyncIterator[Running]:
    tag = uuid.uuid4().hex[:8]
    host, port = mosquitto
    bank_a, bank_b, source = f"A{tag}", f"B{tag}", f"S{tag}"
    config = GatewayConfig(
        mqtt=MqttConfig(
            mode=BrokerMode.EXTERNAL,
            host=host,
            port=port,
            client_id=f"gw-{tag}",
            topic_root=f"test-{tag}/ccp",
        ),
        store=StoreConfig(url=url),
        fix=FixConfig(enabled=False),
        ops=OpsConfig(port=0),
        risk=RiskConfig(market_data_dir=market, market_drop_dir=drop, market_poll_ms=50),
    )
    clock = FixedClock(OPEN_NOW)
    async with open_gateway(config, clock=clock) as gw:
        refdata = ReferenceData(gw.engine, clock=clock, on_lodged=gw.clearing.wake)
        await TradeSources(gw.engine, clock=clock).add(TradeSource(source, mqtt_user=source))
        await refdata.add_participant(member(bank_a, LEI_A))
        await refdata.add_participant(member(bank_b, LEI_B))
        for bank in (bank_a, bank_b):
            await refdata.lodge(bank, "HOUSE", cash("AUD", Decimal(100_000_000)))
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


async def _cleared(r: Running, trade_id: str) -> None:
    await r.send(trade_id)
    await r.inbox.wait_for(lambda _: _final(r, r.source, trade_id, "clearingConfirmed"))


async def _house(r: Running) -> tuple[Decimal, np.ndarray]:
    async with r.gateway.engine.connect() as conn:
        risk = await refdata_repo.get_risk(conn, r.bank_a, "HOUSE")
    assert risk.pnl_vector is not None
    return risk.margin, np.frombuffer(risk.pnl_vector, dtype="<f8")


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(CENT)


async def _until(predicate: object, within: float = 10) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_new_day_dropped_is_priced_on_by_the_next_check_without_restart(
    mosquitto: tuple[str, int],
    store_url: str,
    market_dir: Path,
    tmp_path: Path,
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    fx = FxRates.load()
    base = base_day(market_dir, fx)
    async with serving(mosquitto, store_url, market_dir, drop) as r:
        checker = r.gateway.clearing.credit
        assert isinstance(checker, RiskCreditChecker)
        assert checker.market_day(TODAY).business_date == BASE  # no drop yet: the latest day before today
        await _cleared(r, "T-DAY1")
        trade = aud_irs("T-DAY1")
        margin_1, pnl_1 = await _house(r)
        old_engine = RiskEngine(base.market)
        expected_1 = old_engine.trade_pnl(trade, LEI_A, AccountType.HOUSE)
        np.testing.assert_allclose(pnl_1, expected_1)
        assert margin_1 == _money(initial_margin(expected_1, old_engine.config.margin))

        # today's drop lands while the service runs: rates 150 bp higher, and a fixing
        fixings = "index,date,rate\nAUD-BBR-BBSW 3M,2026-01-07,0.0398\n"
        write_drop(drop, TODAY, base.market, fx, shift_bp=150, fixings=fixings, name=".incoming")
        (drop / ".incoming").rename(drop / TODAY.isoformat())
        await _until(lambda: checker.timeline.latest.business_date == TODAY)
        new_day = read_drop(drop / TODAY.isoformat(), base, DropLimits())
        stored = await FixingsStore(r.gateway.engine).between("AUD-BBR-BBSW 3M")
        assert [(s.fixing.fixing_date, s.fixing.rate) for s in stored] == [(TODAY, Decimal("0.0398"))]

        await _cleared(r, "T-DAY2")  # the same terms again, checked on today's market
        margin_2, pnl_2 = await _house(r)
        new_engine = RiskEngine(new_day.market)
        expected_2 = new_engine.trade_pnl(aud_irs("T-DAY2"), LEI_A, AccountType.HOUSE)
        np.testing.assert_allclose(pnl_2, expected_1 + expected_2)
        assert margin_2 == _money(initial_margin(expected_1 + expected_2, new_engine.config.margin))
        on_old_curves = _money(initial_margin(2 * expected_1, old_engine.config.margin))
        assert abs(margin_2 - on_old_curves) > Decimal(1_000), (margin_2, on_old_curves)
        health = r.gateway.health.to_dict()["components"]["market"]
        assert health["state"] == "up"
        assert "business date 2026-01-07" in health["detail"]


async def test_a_refused_drop_leaves_the_day_in_force_and_is_logged(
    mosquitto: tuple[str, int],
    store_url: str,
    market_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    fx = FxRates.load()
    base = base_day(market_dir, fx)
    caplog.set_level(logging.WARNING, logger="gateway.admin.market_watch")
    async with serving(mosquitto, store_url, market_dir, drop) as r:
        checker = r.gateway.clearing.credit
        assert isinstance(checker, RiskCreditChecker)
        write_drop(drop, TODAY, base.market, fx, shift_bp=10, name=".incoming")
        edit(drop / ".incoming", "fx.toml", {"AUD = 0.65": "AUD = 0.95"})
        (drop / ".incoming").rename(drop / TODAY.isoformat())
        await _until(lambda: any(getattr(x, "code", "") == "MKT_ABSURD_MOVE" for x in caplog.records))
        refusal = next(x for x in caplog.records if getattr(x, "code", "") == "MKT_ABSURD_MOVE")
        assert refusal.where == "fx.toml:rates.AUD"  # type: ignore[attr-defined]
        assert refusal.business_date == "2026-01-07"  # type: ignore[attr-defined]
        assert checker.timeline.latest.business_date == BASE
        assert r.gateway.clearing.fx.per_unit["AUD"] == Decimal("0.65")
        await _cleared(r, "T-HELD")  # still clearing, on the day in force
        detail = r.gateway.health.to_dict()["components"]["market"]["detail"]
        assert "refused drop 2026-01-07" in detail
        # corrected in place: read again because its files changed, and taken
        edit(drop / TODAY.isoformat(), "fx.toml", {"AUD = 0.95": "AUD = 0.66"})
        await _until(lambda: checker.timeline.latest.business_date == TODAY)
        assert checker.market_day(TODAY).fx.per_unit["AUD"] == Decimal("0.66")
        assert r.gateway.clearing.fx.per_unit["AUD"] == Decimal("0.66")  # collateral valued at the day's FX


async def test_a_drop_directory_that_is_not_there_stops_the_start(
    mosquitto: tuple[str, int], store_url: str, market_dir: Path, tmp_path: Path
) -> None:
    host, port = mosquitto
    config = GatewayConfig(
        mqtt=MqttConfig(
            mode=BrokerMode.EXTERNAL, host=host, port=port, client_id=f"gw-{uuid.uuid4().hex[:8]}"
        ),
        store=StoreConfig(url=store_url),
        fix=FixConfig(enabled=False),
        ops=OpsConfig(port=0),
        risk=RiskConfig(market_data_dir=market_dir, market_drop_dir=tmp_path / "absent"),
    )
    with pytest.raises(StartupError) as err:
        async with open_gateway(config, clock=FixedClock(OPEN_NOW)):
            pass
    assert err.value.where == "[risk] market_drop_dir"
    assert "absent" in err.value.message
