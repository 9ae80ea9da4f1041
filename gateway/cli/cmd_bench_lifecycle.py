"""``clearing-gateway bench lifecycle``: partial terminations per second through the clearing service, as JSON
(``tools/bench/lifecycle.py``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gateway.cli.app import bench_app


@bench_app.command("lifecycle")
def bench_lifecycle(
    trades: Annotated[int, typer.Option(min=1, help="Trades cleared, then each partly terminated.")] = 1000,
    pg: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL admin URL: a fresh database is created and dropped. Without it: SQLite."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Terminations in flight (the MQTT intake's window is 20).")
    ] = 20,
    compression: Annotated[
        int,
        typer.Option(
            "--compression",
            min=0,
            help="Then clear this many more swaps and compress Bank A's account (0: no).",
        ),
    ] = 0,
) -> None:
    """Clear --trades swaps, then terminate half of each through the port the MQTT intake uses; time each
    until its Cleared status is in the outbox. With --compression N: time one compression run over N more
    cleared swaps (its peak traced memory too)."""
    from gateway.cli.running import run
    from tools.bench.lifecycle import run_bench

    result = run(
        lambda: run_bench(trades=trades, pg_admin_url=pg, concurrency=concurrency, compression=compression)
    )
    typer.echo(json.dumps(result, indent=2, sort_keys=True))
