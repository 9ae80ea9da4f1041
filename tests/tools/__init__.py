"""Tests of the tools (demo, benchmarks)."""
