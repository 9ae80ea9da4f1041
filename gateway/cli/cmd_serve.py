"""``clearing-gateway serve``: run the gateway until SIGTERM or SIGINT."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app
from gateway.cli.kit import refuse


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
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
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
    from dataclasses import replace

    from gateway.app import StartupError, serve_until_signalled
    from gateway.config import ConfigError, load_config

    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown level {log_level!r}", param_hint="--log-level")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise refuse("--config", f"{exc}: correct the configuration file") from None
    if schema_dir is not None:
        cfg = replace(cfg, fpml=replace(cfg.fpml, schema_dir=schema_dir))
    try:
        asyncio.run(serve_until_signalled(cfg))
    except StartupError as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    except Exception:
        # A component failed and the TaskGroup stopped the others: the log says which and why.
        logging.getLogger("gateway").exception("the gateway stopped after an internal failure")
        typer.echo("the gateway stopped after an internal failure (see the log above)", err=True)
        raise typer.Exit(1) from None
