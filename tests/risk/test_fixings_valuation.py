"""Floating coupons set by published fixings: a term coupon fixed on or before the valuation date pays its
stored fixing, an overnight coupon accrues the stored fixings of its period and projects the rest, and a
missing fixing is an error naming the index and the date. Checked against hand compounding and against
QuantLib given the same fixings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
import QuantLib as ql

from gateway.domain.enums import DayCount, ProductClass
from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.risk import MarketData, RiskEngine
from gateway.risk.market.fixings import Fixing, FixingTable
from tests.risk import builders as b
from tests.risk.qlref import QlMarket, qd

AONIA = "AUD-AONIA-OIS-COMPOUND"
SYDNEY = ql.Australia(ql.Australia.Settlement)


def _good_days(start: date, stop: date) -> list[date]:
    """Sydney business days in ``[start, stop)``, by QuantLib's calendar."""
    out, d = [], start
    while d < stop:
        if SYDNEY.isBusinessDay(qd(d)):
            out.append(d)
        d += timedelta(days=1)
    return out


def _ois(start: date, years: int = 1, freq: str = "3M", lag: int = 0, notional: int = 50_000_000) -> Trade:
    end = start.replace(year=start.year + years)
    n = Decimal(notional)
    dc = DayCount.ACT_365_FIXED
    fixed = b.leg(payer=b.A, receiver=b.B, ccy="AUD", start=start, end=end, freq=freq, day_count=dc, notional=n,
                  fixed_rate=Decimal("0.041"), payment_lag=lag)  # fmt: skip
    flt = b.leg(payer=b.B, receiver=b.A, ccy="AUD", start=start, end=end, freq=freq, day_count=dc, notional=n,
                index=AONIA, payment_lag=lag)  # fmt: skip
    return b.trade((fixed, flt), ProductClass.OIS, "OIS-SEASONED")


def _published(days: list[date], base: float = 0.0405, step: float = 0.00003) -> list[Fixing]:
    """Made-up overnight fixings drifting up a little each day (not the curve's rates)."""
    return [Fixing(AONIA, d, Decimal(repr(round(base + step * i, 6)))) for i, d in enumerate(days)]


def test_a_finished_overnight_period_pays_its_hand_compounded_fixings(market: MarketData) -> None:
    # 3M periods ending on Wed 18 Nov, paid 5 business days later: on Fri 20 Nov the first coupon is
    # fully fixed and not yet paid; the second runs since 18 Nov.
    trade = _ois(date(2026, 8, 18), lag=5)
    first = _published(_good_days(date(2026, 8, 18), date(2026, 11, 18)))
    running = _published(_good_days(date(2026, 11, 18), market.as_of), base=0.0399)
    bumped = [Fixing(f.index, f.fixing_date, f.rate + Decimal("0.01")) for f in first]
    npv = RiskEngine(market, fixings=FixingTable.of(first + running)).price(trade, b.A).npv
    npv_bumped = RiskEngine(market, fixings=FixingTable.of(bumped + running)).price(trade, b.A).npv

    def compounded(fixings: list[Fixing]) -> float:
        growth = 1.0
        for f, nxt in zip(fixings, [*(g.fixing_date for g in fixings[1:]), date(2026, 11, 18)], strict=True):
            growth *= 1.0 + float(f.rate) * (nxt - f.fixing_date).days / 365.0
        return growth

    pay = date(2026, 11, 25)  # 18 Nov + 5 Sydney business days
    df = float(market.discount_curve("AUD").discount(np.array([(pay - market.as_of).days / 365.0]))[0])
    expected = 50_000_000 * (compounded(first) - compounded(bumped)) * df  # A receives the floating leg
    assert npv - npv_bumped == pytest.approx(expected, rel=1e-9)
    flows = (
        RiskEngine(market, fixings=FixingTable.of(first + running))
        .price(trade, b.A, cashflows=True)
        .cashflows
    )
    (done,) = [f for f in flows if f["stream"] == 1 and f["payment_date"] == pay.isoformat()]
    assert done["kind"] == "floating-set"
    assert done["amount"] == pytest.approx(50_000_000 * (compounded(first) - 1.0), rel=1e-12)
    assert sum(f["present_value"] for f in flows) == pytest.approx(npv, abs=1e-6)
    assert abs(expected) > 100_000  # a visible amount, not rounding


