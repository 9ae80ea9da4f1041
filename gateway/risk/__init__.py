"""Risk engine: market data, trade resolution, vectorised valuation, scenarios, margin, credit check.

market = MarketData.load(directory)                 # or market_from_rates(as_of, {...})
engine = RiskEngine(market, RiskConfig())
engine.price(trade, party_id, cashflows=True)       -> Valuation (NPV, PV01, bucketed deltas)
engine.trade_pnl(trade, party_id, account_type)     -> (scenarios,) P&L vector
engine.pnl_batch(trades, party_ids, account_type)   -> (trades x scenarios)
engine.account_pnl(trades, party_ids, accounts)     -> {account: P&L vector} (end of day)
engine.margin(pnl, account_type, member)            -> MarginResult (IM, add-ons, worst scenarios)
initial_margin(pnl, margin_config, member)          -> float
incremental_check(account_pnl, trade_pnl, excess_collateral, unused_tolerance, ...) -> CreditCheckResult
incremental_check_batch(...)                        -> BatchCreditResult
"""

from gateway.risk.config import MarginConfig, MarginModel, RiskConfig, ScenarioConfig, ShiftKind
from gateway.risk.conventions import Unpriceable
from gateway.risk.credit import (
    BatchCreditResult,
    CreditCheckResult,
    collateral_value,
    excess_collateral,
    incremental_check,
    incremental_check_batch,
)
from gateway.risk.engine import RiskEngine, Valuation
from gateway.risk.margin import MarginResult, base_margin, initial_margin
from gateway.risk.market.data import History, MarketData
from gateway.risk.market.loader import market_from_rates
from gateway.risk.scenarios import ScenarioSet

__all__ = [
    "BatchCreditResult",
    "CreditCheckResult",
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
    "collateral_value",
    "excess_collateral",
    "incremental_check",
    "incremental_check_batch",
    "initial_margin",
    "market_from_rates",
]
