"""Run the FIX acceptor on its own: ``python -m gateway.channels.fix --config fix.toml --port-factory mod:fn``.

``--port-factory`` names a callable taking the ``AcceptorConfig`` and returning the ``ClearingPort`` to
hand submissions to (the clearing service wires its own port when it runs the acceptor in-process).
The process runs until SIGTERM or SIGINT and then logs every session out.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway import logs
from gateway.channels.fix.acceptor import FixAcceptor
from gateway.channels.fix.config import AcceptorConfig, FixConfigError
from gateway.clearing.ports import ClearingPort


def load_factory(spec: str) -> Callable[[AcceptorConfig], ClearingPort]:
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--port-factory must look like package.module:function, got {spec!r}")
    factory: Any = getattr(importlib.import_module(module), name)
    if not callable(factory):
        raise ValueError(f"{spec} is not callable")
    return factory  # type: ignore[no-any-return]


async def serve(config: AcceptorConfig, port: ClearingPort) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with FixAcceptor(config, port):
        print(f"FIX acceptor {config.comp_id} listening on port {config.port}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.channels.fix", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port-factory", required=True)
    parser.add_argument(
        "--log-format", help=f"auto, json or console (default: ${logs.ENV_VAR}, else auto)", default=None
    )
    args = parser.parse_args(argv)
    try:
        logs.configure(logs.choose_format(args.log_format, os.environ, logs.LogFormat.AUTO), logging.INFO)
    except logs.LogSettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        config = AcceptorConfig.from_toml(args.config)
        factory = load_factory(args.port_factory)
    except (FixConfigError, ValueError, ImportError, AttributeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(config, factory(config)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
