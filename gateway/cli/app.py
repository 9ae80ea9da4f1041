"""The Typer applications that command modules attach themselves to.

Each ``gateway/cli/cmd_*.py`` module defines its commands on these objects; ``main.py`` imports them.
Options, help and errors follow ``gateway/cli/kit.py``.
"""

from __future__ import annotations

from gateway.cli.kit import make_app, sub_app

app = make_app("clearing-gateway", "Clearing gateway for OTC interest-rate derivatives.")
bench_app = sub_app("Benchmarks that print JSON figures.")
app.add_typer(bench_app, name="bench")
