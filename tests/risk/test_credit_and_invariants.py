"""Incremental margin under the credit rule, P&L additivity, mirror trades and flat (novated) books."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.clearing.credit import ZERO, CreditPosition, decide
from gateway.domain.enums import AccountType
from gateway.domain.reasons import ReasonCode
from gateway.risk import MarginConfig, RiskEngine, initial_margin, initial_margin_rows
from tests.risk import builders as b
from tests.risk.test_margin import loop_var

SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(
    ccy=st.sampled_from(["AUD", "EUR"]),
    years=st.integers(min_value=1, max_value=30),
    rate=st.decimals(min_value=Decimal("0.0"), max_value=Decimal("0.06"), places=4),
    tenor=st.sampled_from(["3M", "6M"]),
)
def test_mirror_trades_have_opposite_pnl_and_a_novated_book_is_flat(
    engine: RiskEngine, ccy: str, years: int, rate: Decimal, tenor: str
) -> None:
    t = b.irs(ccy, years=years, rate=str(rate), float_tenor=tenor)
    a_side = engine.trade_pnl(t, b.A)
    b_side = engine.trade_pnl(t, b.B)
    np.testing.assert_array_equal(a_side, -b_side)
    left, right = b.novate(t)
    ccp_book = engine.pnl_batch([left, right], [b.CCP, b.CCP]).sum(axis=0)
    assert np.all(ccp_book == 0.0)
    merged = engine.account_pnl([left, right], [b.CCP, b.CCP], ["CCP", "CCP"])
    assert np.all(merged["CCP"] == 0.0)
    assert a_side.std() > 0


def test_pnl_is_additive_and_eod_merge_is_exact(engine: RiskEngine) -> None:
    trades = [
        b.irs("AUD", years=5, trade_id="1"),
        b.irs("AUD", years=10, trade_id="2", float_tenor="3M", fixed_freq="3M"),
        b.irs("EUR", years=7, trade_id="3", fixed_freq="1Y"),
        b.irs("AUD", years=5, trade_id="4", rate="0.05", fixed_payer=b.B, other=b.A),
    ]
    who = [b.A, b.A, b.B, b.A]
    rows = engine.pnl_batch(trades, who)
    for i, t in enumerate(trades):
        np.testing.assert_allclose(rows[i], engine.trade_pnl(t, who[i]), rtol=1e-12, atol=1e-6)
    by_account = engine.account_pnl(trades, who, ["X", "Y", "X", "Y"])
    np.testing.assert_allclose(by_account["X"], rows[0] + rows[2], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose(by_account["Y"], rows[1] + rows[3], rtol=1e-9, atol=1e-5)


def test_pnl_is_full_revaluation(engine: RiskEngine) -> None:
    """Scenario P&L equals repricing on the shifted curves (not a delta approximation)."""
    from gateway.risk import market_from_rates

    m = engine.market
    t = b.irs("AUD", years=10)
    s = int(np.argmin(engine.trade_pnl(t, b.A)))
    shift = engine.scenarios().shifts[s]
    rates = {
        c.name: {
            str(tn): float(z + shift[c.offset + j])
            for j, (tn, z) in enumerate(zip(c.tenors, c.zero_rates, strict=True))
        }
        for c in m.curves.values()
    }
    moved = RiskEngine(market_from_rates(m.as_of, rates))
    expected = moved.price(t, b.A).npv - engine.price(t, b.A).npv
    assert engine.trade_pnl(t, b.A)[s] == pytest.approx(expected, rel=1e-10)


def _money(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(Decimal("0.01"))


def _position(excess: Decimal, unused_tolerance: Decimal) -> CreditPosition:
    return CreditPosition(excess, ZERO, ZERO, unused_tolerance, ZERO)


def test_incremental_margin_decided_by_the_clearing_credit_rule(engine: RiskEngine) -> None:
    book = engine.pnl_batch([b.irs("AUD", years=10, trade_id="B1")], [b.A])[0]
    new = engine.trade_pnl(b.irs("AUD", years=10, trade_id="N1"), b.A)
    im_now = initial_margin(book)
    im_after = initial_margin(book + new)
    assert im_after == pytest.approx(loop_var(list(book + new), 0.997), rel=1e-9)
    inc = _money(im_after - im_now)
    assert inc > 0
    assert decide("M", "HOUSE", inc, _position(inc + 1, ZERO)).approved
    assert decide("M", "HOUSE", inc, _position(inc / 2, inc)).approved  # the tolerance covers the rest
    no = decide("M", "HOUSE", inc, _position(inc / 4, inc / 4))
    assert not no.approved
    assert no.shortfall == inc / 2
    assert no.reasons[0].code is ReasonCode.RISK_INSUFFICIENT_COLLATERAL
    # A risk-reducing trade (the mirror) is approved even with no headroom at all.
    mirror = engine.trade_pnl(b.irs("AUD", years=10, trade_id="N2"), b.B)
    reduced = _money(initial_margin(book + mirror) - im_now)
    assert reduced < 0
    assert decide("M", "HOUSE", reduced, CreditPosition(ZERO, Decimal(1_000_000), ZERO, ZERO, ZERO)).approved


def test_margin_of_many_rows_at_once_equals_each_row_alone(engine: RiskEngine) -> None:
    rng = np.random.default_rng(5)
    trades = [b.irs("AUD", years=int(y), trade_id=f"N{i}") for i, y in enumerate(rng.integers(1, 30, 20))]
    pnl = engine.pnl_batch(trades, [b.A] * 20)
    accounts = np.roll(pnl, 3, axis=0) * 2
    cfg = MarginConfig(credit_addon={"W": 0.2}, concentration_threshold=1e5, concentration_rate=0.1)
    members = ["W" if i % 2 else "S" for i in range(20)]
    rows = initial_margin_rows(accounts + pnl, cfg, members)
    for i in range(20):
        assert rows[i] == pytest.approx(initial_margin(accounts[i] + pnl[i], cfg, members[i]), rel=1e-12)
    assert rows[1] != pytest.approx(initial_margin(accounts[1] + pnl[1], cfg), rel=1e-6)  # W's add-on counts


def test_client_account_margin_uses_the_longer_horizon(engine: RiskEngine) -> None:
    t = b.irs("AUD", years=10)
    house = engine.margin(engine.trade_pnl(t, b.A, AccountType.HOUSE))
    client = engine.margin(engine.trade_pnl(t, b.A, AccountType.CLIENT), AccountType.CLIENT)
    assert client.horizon_days == 7
    assert house.horizon_days == 5
    assert client.im > house.im


def test_forward_starting_and_matured_trades(engine: RiskEngine) -> None:
    old = replace(b.irs("AUD", start=date(2012, 1, 10), years=5), trade_date=date(2012, 1, 5))
    assert engine.price(old, b.A).npv == 0.0
    assert np.all(engine.trade_pnl(old, b.A) == 0.0)
