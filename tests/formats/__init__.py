"""Tests of the formats (FpML, FIX)."""
