"""``clearing-gateway bench pipeline``: trades/s and latency through the running gateway, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import bench_app


@bench_app.command("pipeline")
def bench_pipeline(
    trades: Annotated[int, typer.Option(min=1, help="Trades in the sustained burst.")] = 1000,
    latency_trades: Annotated[int, typer.Option(min=1, help="Trades offered at --rate.")] = 1000,
    rate: Annotated[
        float, typer.Option(min=1, help="Offered trades per second for the latency run.")
    ] = 500.0,
    mqtt_host: Annotated[str, typer.Option(help="Broker (Mosquitto).")] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    pg: Annotated[
        str | None,
        typer.Option(help="PostgreSQL admin URL; a fresh database is created and dropped. 'none': SQLite."),
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    round_trips: Annotated[int, typer.Option(min=1, help="Bare MQTT round trips measured.")] = 500,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep market data, config and gateway log here.")
    ] = None,
) -> None:
    """Publish requestClearing to a gateway process over Mosquitto and PostgreSQL; time each clearingConfirmed."""
    import asyncio

    from gateway.demo.bench import BenchSettings, dumps, run_bench

    settings = BenchSettings(
        mqtt_host=mqtt_host,
        mqtt_port=mqtt_port,
        db_admin_url=None if pg in (None, "none") else pg,
        trades=trades,
        latency_trades=latency_trades,
        rate=rate,
        round_trips=round_trips,
        workdir=workdir,
    )
    try:
        result = asyncio.run(run_bench(settings))
    except (RuntimeError, OSError) as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(dumps(result))
