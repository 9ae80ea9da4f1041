"""Running a command's body: one event loop, logs on standard error, failures to the one error path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def run(body: Callable[[], Awaitable[T]]) -> T:
    """Run ``body``; whatever it raises is reported by the command line's one error path (``kit.report``)."""
    import logging

    import structlog

    from gateway import logs

    if not structlog.is_configured():  # logs to stderr: stdout carries the command's JSON or table
        logs.configure(logs.LogFormat.CONSOLE, logging.WARNING)
    return asyncio.run(_call(body))


async def _call(body: Callable[[], Awaitable[T]]) -> T:
    return await body()
