"""The ``clearing-recon`` command line."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="clearing-recon",
    help="Reconcile clearing members' books against CCP positions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_MODULES: tuple[str, ...] = (
    "recon.cmd_run",
    "recon.cmd_schedule",
    "recon.cmd_bench",
    "recon.cmd_sample_book",
)


def main() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)
    # the commands registered on ``recon.cli.app``; run as ``python -m recon.cli`` this module is
    # ``__main__``, a second copy whose ``app`` has none
    importlib.import_module("recon.cli").app()


if __name__ == "__main__":
    main()
