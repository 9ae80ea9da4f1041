"""Initial margin add-ons in the clearing path: the credit check at registration and the end-of-day IM.

The margin model is the linear stand-in (``tests/clearing/doubles.py``): a 10m 5-year AUD swap has a PV01 of
10,000,000 x 5 x 1bp = 5,000 and a worst shock of 50bp, so its base IM is 250,000.00 on either side. The
add-ons are worked out here by hand from the settings the test sets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.figures import credit_position, pool_in
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.enums import ClearingStatusCode as S
from gateway.refdata.figures import MemberFigures
from gateway.refdata.fx import FxRates
from gateway.rules.settings import ClearingSettings, ShortfallAction
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import LEI_A, LEI_B, OPEN_NOW, TODAY, World, aud_irs, member
from tests.clearing.doubles import SeriesMargin

D = Decimal
BASE_IM = D("250000.00")
WORST_SCORE_ADDON = D("0.40")
ZERO = D(0)


def settings(
    *, refuse: bool = False, threshold: Decimal | None = None, rate: Decimal = ZERO
) -> ClearingSettings:
    s = ClearingSettings.load()
    credit = replace(
        s.credit,
        addon_by_score=(D(0),) * 8 + (WORST_SCORE_ADDON, WORST_SCORE_ADDON),
        concentration_threshold=threshold,
        concentration_currency="USD",
        concentration_rate=rate,
        on_shortfall=ShortfallAction.REFUSE if refuse else ShortfallAction.PEND,
    )
    return replace(s, credit=credit)


async def onboard(w: World, score_a: int, collateral_a: Decimal) -> None:
    await w.refdata.add_participant(replace(member("BANKA", LEI_A), credit_score=score_a))
    await w.refdata.add_participant(replace(member("BANKB", LEI_B), credit_score=3))
    await w.refdata.lodge("BANKA", "HOUSE", cash("AUD", collateral_a))
    await w.refdata.lodge("BANKB", "HOUSE", cash("AUD", D(100_000_000)))


async def margins(engine: AsyncEngine) -> dict[str, Decimal]:
    r = t.account_risk.c
    async with engine.connect() as conn:
        found = await conn.execute(select(r.member_id, r.margin).where(r.account_id == "HOUSE"))
        return {m: D(x) for m, x in found}


async def clear(w: World, trade_id: str = "T1") -> S:
    receipt = await w.service.submit(w.submission(aud_irs(trade_id)))
    await w.service.drain()
    return (await w.service.history(receipt.submission_id))[-1].status


async def test_a_member_with_a_low_credit_score_pays_the_credit_addon(engine: AsyncEngine) -> None:
    w = World(engine, settings())
    await onboard(w, score_a=9, collateral_a=D(100_000_000))
    assert await clear(w) is S.CLEARED
    assert await margins(engine) == {
        "BANKA": BASE_IM * (1 + WORST_SCORE_ADDON),  # 350,000.00
        "BANKB": BASE_IM,  # score 3: no add-on
    }


async def test_a_trade_refused_for_the_addon_clears_without_it(engine: AsyncEngine) -> None:
    headroom = D(300_000)  # covers the base IM of 250,000, not the 350,000 with the add-on
    w = World(engine, settings(refuse=True))
    await onboard(w, score_a=10, collateral_a=headroom)
    receipt = await w.service.submit(w.submission(aud_irs("T1")))
    await w.service.drain()
    last = (await w.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    [issue] = last.reasons
    assert issue.code.value == "RISK_INSUFFICIENT_COLLATERAL"
    assert "350000.00" in issue.message
    assert "short by 50000.00" in issue.message


async def test_the_same_trade_clears_for_a_member_with_a_good_score(engine: AsyncEngine) -> None:
    w = World(engine, settings(refuse=True))
    await onboard(w, score_a=2, collateral_a=D(300_000))
    assert await clear(w) is S.CLEARED
    assert (await margins(engine))["BANKA"] == BASE_IM


async def test_the_concentration_addon_charges_the_base_im_above_the_threshold(engine: AsyncEngine) -> None:
    fx = FxRates.load()
    threshold_usd = D(100_000)
    threshold_aud = fx.convert(threshold_usd, "USD", "AUD")
    w = World(engine, settings(threshold=threshold_usd, rate=D("0.5")))
    await onboard(w, score_a=1, collateral_a=D(100_000_000))
    assert await clear(w) is S.CLEARED
    expected = (BASE_IM + D("0.5") * (BASE_IM - threshold_aud)).quantize(D("0.01"))
    assert expected > BASE_IM
    assert await margins(engine) == {"BANKA": expected, "BANKB": expected}


async def test_end_of_day_recomputes_the_account_im_with_the_addons(engine: AsyncEngine) -> None:
    clock = FixedClock(OPEN_NOW)
    valuer = SeriesMargin({TODAY: D("1000.00")})
    service = ClearingService(
        engine, valuer, clock=clock, settings=settings(), store=SqlClearingStore(engine)
    )
    w = World(engine, settings())
    w.service, w.clock = service, clock
    w.refdata = ReferenceData(engine, clock=clock, on_lodged=service.wake)
    await onboard(w, score_a=9, collateral_a=D(100_000_000))
    assert await clear(w) is S.CLEARED
    async with engine.begin() as conn:  # forget the registration's figure: end of day must rebuild it
        await conn.execute(t.account_risk.update().values(margin=D(0)))
    clock.advance(timedelta(hours=10, minutes=30))
    report = await service.end_of_day(TODAY)
    assert dict(report.steps)["revalue"] == "done"
    assert await margins(engine) == {"BANKA": BASE_IM * (1 + WORST_SCORE_ADDON), "BANKB": BASE_IM}


def test_the_tolerance_pool_is_converted_to_the_members_currency_before_it_is_added() -> None:
    fx = FxRates.load()
    pool = {"AUD": D(40_000_000), "USD": D(20_000_000)}
    in_aud = D(40_000_000) + fx.convert(D(20_000_000), "USD", "AUD")
    assert pool_in(fx, pool, "AUD") == in_aud
    assert in_aud != D(60_000_000)
    m = replace(member("BANKA", LEI_A), tolerance_limit=D(100_000_000))
    position = credit_position(fx, D("0.5"), m, "HOUSE", MemberFigures({}, {}, {}), {}, pool)
    assert position.tolerance_limit == in_aud * D("0.5")  # the cap binds: half the pool, in AUD
