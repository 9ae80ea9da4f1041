"""``clearing-gateway fix ...`` (acceptor, dictionaries), ``clearing-gateway bench fix`` and ``bench fix-read``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.app import app, bench_app
from gateway.cli.kit import sub_app, usage

fix_app = sub_app("FIX 5.0 SP2 acceptor for clearing members.")
app.add_typer(fix_app, name="fix")


@fix_app.command("serve")
def serve(
    config: Annotated[
        Path,
        typer.Option(
            help="Acceptor TOML: [acceptor] and one [[members]] per CompID.", exists=True, dir_okay=False
        ),
    ],
    port_factory: Annotated[
        str,
        typer.Option(
            hidden=True,
            help="Developer hook: module:function returning the ClearingPort for the AcceptorConfig.",
        ),
    ] = "",
) -> None:
    """Run the acceptor until SIGTERM/SIGINT."""
    from gateway.channels.fix.__main__ import main

    if not port_factory:
        usage(
            "--config",
            "the standalone acceptor needs a clearing port; run `clearing-gateway serve`, which includes "
            "the FIX acceptor",
        )
    raise typer.Exit(main(["--config", str(config), "--port-factory", port_factory]))


@fix_app.command("dictionary")
def dictionary(
    check: Annotated[bool, typer.Option(help="Only check the committed files are up to date.")] = False,
    upstream: Annotated[
        Path | None,
        typer.Option(
            help="Directory with FIX50SP2.xml and FIXT11.xml (default: quickfix's).",
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Rebuild fix_specs/*-CCP.xml from the FIX repository files quickfix installs and fix_specs/roe.py."""
    from fix_specs.build import main

    argv = ["--check"] if check else []
    if upstream is not None:
        argv += ["--upstream", str(upstream)]
    raise typer.Exit(main(argv))


@bench_app.command("fix")
def bench_fix(
    messages: Annotated[int, typer.Option(min=10, help="Round trips measured per acceptor.")] = 3000,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating echo/gateway rounds.")] = 5,
) -> None:
    """AE -> AR round trips per second through our acceptor and through a bare quickfix echo acceptor."""
    import asyncio
    import json

    from tools.bench.fix import run

    result = asyncio.run(run(messages, rounds))
    typer.echo(json.dumps(result.as_dict()))


@bench_app.command("fix-read")
def bench_fix_read(
    reads: Annotated[int, typer.Option(min=1, help="Reads of one body per timed run.")] = 3000,
    repeat: Annotated[int, typer.Option(min=1, help="Timed runs; the best one counts.")] = 5,
) -> None:
    """Microseconds to read one AE body into the canonical trade, and to refuse a broken one."""
    import json

    from tools.bench.fix_read import run

    typer.echo(json.dumps(run(reads, repeat).as_dict()))
