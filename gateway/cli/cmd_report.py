"""``clearing-gateway report --member M --date D --kind K [--out FILE]``: a member's report of a business date,
written first if it is not there yet (docs/REPORTS.md)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app
from gateway.cli.cmd_admin import SettingsOption, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, refuse
from gateway.cli.running import run

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The gateway's TOML configuration: its [reports] dir is where reports are (unless --dir).",
        exists=True,
        dir_okay=False,
    ),
]


def _reports_dir(folder: Path | None, config: Path | None) -> Path:
    if folder is not None:
        return folder
    from gateway.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise refuse("--config", f"{exc}: correct the configuration file") from None
    if cfg.reports.dir is None:
        raise refuse("--dir", "no report directory: give --dir, or --config with [reports] dir set")
    return cfg.reports.dir


@app.command("report")
def report(
    member: Annotated[str, typer.Option("--member", help="Clearing member id, e.g. BANKA.")],
    business_date: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="trades, statuses, positions, margin, collateral, movements (CSV) or statement (PDF).",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Copy the report to FILE instead of printing it.", dir_okay=False),
    ] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="The reports directory (default: [reports] dir of --config).")
    ] = None,
    config: ConfigOption = None,
    db: DbOption = DEFAULT_DB,
    settings: SettingsOption = None,
) -> None:
    """Print a member's report of a business date (a CSV), or copy it to --out; the PDF statement is copied
    to --out or its path printed. A report not written yet is written first, with the member's others."""
    from gateway.cli.cmd_eod import parse_date

    day = parse_date(business_date)

    async def body() -> Path:
        from gateway.clock import SystemClock
        from gateway.reports.writer import ReportWriter, check_request
        from gateway.rules.hours import ServiceHours
        from gateway.rules.settings import ClearingSettings

        rules = ClearingSettings.load(settings)
        engine = await open_db(db)
        try:
            await check_request(engine, member, day, kind)  # what was asked for, before where it goes
            root = _reports_dir(folder, config)
            writer = ReportWriter(
                engine, root, ServiceHours(rules.service_hours, rules.backload), SystemClock()
            )
            return await writer.report(member, day, kind)
        finally:
            await engine.dispose()

    path = run(body)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        typer.echo(str(out))
    elif path.suffix == ".pdf":
        typer.echo(str(path))
    else:
        sys.stdout.write(path.read_text(encoding="utf-8"))
        sys.stdout.flush()
