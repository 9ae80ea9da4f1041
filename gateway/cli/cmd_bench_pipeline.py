"""``clearing-gateway bench pipeline``: trades/s and latency through the running gateway, as JSON.

``clearing-gateway bench path``: the files one MQTT trade's calls pass through in the running gateway
(``tools/trace_path.py``).

``clearing-gateway bench pipeline-floor``: the cost of the parts of a cleared trade that no design avoids.
Each figure is per unit (document, message, round trip), measured alone in this process: CPU seconds
from ``time.process_time`` (this process only: the broker's and the database's own work is not in it)
and wall-clock seconds. Multiplied by the units a trade needs (one request read, one request received,
six statuses published, the database round trips) they give a floor under the gateway's CPU per trade.
"""

from __future__ import annotations

import asyncio
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
    from tools.bench.pipeline import BenchSettings, dumps, run_bench

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


@bench_app.command("pipeline-floor")
def bench_pipeline_floor(
    trades: Annotated[int, typer.Option(min=10, help="Requests parsed and messages published.")] = 500,
    mqtt_host: Annotated[str, typer.Option(help="Broker (Mosquitto).")] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    pg: Annotated[str, typer.Option(help="PostgreSQL URL for the round-trip figure.")] = (
        "postgresql://postgres@127.0.0.1:5432/test"
    ),
) -> None:
    """What a cleared trade costs at least, part by part, with nothing of the gateway around it (JSON).

    Per trade the gateway reads one ``requestClearing`` (parse + XSD validation), receives it at QoS 1,
    publishes six statuses at QoS 1 (Received and Cleared to the source and both members) and talks to
    PostgreSQL. Each part is timed here on its own in this process: CPU (``process_time``) and wall.
    """
    import json

    from tools.bench.floor import run_floor

    result = asyncio.run(run_floor(trades, (mqtt_host, mqtt_port), pg))
    typer.echo(json.dumps(result, indent=2, sort_keys=True))


@bench_app.command("path")
def bench_path(
    workdir: Annotated[
        Path | None,
        typer.Option(help="Keep the database, market data and FIX logs here (else a temporary folder)."),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(help="DEBUG, INFO, WARNING or ERROR: the gateway's log level, as serve's (on stderr)."),
    ] = "INFO",
) -> None:
    """One FpML trade over MQTT, intake to published clearingConfirmed: every project file its calls touch (JSON)."""
    import json

    from gateway import logs
    from tools.trace_path import run

    try:
        level = logs.parse_level(log_level, "--log-level")
    except logs.LogSettingError as exc:
        raise typer.BadParameter(exc.message, param_hint=exc.where) from None
    try:
        result = run(workdir, log_level=level)
    except (RuntimeError, OSError) as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result, indent=2))
