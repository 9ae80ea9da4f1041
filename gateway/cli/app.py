"""The Typer applications that command modules attach themselves to.

Each ``gateway/cli/cmd_*.py`` module defines its commands on these objects; ``main.py`` imports them.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="clearing-gateway",
    help="Clearing gateway for OTC interest-rate derivatives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks that print JSON figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
