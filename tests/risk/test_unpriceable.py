"""Trades the engine cannot value are refused with a specific reason, never given a wrong number."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.domain import (
    BusinessDayConvention,
    CompoundingMethod,
    DateAdjustment,
    DayCount,
    Period,
    ProductClass,
)
from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.risk import RiskEngine, market_from_rates
from tests.risk import builders as b


def refused(engine: RiskEngine, t: object, who: str = b.A) -> GatewayError:
    with pytest.raises(GatewayError) as err:
        engine.price(t, who)  # type: ignore[arg-type]
    with pytest.raises(GatewayError) as err2:
        engine.trade_pnl(t, who)  # type: ignore[arg-type]
    assert err.value.code is err2.value.code
    return err.value


def with_float(t: object, **changes: object) -> object:
    streams = tuple(replace(s, **changes) if s.floating_index else s for s in t.streams)  # type: ignore[attr-defined]
    return replace(t, streams=streams)  # type: ignore[type-var]


def test_unknown_index(engine: RiskEngine) -> None:
    err = refused(engine, with_float(b.irs("AUD"), floating_index="AUD-MADE-UP-RATE"))
    assert err.code is ReasonCode.RISK_UNKNOWN_INDEX
    assert "AUD-MADE-UP-RATE" in str(err)
    assert err.path.endswith("floatingRateIndex")


def test_known_index_without_a_curve(engine: RiskEngine) -> None:
    t = with_float(b.irs("AUD"), index_tenor=Period.parse("1M"), reset_frequency=None)
    err = refused(engine, t)
    assert err.code is ReasonCode.MD_MISSING_CURVE
    assert "AUD-BBR-BBSW 1M" in str(err)


def test_currency_without_a_discount_curve(engine: RiskEngine) -> None:
    m = market_from_rates(engine.market.as_of, {"AUD-BBR-BBSW 6M": {"1Y": 0.04, "30Y": 0.045}})
    err = refused(RiskEngine(m), b.irs("AUD"))
    assert err.code is ReasonCode.MD_MISSING_CURVE
    assert "AUD-AONIA-OIS-COMPOUND" in str(err)


def test_dates_beyond_the_curve(engine: RiskEngine) -> None:
    m = market_from_rates(
        engine.market.as_of,
        {"AUD-AONIA-OIS-COMPOUND": {"1Y": 0.04, "10Y": 0.045}, "AUD-BBR-BBSW 6M": {"1Y": 0.04, "10Y": 0.045}},
    )
    eng = RiskEngine(m)
    assert eng.price(b.irs("AUD", years=10), b.A).npv != 0.0  # within a year of flat extrapolation
    err = refused(eng, b.irs("AUD", years=15))
    assert err.code is ReasonCode.RISK_BEYOND_CURVE
    assert "10Y" in str(err)


def test_unsupported_terms(engine: RiskEngine) -> None:
    imm = with_float(b.irs("AUD"), roll_convention="IMMAUD")
    assert refused(engine, imm).code is ReasonCode.RISK_UNSUPPORTED_TERMS
    centre = with_float(
        b.irs("AUD"), calculation_adjustment=DateAdjustment(BusinessDayConvention.FOLLOWING, ("XXXX",))
    )
    err = refused(engine, centre)
    assert err.code is ReasonCode.RISK_UNSUPPORTED_TERMS
    assert "XXXX" in str(err)
    icma = with_float(b.irs("AUD"), day_count=DayCount.ACT_ACT_ICMA)
    assert refused(engine, icma).code is ReasonCode.RISK_UNSUPPORTED_TERMS
    compounding = with_float(
        b.irs("AUD"), payment_frequency=Period.parse("1Y"), compounding_method=CompoundingMethod.STRAIGHT,
        spread=Decimal("0.001"),
    )  # fmt: skip
    err = refused(engine, compounding)
    assert err.code is ReasonCode.RISK_UNSUPPORTED_TERMS
    assert "compounding" in str(err)
    odd = with_float(b.irs("AUD"), payment_frequency=Period.parse("5M"))
    assert refused(engine, odd).code is ReasonCode.RISK_UNSUPPORTED_TERMS


def test_perspective_must_be_a_party(engine: RiskEngine) -> None:
    err = refused(engine, b.irs("AUD"), who="SOMEONE-ELSE")
    assert err.code is ReasonCode.RISK_UNPRICEABLE
    assert "SOMEONE-ELSE" in str(err)


def test_straight_compounding_without_spread_telescopes(engine: RiskEngine) -> None:
    """3M periods compounded into semi-annual payments equal one 6M-long forward per payment."""
    base = b.irs("AUD", float_tenor="3M", fixed_freq="6M")
    compounded = with_float(
        base, payment_frequency=Period.parse("6M"), compounding_method=CompoundingMethod.STRAIGHT
    )
    v = engine.price(compounded, b.A, cashflows=True)
    floating = [r for r in v.cashflows if r["kind"] == "floating"]
    assert len(floating) == 20  # ten years of semi-annual payments
    assert all(
        r["accrual_end"] == r["payment_date"] or r["accrual_end"] <= r["payment_date"] for r in floating
    )


def test_batch_collects_every_failure(engine: RiskEngine) -> None:
    good = b.irs("AUD", trade_id="G")
    bad1 = with_float(b.irs("AUD", trade_id="B1"), floating_index="AUD-MADE-UP-RATE")
    bad2 = b.irs("AUD", trade_id="B2", years=60)
    pnl, ok, failures = engine.pnl_batch_collect([good, bad1, bad2], [b.A] * 3)
    assert ok == [0]
    assert pnl.shape == (1, 1250)
    assert [(i, e.code) for i, e in failures] == [
        (1, ReasonCode.RISK_UNKNOWN_INDEX),
        (2, ReasonCode.RISK_BEYOND_CURVE),
    ]


def test_xccy_is_refused(engine: RiskEngine) -> None:
    t = b.irs("AUD")
    usd = replace(t.streams[1], currency="USD", floating_index="USD-SOFR-OIS Compound")
    x = replace(t, product=ProductClass.XCCY, streams=(t.streams[0], usd))
    assert refused(engine, x).code is ReasonCode.RISK_UNSUPPORTED_TERMS
