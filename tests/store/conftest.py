"""Every store-backed test runs twice: on a SQLite file and on a real PostgreSQL database.

The schema is migrated once per session (a SQLite template file, a PostgreSQL database); each test then
gets its own copy of the file, or the PostgreSQL database emptied, so tests stay isolated
and fast. The migration tests themselves use ``fresh_db_url``: an empty file or a brand-new database
from the shared ``postgres_url`` fixture.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.store import create_engine, open_store
from gateway.store.tables import metadata
from tests.conftest import PG_DB, PG_HOST, PG_PORT, PG_USER, _need


async def _migrate(url: str) -> None:
    engine = await open_store(url)
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "gateway.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the session, dropped at the end."""
    _need(PG_HOST, PG_PORT, "PostgreSQL")
    import asyncpg  # type: ignore[import-untyped]

    name = f"clearing_store_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_session_url")
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    if eng.dialect.name == "postgresql":
        async with eng.begin() as conn:  # DELETE beats TRUNCATE on a handful of rows
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: no schema yet."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def fresh_engine(fresh_db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await open_store(fresh_db_url)
    try:
        yield eng
    finally:
        await eng.dispose()
