"""Risk engine: market data, trade resolution, vectorised valuation, scenarios, margin.

market = load_market(directory)                 # or market_from_rates(as_of, {...})
engine = RiskEngine(market, RiskConfig())
engine.price(trade, party_id, cashflows=True)       -> Valuation (NPV, PV01, bucketed deltas)
engine.trade_pnl(trade, party_id, account_type)     -> (scenarios,) P&L vector
engine.pnl_batch(trades, party_ids, account_type)   -> (trades x scenarios)
engine.account_pnl(trades, party_ids, accounts)     -> {account: P&L vector} (end of day)
engine.margin(pnl, account_type, member)            -> MarginResult (IM, add-ons, worst scenarios)
initial_margin(pnl, margin_config, member)          -> float
initial_margin_rows(pnls, margin_config, members)  -> IM of each row (accounts x scenarios)

The credit decision on these figures is ``gateway.clearing.credit.decide`` (the one credit rule).
"""

from gateway.risk.config import MarginConfig, MarginModel, RiskConfig, ScenarioConfig, ShiftKind
from gateway.risk.conventions import Unpriceable
from gateway.risk.engine import RiskEngine, Valuation
from gateway.risk.margin import MarginResult, base_margin, initial_margin, initial_margin_rows
from gateway.risk.market.data import History, MarketData
from gateway.risk.market.loader import market_from_rates
from gateway.risk.scenarios import ScenarioSet

__all__ = [
    "History",
    "MarginConfig",
    "MarginModel",
    "MarginResult",
    "MarketData",
    "RiskConfig",
    "RiskEngine",
    "ScenarioConfig",
    "ScenarioSet",
    "ShiftKind",
    "Unpriceable",
    "Valuation",
    "base_margin",
    "initial_margin",
    "initial_margin_rows",
    "market_from_rates",
]
