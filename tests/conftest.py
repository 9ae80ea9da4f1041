"""Shared fixtures: real PostgreSQL and Mosquitto where the machine has them.

Locally a missing service skips its tests. Under CI (``CI=true``) or with ``CLEARING_REQUIRE_SERVICES=1``
a missing service fails them instead, so a green CI always means the real components were exercised.
The same holds for the official FpML schema set and examples (``../shared/fpml``, marker
``official_fpml``): a user's clone has no ``../shared``, so those tests skip there, naming what is missing.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FPML_EXAMPLES = SHARED / "fpml" / "examples"
FPML_SCHEMA_DIR = SHARED / "fpml" / "schema" / "5-10-confirmation"

PG_HOST = os.environ.get("CLEARING_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CLEARING_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CLEARING_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("CLEARING_TEST_PG_DB", "test")
MQTT_HOST = os.environ.get("CLEARING_TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("CLEARING_TEST_MQTT_PORT", "1883"))


@pytest.fixture(autouse=True)
def _logging_undone() -> Iterator[None]:
    """A command run in this process (serve, the demo, an admin command) sets up the process's logging
    (gateway/logs.py); the next test starts without that set-up."""
    yield
    from gateway import logs

    logs.reset()


def services_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("CLEARING_REQUIRE_SERVICES") == "1"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _need(host: str, port: int, what: str) -> None:
    if _reachable(host, port):
        return
    message = f"{what} is not reachable at {host}:{port}"
    if services_required():
        pytest.fail(message + " (required under CI; .ci/run starts it)")
    pytest.skip(message)


OFFICIAL_FPML_FIXTURES = frozenset({"fpml_examples", "fpml_schema_dir"})


def official_fpml_missing() -> str | None:
    """What of the official FpML set (schema and examples, ``../shared/fpml``) is absent, if anything."""
    if not (FPML_SCHEMA_DIR / "fpml-main-5-10.xsd").is_file():
        return f"the official FpML 5.10 schema set is not at {FPML_SCHEMA_DIR}"
    if not FPML_EXAMPLES.is_dir():
        return f"the official FpML examples are not at {FPML_EXAMPLES}"
    return None


_official_skipped: list[str] = []


def _need_official_fpml(nodeid: str | None = None) -> None:
    missing = official_fpml_missing()
    if missing is None:
        return
    if services_required():
        pytest.fail(
            f"official_fpml: {missing} (required under CI; developers' machines and CI have ../shared)"
        )
    if nodeid is not None:
        _official_skipped.append(nodeid)
    pytest.skip(f"official_fpml: {missing}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using the official set's fixtures are ``official_fpml`` without saying so."""
    for item in items:
        if OFFICIAL_FPML_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.official_fpml)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("official_fpml") is not None:
        _need_official_fpml(item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the tests skipped for want of the official FpML set, by file."""
    if not _official_skipped:
        return
    by_file: dict[str, int] = {}
    for nodeid in _official_skipped:
        name = nodeid.split("::", 1)[0]
        by_file[name] = by_file.get(name, 0) + 1
    terminalreporter.section("official_fpml tests skipped (no ../shared/fpml)")
    for name, n in sorted(by_file.items()):
        terminalreporter.write_line(f"{name}: {n}")
    for nodeid in _official_skipped:
        terminalreporter.write_line(f"  {nodeid}")


@pytest.fixture(scope="session")
def fpml_examples() -> Path:
    _need_official_fpml()
    return FPML_EXAMPLES


@pytest.fixture(scope="session")
def fpml_schema_dir() -> Path:
    _need_official_fpml()
    return FPML_SCHEMA_DIR


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards (SQLAlchemy asyncpg URL)."""
    _need(PG_HOST, PG_PORT, "PostgreSQL")
    import asyncpg  # type: ignore[import-untyped]

    name = f"clearing_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def mosquitto() -> tuple[str, int]:
    """Host and port of the real Mosquitto broker."""
    _need(MQTT_HOST, MQTT_PORT, "Mosquitto")
    return MQTT_HOST, MQTT_PORT
