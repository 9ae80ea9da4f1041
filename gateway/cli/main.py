"""Entry point of ``clearing-gateway``: imports every command module, then runs the app."""

from __future__ import annotations

import importlib

from gateway.cli.app import app

# One line per command module. Modules register their commands on import.
_COMMAND_MODULES: tuple[str, ...] = (
    "gateway.cli.cmd_serve",
    "gateway.cli.cmd_demo",
    "gateway.cli.cmd_bench_pipeline",
    "gateway.cli.cmd_bench_lifecycle",
    "gateway.cli.cmd_fpml",
    "gateway.cli.cmd_fpml_out",
    "gateway.cli.cmd_admin",
    "gateway.cli.cmd_source",
    "gateway.cli.cmd_audit",
    "gateway.cli.cmd_eod",
    "gateway.cli.cmd_margin",
    "gateway.cli.cmd_compress",
    "gateway.cli.cmd_calls",
    "gateway.cli.cmd_cashflows",
    "gateway.cli.cmd_export",
    "gateway.cli.cmd_risk",
    "gateway.cli.cmd_fixings",
    "gateway.cli.cmd_fix",
    "gateway.cli.cmd_mqtt",
    "gateway.cli.cmd_report",
)


def main() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)
    app()


if __name__ == "__main__":
    main()
