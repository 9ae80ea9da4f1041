"""The credit check prices on the market data of its business date: ``margin_impact``'s ``as_of`` picks
the day (or the latest before it), a batch keeps the days it started with, and no day is an error."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.domain.enums import AccountType
from gateway.domain.errors import GatewayError, MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.refdata.fx import FxRates
from gateway.risk.engine import RiskEngine
from gateway.risk.margin import initial_margin
from gateway.risk.market.drop import DropLimits, MarketDay, read_drop
from gateway.risk.market.fixings import Fixing, FixingTable
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from tests.clearing.conftest import aud_irs
from tests.risk import builders as b
from tests.risk.drops import write_drop
from tests.strategies import LEI_A

FRIDAY, MONDAY = date(2026, 1, 2), date(2026, 1, 5)
FX = FxRates("USD", {"AUD": Decimal("0.65"), "EUR": Decimal("1.08")})


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> tuple[MarketDay, MarketDay]:
    base = tmp_path_factory.mktemp("market")
    write_market(base, FRIDAY, seed=3, days=1300)
    market = load_market(base)
    friday = MarketDay(FRIDAY, market, FX, (), str(base))
    folder = write_drop(tmp_path_factory.mktemp("drop"), MONDAY, market, FX, shift_bp=120, fx_scale=1.1)
    return friday, read_drop(folder, friday, DropLimits())


def _im(checker: RiskCreditChecker, as_of: date, base_ccy: str = "AUD") -> Decimal:
    return checker.margin_impact(aud_irs("T1", years=10), LEI_A, base_ccy, None, as_of).margin_after


def test_as_of_picks_the_day_or_the_latest_before_it(days: tuple[MarketDay, MarketDay]) -> None:
    friday, monday = days
    checker = RiskCreditChecker(RiskEngine(friday.market), friday.fx)
    on_friday = _im(checker, FRIDAY)
    assert _im(checker, MONDAY) == on_friday  # Monday's data not there yet: Friday's hold
    checker.install(monday)
    on_monday = _im(checker, MONDAY)
    expected = RiskEngine(monday.market).trade_pnl(aud_irs("T1", years=10), LEI_A, AccountType.HOUSE)
    assert on_monday == Decimal(repr(initial_margin(expected, checker.engine.config.margin))).quantize(
        Decimal("0.01")
    )
    assert on_monday != on_friday
    assert _im(checker, date(2026, 1, 4)) == on_friday  # the Sunday before: Friday's
    assert _im(checker, date(2026, 1, 9)) == on_monday
    # FX of the day: a USD account converts Monday's AUD P&L at Monday's rate (10% up)
    usd_friday = _im(checker, FRIDAY, "USD")
    usd_monday = _im(checker, MONDAY, "USD")
    assert float(usd_monday) == pytest.approx(float(on_monday) * 0.65 * 1.1, rel=1e-9, abs=0.02)
    assert float(usd_friday) == pytest.approx(float(on_friday) * 0.65, rel=1e-9, abs=0.02)


def test_no_market_on_or_before_the_date_is_an_error(days: tuple[MarketDay, MarketDay]) -> None:
    friday, _ = days
    checker = RiskCreditChecker(RiskEngine(friday.market), friday.fx)
    with pytest.raises(MarketDataError) as err:
        _im(checker, date(2026, 1, 1))
    assert err.value.code is ReasonCode.MKT_NO_MARKET
    assert "2026-01-01" in err.value.issues[0].message


def test_a_batch_keeps_the_days_it_started_with(days: tuple[MarketDay, MarketDay]) -> None:
    friday, monday = days
    checker = RiskCreditChecker(RiskEngine(friday.market), friday.fx)
    trade = aud_irs("T1", years=10)
    checker.prepare([(trade, AccountType.HOUSE)])
    before = checker.margin_impact(trade, LEI_A, "AUD", None, MONDAY)
    checker.install(monday)  # lands mid-batch
    during = checker.margin_impact(trade, LEI_A, "AUD", None, MONDAY)
    assert during.margin_after == before.margin_after
    assert checker.market_day(MONDAY) is monday  # in force for what starts next
    checker.prepare([(trade, AccountType.HOUSE)])
    after = checker.margin_impact(trade, LEI_A, "AUD", None, MONDAY)
    assert after.margin_after != before.margin_after
    np.testing.assert_allclose(
        np.frombuffer(after.pnl_after, dtype="<f8"),
        RiskEngine(monday.market).trade_pnl(trade, LEI_A, AccountType.HOUSE),
    )


def test_a_fixed_coupon_without_its_stored_fixing_is_refused_by_name(
    days: tuple[MarketDay, MarketDay],
) -> None:
    friday, _ = days
    checker = RiskCreditChecker(RiskEngine(friday.market), friday.fx)
    seasoned = b.irs("AUD", start=FRIDAY - timedelta(days=45), years=3, float_tenor="3M", fixed_freq="3M")
    on_curve = checker.margin_impact(seasoned, b.A, "AUD", None, FRIDAY)  # no store: the curve's estimate
    checker.use_fixings(FixingTable.of([]))
    with pytest.raises(GatewayError) as err:
        checker.margin_impact(seasoned, b.A, "AUD", None, FRIDAY)
    assert err.value.code is ReasonCode.MKT_MISSING_FIXING
    assert "AUD-BBR-BBSW 3M" in err.value.issues[0].message
    fixing_day = RiskEngine(friday.market).resolve(seasoned).legs[1].fixing[0]
    assert date.fromordinal(int(fixing_day)).isoformat() in err.value.issues[0].message
    stored = FixingTable.of([Fixing("AUD-BBR-BBSW 3M", date.fromordinal(int(fixing_day)), Decimal("0.09"))])
    fresh = RiskCreditChecker(RiskEngine(friday.market), friday.fx)
    fresh.use_fixings(stored)
    with_fixing = fresh.margin_impact(seasoned, b.A, "AUD", None, FRIDAY)
    assert with_fixing.pnl_after != on_curve.pnl_after  # the 9% coupon, not the curve's estimate
