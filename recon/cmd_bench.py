"""``clearing-recon bench``: our reconciliation against datacompy on two generated books (JSON)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from recon.cli import app


@app.command("bench")
def bench(
    rows: Annotated[int, typer.Option(min=1000, help="Trades in the CCP book.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated books.")] = 7,
    repeat: Annotated[int, typer.Option(min=1, help="Runs of each engine; the best is reported.")] = 3,
) -> None:
    """Time both engines on the same books with injected breaks of every type; print JSON."""
    from tools.bench.recon import run_bench

    typer.echo(json.dumps(run_bench(rows, seed=seed, repeat=repeat), indent=2))
