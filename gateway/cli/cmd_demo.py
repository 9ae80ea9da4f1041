"""``clearing-gateway demo``: a day of clearing on the embedded defaults, with a summary at the end."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli.app import app

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.demo.runner import DemoReport


@app.command("demo")
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Working folder: database, market data, FIX logs, position file.")
    ] = Path("var/demo"),
    trades: Annotated[int, typer.Option(min=1, max=5000, help="Straight-through trades in the day.")] = 60,
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
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gateway import logs
    from gateway.demo.runner import run_demo
    from gateway.service import StartupError

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
            console.print("[red]cannot start the gateway:[/red] " + escape(str(exc)), highlight=False)
            raise typer.Exit(1) from None
    _summary(console, report)
    if not report.as_intended:
        console.print("[red]some trades did not end as the day intended (see the table above)[/red]")
        raise typer.Exit(1)


def _money(x: object) -> str:
    from decimal import Decimal

    return f"{Decimal(str(x)):,.0f}"


def _summary(console: Console, r: DemoReport) -> None:
    from rich.table import Table

    console.print(
        f"\n[bold]Business date {r.business_date}[/bold]: {len(r.results)} trades in {r.elapsed_s:.1f}s"
    )
    outcomes = Table(title="Outcomes")
    outcomes.add_column("intended")
    outcomes.add_column("route")
    outcomes.add_column("outcome")
    outcomes.add_column("trades", justify="right")
    groups: dict[tuple[str, str, str], int] = {}
    for t in r.results:
        key = (t.intent.value, t.route.value, t.outcome)
        groups[key] = groups.get(key, 0) + 1
    for (intent, route, outcome), n in sorted(groups.items()):
        style = "" if (outcome == "cleared") == intent.startswith(("cleared", "pending,")) else "yellow"
        outcomes.add_row(intent, route, outcome, str(n), style=style)
    console.print(outcomes)

    reasons = Table(title="Refusal and pending reasons")
    reasons.add_column("trade")
    reasons.add_column("outcome")
    reasons.add_column("reason codes")
    for t in r.results:
        if t.outcome != "cleared" or t.intent.name != "CLEAR":
            reasons.add_row(t.trade_id, t.outcome, ", ".join(dict.fromkeys(t.codes)) or "-")
    console.print(reasons)

    members = Table(title="Members (AUD)")
    for col in ("member", "collateral", "initial margin", "excess", "tolerance", "headroom"):
        members.add_column(col, justify="right" if col != "member" else "left")
    for m in r.members:
        members.add_row(
            m.member,
            _money(m.collateral),
            _money(m.initial_margin),
            _money(m.excess),
            _money(m.tolerance_limit),
            _money(m.headroom),
        )
    console.print(members)

    latency = r.latency_percentiles()
    if latency:
        figures = ", ".join(f"{k} {v:.0f} ms" for k, v in latency.items())
        console.print(f"Submission to final status, straight-through trades: {figures}")
    console.print(
        f"Statuses published and observed: {r.statuses_seen}; FIX status reports to Bank C: {r.fix_reports}"
    )
    console.print(f"CCP position report ({r.position_rows} rows): {r.positions_file}")
    console.print(f"FpML messages validated against: {r.schema}", markup=False)
