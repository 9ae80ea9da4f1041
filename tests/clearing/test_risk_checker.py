"""The production credit checker (gateway.risk) wired into the pipeline, on synthetic market data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.domain.enums import AccountType
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.risk.engine import RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from gateway.store import refdata_repo
from tests.clearing.conftest import World, aud_irs
from tests.strategies import LEI_A, LEI_B


@pytest.fixture(scope="session")
def risk_engine(tmp_path_factory: pytest.TempPathFactory) -> RiskEngine:
    directory: Path = tmp_path_factory.mktemp("market")
    write_market(directory, date(2026, 1, 6), days=1300)
    return RiskEngine(load_market(directory))


@pytest.fixture
async def risk_world(make_world: Callable[..., World], risk_engine: RiskEngine) -> World:
    w = make_world()
    w.margin = RiskCreditChecker(risk_engine, w.service.fx)  # type: ignore[assignment]
    w.service.credit = w.margin  # type: ignore[assignment]
    await w.onboard()
    return w


async def test_account_pnl_vector_and_margin_are_stored_on_novation(
    risk_world: World, risk_engine: RiskEngine
) -> None:
    trade = aud_irs("T1", notional=Decimal(50_000_000), years=10)
    receipt = await risk_world.service.submit(risk_world.submission(trade))
    await risk_world.service.drain()
    assert [u.status for u in await risk_world.service.history(receipt.submission_id)][-1] is S.CLEARED

    expected_a = risk_engine.trade_pnl(trade, LEI_A, AccountType.HOUSE)
    async with risk_world.engine.connect() as conn:
        a = await refdata_repo.get_risk(conn, "BANKA", "HOUSE")
        b = await refdata_repo.get_risk(conn, "BANKB", "HOUSE")
    assert a.pnl_vector is not None
    assert b.pnl_vector is not None
    stored_a = np.frombuffer(a.pnl_vector, dtype="<f8")
    np.testing.assert_allclose(stored_a, expected_a)
    np.testing.assert_allclose(np.frombuffer(b.pnl_vector, dtype="<f8"), -expected_a)  # the other side
    assert a.margin == Decimal(repr(risk_engine.margin(stored_a).im)).quantize(Decimal("0.01"))
    assert a.margin > 0
    assert a.trade_count == 1


async def test_offsetting_trade_reduces_margin_and_is_approved_without_collateral(risk_world: World) -> None:
    await risk_world.service.submit(
        risk_world.submission(aud_irs("T1", notional=Decimal(50_000_000), years=10))
    )
    await risk_world.service.drain()
    before = (await risk_world.refdata.show("BANKA", "HOUSE"))[0].margin
    offset = aud_irs("T2", notional=Decimal(50_000_000), years=10, fixed_payer=LEI_B)
    decision = await risk_world.service.credit_check("BANKA", "HOUSE", offset, "O-1")
    assert decision.approved
    assert decision.incremental_margin < 0
    receipt = await risk_world.service.submit(risk_world.submission(offset))
    await risk_world.service.drain()
    assert (await risk_world.service.history(receipt.submission_id))[-1].status is S.CLEARED
    after = (await risk_world.refdata.show("BANKA", "HOUSE"))[0].margin
    assert after < before


async def test_trade_without_a_curve_is_refused_as_unpriceable(risk_world: World) -> None:
    nzd = aud_irs("T1", index="NZD-BBR-FRA")
    nzd = replace(nzd, streams=tuple(replace(s, currency="NZD") for s in nzd.streams))  # no NZD curves
    decision = await risk_world.service.credit_check("BANKA", "HOUSE", nzd, "O-1")
    assert not decision.approved
    assert decision.reasons[0].code is R.MD_MISSING_CURVE


async def test_end_of_day_values_each_cleared_trade_and_rebuilds_account_margin(
    risk_world: World, risk_engine: RiskEngine
) -> None:
    from sqlalchemy import text

    t1 = aud_irs("T1", notional=Decimal(50_000_000), years=10)
    t2 = aud_irs("T2", notional=Decimal(20_000_000), years=5, fixed_payer=LEI_B)
    r1 = await risk_world.service.submit(risk_world.submission(t1))
    await risk_world.service.submit(risk_world.submission(t2))
    await risk_world.service.drain()
    a_t1_id = (await risk_world.service.history(r1.submission_id))[-1].ccp_trade_ids[0]
    margin_after_novation = (await risk_world.refdata.show("BANKA", "HOUSE"))[0].margin

    report = await risk_world.service.end_of_day(date(2026, 1, 7))
    assert report.revaluation is not None
    assert (report.revaluation.accounts, report.revaluation.trades_valued) == (2, 4)
    assert report.revaluation.failures == ()
    async with risk_world.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT trade_id, member, npv FROM ccp_positions ORDER BY trade_id"))
        ).fetchall()
    npv = {r.trade_id: Decimal(str(r.npv)) for r in rows}
    assert len(npv) == 4
    assert all(v is not None for v in npv.values())
    by_member: dict[str, Decimal] = {}
    for r in rows:
        by_member[r.member] = by_member.get(r.member, Decimal(0)) + Decimal(str(r.npv))
    assert by_member["BANKA"] == -by_member["BANKB"]  # what one member gains the other loses
    expected = risk_engine.price(t1, LEI_A).npv
    assert abs(float(npv[a_t1_id]) - expected) < 0.01
    # the account's margin is rebuilt from both trades on the day's market: same market, same figure
    assert (await risk_world.refdata.show("BANKA", "HOUSE"))[0].margin == margin_after_novation
