"""Benchmarks behind ``clearing-gateway bench ...`` and ``clearing-recon bench``."""
