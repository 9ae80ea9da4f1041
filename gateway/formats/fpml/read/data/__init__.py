"""Coded-value tables of the FpML reader (configuration, read with importlib.resources)."""
