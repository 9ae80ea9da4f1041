"""The batch form for new trades (``RiskEngine.pnl_rows``) gives each trade's own full revaluation."""

from __future__ import annotations

from datetime import date
from typing import cast

import numpy as np

from gateway.domain.enums import AccountType
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.risk import RiskEngine
from tests.risk import builders as b
from tests.risk.test_unpriceable import with_float


def day_of_trades() -> list[Trade]:
    """Trades of one day: the same spot date and standard tenors, so most forms are shared."""
    out = []
    for n, years in enumerate((2, 3, 5, 7, 10, 2, 5, 10, 30, 3, 5, 7)):
        out.append(
            b.irs(
                "AUD",
                years=years,
                notional=(n + 1) * 10_000_000,
                rate=f"0.0{3 + n % 3}",
                fixed_payer=b.A if n % 2 else b.B,
                other=b.B if n % 2 else b.A,
                trade_id=f"D{n}",
            )
        )
    return out


def test_rows_equal_one_trade_at_a_time_whichever_kernel_is_used(engine: RiskEngine) -> None:
    trades = day_of_trades()
    sides = [t.parties[0].party_id for t in trades]
    rows, ok, failures = engine.pnl_rows(trades, sides, (AccountType.HOUSE, AccountType.CLIENT))
    assert ok == list(range(len(trades)))
    assert failures == []
    for account_type in (AccountType.HOUSE, AccountType.CLIENT):
        expected = np.array(
            [engine.trade_pnl(t, s, account_type) for t, s in zip(trades, sides, strict=True)]
        )
        assert rows[account_type].shape == expected.shape
        scale = np.abs(expected).max(axis=1, keepdims=True)
        assert np.all(np.abs(rows[account_type] - expected) <= 1e-12 * scale)
    # distinct dates: every form is a different one, and the rows are still each trade's own
    spread = [b.irs("AUD", start=date(2026, 11, 24 + n), trade_id=f"S{n}") for n in range(3)]
    rows, ok, _ = engine.pnl_rows(spread, [b.A] * 3)
    expected = np.array([engine.trade_pnl(t, b.A) for t in spread])
    assert np.all(np.abs(rows[AccountType.HOUSE] - expected) <= 1e-12 * np.abs(expected).max())


def test_an_unpriceable_trade_is_reported_and_costs_the_others_nothing(engine: RiskEngine) -> None:
    trades = day_of_trades()[:4]
    bad = cast(Trade, with_float(b.irs("AUD", trade_id="BAD"), floating_index="AUD-MADE-UP-RATE"))
    batch = [trades[0], trades[1], bad, trades[2], trades[3]]
    rows, ok, failures = engine.pnl_rows(batch, [b.A] * 5)
    assert ok == [0, 1, 3, 4]
    assert [(i, e.code) for i, e in failures] == [(2, ReasonCode.RISK_UNKNOWN_INDEX)]
    expected = np.array([engine.trade_pnl(t, b.A) for t in trades])
    assert np.all(np.abs(rows[AccountType.HOUSE] - expected) <= 1e-12 * np.abs(expected).max())
    rows, ok, failures = engine.pnl_rows([bad], [b.A])
    assert ok == []
    assert rows[AccountType.HOUSE].shape == (0, 1250)
