"""Clearing gateway for OTC interest-rate derivatives."""

__version__ = "0.1.0"
