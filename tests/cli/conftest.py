"""Commands run in-process here configure logging as they would in their own process: undo it after each."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    saved = structlog.get_config()
    configured = structlog.is_configured()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    if configured:
        structlog.configure(**saved)
    else:
        structlog.reset_defaults()
    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
