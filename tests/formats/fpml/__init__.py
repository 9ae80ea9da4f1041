"""Tests of the FpML reader and writers."""
