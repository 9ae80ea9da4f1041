"""Tests of the FpML 5.10 writers."""
