"""``clearing-gateway serve``: run the gateway until SIGTERM or SIGINT."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app
from gateway.cli.kit import line, refuse


@app.command("serve")
def serve(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML configuration; without it, the embedded defaults.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="DEBUG, INFO, WARNING or ERROR; overrides the configuration's logging.level (INFO)."
        ),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            help="auto, json or console; overrides CLEARING_LOG_FORMAT and the configuration's "
            "logging.format (auto: console on a terminal, else one JSON object per line)."
        ),
    ] = None,
    schema_dir: Annotated[
        Path | None,
        typer.Option(
            help="The official FpML 5.10 confirmation schema directory (verified); overrides "
            "the configuration's fpml.schema_dir. Without either: CLEARING_FPML_SCHEMA_DIR, else the "
            "project's clearing profile.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Run the gateway: MQTT intake and publication, FIX, the clearing pipeline, /healthz and /metrics."""
    import asyncio
    import logging
    import os
    from dataclasses import replace

    from gateway import logs
    from gateway.app import StartupError, serve_until_signalled
    from gateway.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise refuse("--config", f"{exc}: correct the configuration file") from None
    try:  # the option, else the environment, else the configuration
        fmt = logs.choose_format(log_format, os.environ, cfg.logging.format)
        level = logs.parse_level(log_level, "--log-level") if log_level else None
    except logs.LogSettingError as exc:
        raise typer.BadParameter(exc.message, param_hint=exc.where) from None
    logs.configure(fmt, level or logs.parse_level(cfg.logging.level, "logging.level"))
    if schema_dir is not None:
        cfg = replace(cfg, fpml=replace(cfg.fpml, schema_dir=schema_dir))
    try:
        asyncio.run(serve_until_signalled(cfg))
    except StartupError as exc:  # the one-line error of every command, but exit 1: nothing typed was wrong
        typer.echo(line("clearing-gateway", exc.issue()), err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    except Exception:
        # A component failed and the TaskGroup stopped the others: the log says which and why.
        logging.getLogger("gateway").exception("the gateway stopped after an internal failure")
        typer.echo("the gateway stopped after an internal failure (see the log above)", err=True)
        raise typer.Exit(1) from None
