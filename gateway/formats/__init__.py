"""Formats: how bytes become values and values become bytes (FpML, FIX)."""