def test_a_running_overnight_period_agrees_with_quantlib_given_the_same_fixings(market: MarketData) -> None:
    trade = _ois(date(2026, 9, 2), years=2, freq="3M")
    fixings = _published(_good_days(date(2026, 9, 2), market.as_of))
    got = RiskEngine(market, fixings=FixingTable.of(fixings)).price(trade, b.A).npv
    ref = QlMarket(market)
    legs = [ref.leg(s) for s in trade.streams]
    index = ql.as_floating_rate_coupon(legs[1][0]).index()
    for f in fixings:
        index.addFixing(qd(f.fixing_date), float(f.rate), True)
    try:
        swap = ql.Swap(legs, [s.payer == b.A for s in trade.streams])
        swap.setPricingEngine(ql.DiscountingSwapEngine(ref.handles[market.discounting["AUD"]]))
        want = float(swap.NPV())
    finally:
        ql.IndexManager.instance().clearHistories()
    assert abs(got - want) <= 1e-8 * 50_000_000, (got, want)
    flows = RiskEngine(market, fixings=FixingTable.of(fixings)).price(trade, b.A, cashflows=True).cashflows
    assert sum(f["present_value"] for f in flows) == pytest.approx(got, abs=1e-6)
    assert [f["kind"] for f in flows if f["stream"] == 1][:2] == ["floating-running", "floating"]
    on_curve = RiskEngine(market).price(trade, b.A).npv  # no store: the running period at the curve's rate
    assert abs(got - on_curve) > 1_000


def test_a_term_coupon_fixed_on_or_before_today_pays_the_stored_fixing(market: MarketData) -> None:
    trade = b.irs("AUD", start=market.as_of - timedelta(days=45), years=3, float_tenor="3M", fixed_freq="3M")
    engine = RiskEngine(market)
    (row,) = [r for r in engine.price(trade, b.A, cashflows=True).cashflows if r["kind"] == "floating-set"]
    ref = QlMarket(market)
    coupon = ql.as_floating_rate_coupon(ref.leg(trade.streams[1])[0])
    fixing_day = date(
        coupon.fixingDate().year(), coupon.fixingDate().month(), coupon.fixingDate().dayOfMonth()
    )
    stored = FixingTable.of([Fixing("AUD-BBR-BBSW 3M", fixing_day, Decimal("0.0523"))])
    got = RiskEngine(market, fixings=stored).price(trade, b.A).npv
    coupon.index().addFixing(coupon.fixingDate(), 0.0523, True)
    try:
        want = ref.npv(trade, b.A)
    finally:
        ql.IndexManager.instance().clearHistories()
    assert abs(got - want) <= 1e-8 * float(trade.streams[0].notional), (got, want)
    flows = RiskEngine(market, fixings=stored).price(trade, b.A, cashflows=True).cashflows
    assert sum(f["present_value"] for f in flows) == pytest.approx(got, abs=1e-6)
    (fixed_row,) = [f for f in flows if f["kind"] == "floating-set"]
    assert fixed_row["rate"] == pytest.approx(0.0523, abs=1e-12)
    assert row["rate"] != pytest.approx(0.0523, abs=1e-4)  # the curve's rate was something else
    # a known amount: no projection node left at the running coupon's payment date
    from gateway.risk.terms import NONE

    terms = RiskEngine(market, fixings=stored).terms([trade], [b.A])
    pay = date.fromisoformat(row["payment_date"]).toordinal()
    assert np.all(terms.nodes[terms.nodes[:, 1] == pay][:, 2] == NONE)


def test_a_missing_fixing_is_an_error_naming_index_and_date(market: MarketData) -> None:
    trade = _ois(date(2026, 9, 2), years=2)
    days = _good_days(date(2026, 9, 2), market.as_of)
    gap = days[10]
    fixings = [f for f in _published(days) if f.fixing_date != gap]
    with pytest.raises(GatewayError) as err:
        RiskEngine(market, fixings=FixingTable.of(fixings)).price(trade, b.A)
    issue = err.value.issues[0]
    assert issue.code is ReasonCode.MKT_MISSING_FIXING
    assert AONIA in issue.message
    assert gap.isoformat() in issue.message
    assert issue.path.endswith(".streams[1].floatingRateIndex")
    term = b.irs("AUD", start=market.as_of - timedelta(days=45), years=3, float_tenor="3M", fixed_freq="3M")
    with pytest.raises(GatewayError) as err:
        RiskEngine(market, fixings=FixingTable.of([])).price(term, b.A)
    assert err.value.code is ReasonCode.MKT_MISSING_FIXING
    assert "AUD-BBR-BBSW 3M" in err.value.issues[0].message


def test_todays_fixing_is_used_once_stored_and_projected_until_then(market: MarketData) -> None:
    trade = b.irs("AUD", start=market.as_of + timedelta(days=4), years=5)  # first fixing: today (T-2)
    projected = RiskEngine(market).price(trade, b.A).npv
    assert RiskEngine(market, fixings=FixingTable.of([])).price(trade, b.A).npv == pytest.approx(
        projected, abs=1e-9
    )
    published = FixingTable.of([Fixing("AUD-BBR-BBSW 6M", market.as_of, Decimal("0.0611"))])
    fixed = RiskEngine(market, fixings=published).price(trade, b.A).npv
    ref = QlMarket(market)
    index = ql.as_floating_rate_coupon(ref.leg(trade.streams[1])[0]).index()
    index.addFixing(qd(market.as_of), 0.0611, True)
    try:
        want = ref.npv(trade, b.A)
    finally:
        ql.IndexManager.instance().clearHistories()
    assert abs(fixed - want) <= 1e-8 * float(trade.streams[0].notional), (fixed, want)
    assert abs(fixed - projected) > 1_000
