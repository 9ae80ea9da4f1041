"""Scenarios and IM against plain loop implementations written here from the definitions."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gateway.domain.enums import AccountType
from gateway.domain.errors import MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.risk import (
    MarginConfig,
    MarginModel,
    MarketData,
    RiskConfig,
    RiskEngine,
    ScenarioConfig,
    ShiftKind,
)
from gateway.risk.margin import base_margin, base_margin_rows, initial_margin, with_addons
from gateway.risk.scenarios import build_scenarios
from tests.risk import builders as b


def loop_var(pnl: list[float], confidence: float) -> float:
    """Sort, then interpolate between the order statistics around (n - 1)(1 - confidence)."""
    xs = sorted(pnl)
    h = (len(xs) - 1) * (1 - confidence)
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    q = xs[lo] + (h - lo) * (xs[hi] - xs[lo])
    return max(0.0, -q)


def loop_es(pnl: list[float], confidence: float) -> float:
    xs = sorted(pnl)
    k = max(1, math.ceil(len(xs) * (1 - confidence) - 1e-12))
    total = 0.0
    for x in xs[:k]:
        total += x
    return max(0.0, -total / k)


pnls = hnp.arrays(
    np.float64,
    st.integers(min_value=20, max_value=1500),
    elements=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(pnl=pnls, confidence=st.sampled_from([0.99, 0.995, 0.997, 0.999]))
def test_var_matches_loop_and_numpy(pnl: np.ndarray, confidence: float) -> None:
    cfg = MarginConfig(confidence=confidence)
    got = base_margin(pnl, cfg)
    want = loop_var(list(pnl), confidence)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-6)
    assert got == pytest.approx(max(0.0, -float(np.quantile(pnl, 1 - confidence))), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(pnl=pnls)
def test_es_matches_loop(pnl: np.ndarray) -> None:
    cfg = MarginConfig(model=MarginModel.ES)
    assert base_margin(pnl, cfg) == pytest.approx(loop_es(list(pnl), 0.997), rel=1e-9, abs=1e-6)
    assert base_margin(pnl, cfg) >= base_margin(pnl, MarginConfig()) - 1e-6 * (1 + abs(base_margin(pnl, cfg)))


def test_rows_form_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(1)
    m = rng.normal(size=(50, 1250)) * 1e6
    for model in MarginModel:
        cfg = MarginConfig(model=model)
        np.testing.assert_allclose(base_margin_rows(m, cfg), [base_margin(r, cfg) for r in m], rtol=1e-12)


def test_floor_at_zero_and_addons() -> None:
    assert base_margin(np.linspace(1, 100, 1250), MarginConfig()) == 0.0
    cfg = MarginConfig(credit_addon={"WEAK": 0.25}, concentration_threshold=1000.0, concentration_rate=0.5)
    total, credit, conc = with_addons(2000.0, cfg, "WEAK")
    assert (credit, conc, total) == (500.0, 500.0, 3000.0)
    assert with_addons(2000.0, cfg, "STRONG")[0] == 2500.0
    pnl = -np.linspace(0, 10_000, 1250)
    assert initial_margin(pnl, cfg, "WEAK") == pytest.approx(
        with_addons(base_margin(pnl, cfg), cfg, "WEAK")[0]
    )


def test_portfolio_im_matches_loop_on_engine_pnl(engine: RiskEngine) -> None:
    trades = [b.irs("AUD", years=y, trade_id=f"T{y}") for y in (2, 5, 10)]
    pnl = engine.pnl_batch(trades, [b.A] * 3).sum(axis=0)
    report = engine.margin(pnl)
    assert report.im == pytest.approx(loop_var(list(pnl), 0.997), rel=1e-9)
    assert report.scenarios == 1250
    assert report.horizon_days == 5
    worst = report.worst[0]
    assert worst[2] == pnl.min()
    assert worst[0] < worst[1]


def test_scenarios_are_overlapping_h_day_changes(market: MarketData) -> None:
    cfg = ScenarioConfig()
    scen = build_scenarios(market, cfg, 5)
    h = market.history
    assert h is not None
    assert scen.count == 1250
    n = h.days
    for s in (0, 617, 1249):
        t = n - 1250 + s
        np.testing.assert_array_equal(scen.shifts[s], h.rates[t] - h.rates[t - 5])
        assert scen.dates[s] == h.dates[t]
        assert scen.starts[s] == h.dates[t - 5]
    np.testing.assert_array_equal(scen.shifts_t, scen.shifts.T)


def test_client_accounts_use_their_own_holding_period(market: MarketData) -> None:
    eng = RiskEngine(market)
    assert eng.scenarios(AccountType.CLIENT).horizon_days == 7
    assert eng.scenarios(AccountType.HOUSE).horizon_days == 5


def test_relative_and_ewma_scenarios_match_loops(market: MarketData) -> None:
    h = market.history
    assert h is not None
    rel = build_scenarios(market, ScenarioConfig(shift=ShiftKind.RELATIVE), 5)
    t = h.days - 1
    before = h.rates[t - 5]
    denom = np.sign(before) * np.maximum(np.abs(before), 0.0025)
    np.testing.assert_allclose(rel.shifts[-1], market.rates * (h.rates[t] - before) / denom, rtol=1e-12)

    decay = 0.97
    ew = build_scenarios(market, ScenarioConfig(ewma_decay=decay), 5)
    daily = np.diff(h.rates, axis=0)
    p = 3
    var = float(np.mean(daily[:20, p] ** 2))
    vols = []
    for i in range(daily.shape[0]):
        var = decay * var + (1 - decay) * daily[i, p] ** 2
        vols.append(math.sqrt(var))
    s = 100
    t = h.days - 1250 + s
    raw = h.rates[t, p] - h.rates[t - 5, p]
    assert ew.shifts[s, p] == pytest.approx(raw * vols[-1] / vols[t - 1], rel=1e-10)


def test_too_short_history_is_refused(market: MarketData) -> None:
    with pytest.raises(MarketDataError) as err:
        build_scenarios(market, ScenarioConfig(window=1299), 5)
    assert err.value.code is ReasonCode.MD_GAP
    assert "1304" in str(err.value)
    no_history = replace(market, history=None)
    with pytest.raises(MarketDataError):
        RiskEngine(no_history).scenarios()


def test_config_from_toml(tmp_path: object) -> None:
    cfg = RiskConfig.from_dict(
        {
            "scenarios": {"horizon_days": 10, "ewma_decay": 0.94},
            "margin": {"model": "es", "credit_addon": {"M": 0.1}},
        }
    )
    assert cfg.scenarios.horizon_days == 10
    assert cfg.margin.model is MarginModel.ES
    assert cfg.margin.credit_addon["M"] == 0.1
    from gateway.domain.errors import InputRejected

    with pytest.raises(InputRejected):
        RiskConfig.from_dict({"margin": {"confidence": 2}})
    with pytest.raises(InputRejected):
        RiskConfig.from_dict({"scenarios": {"windw": 3}})
