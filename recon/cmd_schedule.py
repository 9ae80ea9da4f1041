"""``clearing-recon schedule``: the daily run of every configured member."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from recon.cli import app


@app.command("schedule")
def schedule(
    config: Annotated[
        Path,
        typer.Option(
            help="Schedule TOML: time, calendar, members and their files.", exists=True, dir_okay=False
        ),
    ],
    once: Annotated[bool, typer.Option("--once", help="Run the jobs due now and exit.")] = False,
    now: Annotated[
        str | None,
        typer.Option(help="Pretend it is this moment (ISO 8601 with offset); for replays.", hidden=True),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
) -> None:
    """Run every member at the configured time on business days. Exit 1 if a member's run failed."""
    import time as systime

    from gateway.clock import FixedClock, SystemClock
    from recon.schedule import load_config, next_due, run_due

    cfg = load_config(config)  # a bad file: one error line per problem, exit 2
    clock: FixedClock | SystemClock
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise typer.BadParameter(f"'{now}' is not an ISO 8601 moment", param_hint="--now") from None
        if moment.tzinfo is None:
            raise typer.BadParameter("give a UTC offset, e.g. 2026-01-05T19:30:00+11:00", param_hint="--now")
        clock = FixedClock(moment)
    else:
        clock = SystemClock()
    while True:
        results = run_due(cfg, clock, pdf=pdf)
        for r in results:
            typer.echo(
                f"{r.business_date} {r.member}: {'ok' if r.ok else 'FAILED'}: {r.detail}", err=not r.ok
            )
        if once:
            if not results:
                typer.echo(f"nothing due; next run at {next_due(cfg, clock.now()).isoformat()}")
            raise typer.Exit(0 if all(r.ok for r in results) else 1)
        wait = (next_due(cfg, clock.now()) - clock.now()).total_seconds()
        systime.sleep(max(1.0, min(wait, 300.0)))
