"""Valuation agrees with an independent QuantLib pricing: NPV to 1e-8 x notional, PV01 to 1e-4 relative."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain import DayCount, ProductClass, Trade
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import parse_fpml
from gateway.risk import MarketData, RiskEngine, Unpriceable, market_from_rates
from tests.risk import builders as b
from tests.risk.qlref import QlMarket

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(engine: RiskEngine, market: MarketData, t: Trade, who: str) -> None:
    v = engine.price(t, who)
    ref = QlMarket(market).npv(t, who)
    notional = float(t.notional)
    assert abs(v.npv - ref) <= 1e-8 * notional, (v.npv, ref)
    ref_pv01 = QlMarket(market, bump=1e-4).npv(t, who) - ref
    assert abs(v.pv01 - ref_pv01) <= 1e-4 * abs(ref_pv01) + 1e-9 * notional, (v.pv01, ref_pv01)


starts = st.dates(min_value=date(2026, 11, 26), max_value=date(2031, 12, 31))
notionals = st.integers(min_value=1, max_value=10_000).map(lambda n: n * 100_000)
rates = st.decimals(min_value=Decimal("-0.01"), max_value=Decimal("0.08"), places=5)
spreads = st.decimals(min_value=Decimal("-0.005"), max_value=Decimal("0.01"), places=5)
parties = st.sampled_from([b.A, b.B])


@SETTINGS
@given(
    ccy=st.sampled_from(["AUD", "EUR"]),
    start=starts,
    years=st.integers(min_value=1, max_value=30),
    rate=rates,
    notional=notionals,
    fixed_freq=st.sampled_from(["3M", "6M", "1Y"]),
    float_tenor=st.sampled_from(["3M", "6M"]),
    who=parties,
)
def test_vanilla_irs(
    engine: RiskEngine,
    market: MarketData,
    ccy: str,
    start: date,
    years: int,
    rate: Decimal,
    notional: int,
    fixed_freq: str,
    float_tenor: str,
    who: str,
) -> None:
    t = b.irs(
        ccy, start=start.replace(day=min(start.day, 28)), years=years, rate=str(rate), notional=notional,
        fixed_freq=fixed_freq, float_tenor=float_tenor,
    )  # fmt: skip
    check(engine, market, t, who)


@SETTINGS
@given(
    ccy=st.sampled_from(["AUD", "USD", "EUR", "GBP"]),
    start=starts,
    years=st.integers(min_value=1, max_value=30),
    freq=st.sampled_from(["3M", "6M", "1Y"]),
    rate=rates,
    spread=spreads,
    lag=st.integers(min_value=0, max_value=2),
    notional=notionals,
    who=parties,
)
def test_ois(
    engine: RiskEngine,
    market: MarketData,
    ccy: str,
    start: date,
    years: int,
    freq: str,
    rate: Decimal,
    spread: Decimal,
    lag: int,
    notional: int,
    who: str,
) -> None:
    end = start.replace(year=start.year + years, day=min(start.day, 28))
    start = start.replace(day=min(start.day, 28))
    dc = DayCount.ACT_365_FIXED if ccy in ("AUD", "GBP") else DayCount.ACT_360
    n = Decimal(notional)
    fixed = b.leg(payer=b.A, receiver=b.B, ccy=ccy, start=start, end=end, freq=freq, day_count=dc, notional=n,
                  fixed_rate=rate, payment_lag=lag)  # fmt: skip
    flt = b.leg(payer=b.B, receiver=b.A, ccy=ccy, start=start, end=end, freq=freq, day_count=dc, notional=n,
                index=b.OIS_INDEX[ccy], spread=spread, payment_lag=lag)  # fmt: skip
    check(engine, market, b.trade((fixed, flt), ProductClass.OIS), who)


@SETTINGS
@given(
    ccy=st.sampled_from(["AUD", "EUR"]),
    start=starts,
    years=st.integers(min_value=1, max_value=10),
    spread=spreads,
    notional=notionals,
    who=parties,
)
def test_basis_swaps(
    engine: RiskEngine,
    market: MarketData,
    ccy: str,
    start: date,
    years: int,
    spread: Decimal,
    notional: int,
    who: str,
) -> None:
    start = start.replace(day=min(start.day, 28))
    end = start.replace(year=start.year + years)
    dc = DayCount.ACT_365_FIXED if ccy == "AUD" else DayCount.ACT_360
    n = Decimal(notional)
    three = b.leg(payer=b.A, receiver=b.B, ccy=ccy, start=start, end=end, freq="3M", day_count=dc, notional=n,
                  index=b.TERM_INDEX[ccy], tenor="3M", spread=spread)  # fmt: skip
    six = b.leg(payer=b.B, receiver=b.A, ccy=ccy, start=start, end=end, freq="6M", day_count=dc, notional=n,
                index=b.TERM_INDEX[ccy], tenor="6M")  # fmt: skip
    check(engine, market, b.trade((three, six), ProductClass.BASIS), who)


def test_amortising_swap_with_steps(engine: RiskEngine, market: MarketData) -> None:
    from gateway.domain.values import Step

    base = b.irs("AUD", years=5)
    steps = tuple(Step(date(2026 + y, 11, 24), Decimal(100_000_000 - y * 15_000_000)) for y in range(1, 5))
    from dataclasses import replace

    t = replace(base, streams=tuple(replace(s, notional_steps=steps) for s in base.streams))
    check(engine, market, t, b.A)


# --- the FpML examples in scope ------------------------------------------------------------------

CURVE = {
    "1M": 0.030,
    "3M": 0.031,
    "6M": 0.032,
    "1Y": 0.034,
    "2Y": 0.036,
    "5Y": 0.040,
    "10Y": 0.044,
    "30Y": 0.046,
}


def shifted(spread: float) -> dict[str, float]:
    return {k: v + spread for k, v in CURVE.items()}


def example_market(as_of: date) -> MarketData:
    return market_from_rates(
        as_of,
        {
            "EUR-EuroSTR-COMPOUND": CURVE,
            "EUR-EONIA-OIS-COMPOUND": shifted(0.0002),
            "EUR-EURIBOR-Telerate 6M": shifted(0.003),
            "EUR-LIBOR-BBA 6M": shifted(0.0035),
            "CHF-SARON-OIS-COMPOUND": shifted(-0.02),
            "CHF-LIBOR-BBA 6M": shifted(-0.017),
        },
    )


def _example(fpml_examples: Path, name: str) -> Trade:
    path = next(fpml_examples.rglob(name))
    return parse_fpml(path.read_bytes()).trades[0]


@pytest.mark.parametrize(
    "name",
    [
        "msg-ex114-clearing-requested-from-swaption-exercise.xml",
        "ird-ex01-vanilla-swap.xml",
        "ird-ex02-stub-amort-swap.xml",
        "ird-ex08-fra.xml",
    ],
)
def test_fpml_examples_agree_with_quantlib(fpml_examples: Path, name: str) -> None:
    t = _example(fpml_examples, name)
    market = example_market(t.effective_date - timedelta(days=10))  # every fixing still ahead
    engine = RiskEngine(market)
    for who in (t.parties[0].party_id, t.parties[1].party_id):
        check(engine, market, t, who)
        v = engine.price(t, who, cashflows=True)
        assert sum(r["present_value"] for r in v.cashflows) == pytest.approx(v.npv, rel=1e-12, abs=1e-6)
    assert engine.price(t, t.parties[0].party_id).npv != 0.0


def test_fpml_ois_example_discounts_on_its_own_overnight_curve(fpml_examples: Path) -> None:
    t = _example(fpml_examples, "ird-ex07-ois-swap.xml")
    base = example_market(t.trade_date)
    market = market_from_rates(
        t.effective_date - timedelta(days=10),
        {"EUR-EONIA-OIS-COMPOUND": shifted(0.0002)},
        discounting={"EUR": "EUR-EONIA-OIS-COMPOUND"},
    )
    assert base.discounting["EUR"] == "EUR-EuroSTR-COMPOUND"
    check(RiskEngine(market), market, t, t.parties[0].party_id)


def test_fpml_examples_out_of_scope_are_refused_with_a_reason(fpml_examples: Path) -> None:
    xccy = _example(fpml_examples, "ird-ex06-xccy-swap.xml")
    cad = _example(fpml_examples, "CAD-Long-Initial-Stub-versioned.xml")
    for t in (xccy, cad):
        engine = RiskEngine(example_market(t.trade_date))
        with pytest.raises(Unpriceable) as err:
            engine.price(t, t.parties[0].party_id)
        assert err.value.code is ReasonCode.RISK_UNSUPPORTED_TERMS


def test_cashflows_add_up_to_the_npv(engine: RiskEngine) -> None:
    t = b.irs("EUR", years=7, fixed_freq="1Y")
    v = engine.price(t, b.B, cashflows=True)
    assert sum(r["present_value"] for r in v.cashflows) == pytest.approx(v.npv, abs=1e-6)
    assert {r["kind"] for r in v.cashflows} == {"fixed", "floating"}
    first = v.cashflows[0]
    assert first["payment_date"] > "2026-11-20"
    assert sum(v.deltas["EUR-EURIBOR-Telerate 6M"].values()) != 0.0


def test_seasoned_swap_holds_the_running_coupon_at_todays_estimate(
    engine: RiskEngine, market: MarketData
) -> None:
    """No fixing store: the running period's rate comes from today's curve and does not move in scenarios."""
    t = b.irs("AUD", start=market.as_of - timedelta(days=45), years=3, float_tenor="3M", fixed_freq="3M")
    v = engine.price(t, b.A, cashflows=True)
    set_rows = [r for r in v.cashflows if r["kind"] == "floating-set"]
    assert len(set_rows) == 1
    assert set_rows[0]["accrual_start"] < market.as_of.isoformat() < set_rows[0]["accrual_end"]
    row = set_rows[0]
    curve = market.curves["AUD-BBR-BBSW 3M"]
    ts = (date.fromisoformat(row["accrual_start"]) - market.as_of).days / 365
    te = (date.fromisoformat(row["accrual_end"]) - market.as_of).days / 365
    growth = float(curve.discount(np.array([ts]))[0] / curve.discount(np.array([te]))[0]) - 1
    assert row["amount"] == pytest.approx(row["notional"] * growth, rel=1e-12)
    # Held fixed: the set coupon is a plain known amount in the scenario terms (one discount node).
    from gateway.risk.terms import NONE

    terms = engine.terms([t], [b.A])
    pay = date.fromisoformat(row["payment_date"]).toordinal()
    at_pay = terms.nodes[:, 1] == pay
    assert np.all(terms.nodes[at_pay][:, 2] == NONE)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31)),
    gaps=st.lists(st.integers(min_value=1, max_value=800), min_size=1, max_size=30),
    european=st.booleans(),
)
def test_thirty_360_equals_quantlib(start: date, gaps: list[int], european: bool) -> None:
    import numpy as np
    import QuantLib as ql

    from gateway.risk.resolve import thirty_360

    days = [start]
    for g in gaps:
        days.append(days[-1] + timedelta(days=g))
    ords = np.array([d.toordinal() for d in days])
    dc = ql.Thirty360(ql.Thirty360.European if european else ql.Thirty360.BondBasis)
    want = [
        dc.yearFraction(ql.Date(a.day, a.month, a.year), ql.Date(b.day, b.month, b.year))
        for a, b in itertools.pairwise(days)
    ]
    np.testing.assert_array_equal(thirty_360(ords, european=european), want)


def test_seasoned_swap_agrees_with_quantlib_given_the_same_fixing(
    engine: RiskEngine, market: MarketData
) -> None:
    """QuantLib is handed, as the past fixing, the rate the engine documents it uses for the running period."""
    import numpy as np
    import QuantLib as ql

    t = b.irs("AUD", start=market.as_of - timedelta(days=45), years=3, float_tenor="3M", fixed_freq="3M")
    rows = [r for r in engine.price(t, b.A, cashflows=True).cashflows if r["kind"] == "floating-set"]
    (row,) = rows
    ref = QlMarket(market)
    flt = t.streams[1]
    leg = ref.leg(flt)
    coupon = ql.as_floating_rate_coupon(leg[0])
    start = date.fromisoformat(row["accrual_start"])
    assert (
        coupon.accrualStartDate().year(),
        coupon.accrualStartDate().month(),
        coupon.accrualStartDate().dayOfMonth(),
    ) == (start.year, start.month, start.day)
    coupon.index().addFixing(coupon.fixingDate(), row["rate"], True)
    try:
        got = engine.price(t, b.A).npv
        want = ref.npv(t, b.A)
    finally:
        ql.IndexManager.instance().clearHistories()
    assert abs(got - want) <= 1e-8 * float(t.notional), (got, want)
    assert np.isfinite(got)
