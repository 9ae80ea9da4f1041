"""Market data: curves, history, loaders and the synthetic generator."""

from gateway.risk.market.curves import Curve, add_period, year_time
from gateway.risk.market.data import History, MarketData

__all__ = ["Curve", "History", "MarketData", "add_period", "year_time"]
