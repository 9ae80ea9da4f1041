"""The ``clearing-recon`` command line (options, help and errors: ``gateway/cli/kit.py``)."""

from __future__ import annotations

import importlib

from gateway.cli.kit import make_app

app = make_app("clearing-recon", "Reconcile clearing members' books against CCP positions.")

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
