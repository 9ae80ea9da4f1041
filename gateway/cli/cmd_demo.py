"""``clearing-gateway demo``: a day of clearing on the embedded defaults, with a summary at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app


@app.command("demo")
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Working folder: database, market data, FIX logs, position file.")
    ] = Path("var/demo"),
    trades: Annotated[
        int,
        typer.Option(
            min=2,
            max=5000,
            help="Straight-through trades in the day (two at least: the lifecycle phase needs them).",
        ),
    ] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the day's trades.")] = 2026,
    schema_dir: Annotated[
        Path | None,
        typer.Option(
            help="The official FpML 5.10 confirmation schema directory (verified); without it "
            "CLEARING_FPML_SCHEMA_DIR, else the project's clearing profile."
        ),
    ] = None,
) -> None:
    """Onboard three members, clear a day of trades (FpML over MQTT, FIX over TCP), print a summary."""
    import asyncio
    import logging

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gateway import logs
    from gateway.app import StartupError
    from gateway.cli.kit import line
    from tools.demo.runner import run_demo
    from tools.demo.summary import render

    logs.configure(logs.LogFormat.CONSOLE, logging.WARNING)
    console = Console()
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("preparing", total=1)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=max(total, 1))

        try:
            report = asyncio.run(
                run_demo(directory, trades=trades, seed=seed, progress=progress, schema_dir=schema_dir)
            )
        except StartupError as exc:
            bar.stop()
            typer.echo(line("clearing-gateway", exc.issue()), err=True)
            raise typer.Exit(1) from None
    render(console, report)
    if not report.as_intended:
        console.print(
            "[red]some trades or lifecycle events did not end as the day intended (see the tables above)[/red]"
        )
        raise typer.Exit(1)
