"""Risk engine: market data, trade resolution, vectorised valuation, scenarios, margin, credit check."""
