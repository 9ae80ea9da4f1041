"""Fixtures of the risk tests: one synthetic market directory per session and an engine over it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.risk import MarketData, RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("market")
    write_market(out, AS_OF, seed=11, days=1300)
    return out


@pytest.fixture(scope="session")
def market(market_dir: Path) -> MarketData:
    return load_market(market_dir)


@pytest.fixture(scope="session")
def engine(market: MarketData) -> RiskEngine:
    return RiskEngine(market)
