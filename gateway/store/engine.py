"""The async engine (SQLite by default, PostgreSQL in production) and schema upgrades through Alembic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///./var/gateway.db"
_READONLY = "gateway_readonly"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str = DEFAULT_URL, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout, and their folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # Transactions are begun below as BEGIN IMMEDIATE: a read-then-write transaction then waits for
            # the write lock up front (busy_timeout) instead of failing when another writer got in first.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            # Readers (``reading``) take no write lock, so pollers never hold up the pipeline.
            readonly = conn.get_execution_options().get(_READONLY, False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs three round trips (BEGIN, a query, ROLLBACK) at every checkout, more than most
    # of the statements it guards. Instead a checkout asks the driver whether the connection's socket is
    # still open (no round trip): a server that ended its backends (a restart) has closed them, and the
    # pool replaces such a connection. A connection that dies later fails its statement with a disconnect
    # error, which makes the pool discard every connection it holds; the caller's retry gets a fresh one.
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_conn, "driver_connection", None)
        closed = getattr(driver, "is_closed", None)
        if closed is not None and closed():
            raise DisconnectionError("the server closed this connection")

    return engine


@asynccontextmanager
async def reading(engine: AsyncEngine, *, snapshot: bool = True) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only: on SQLite its transaction does not take the write lock.

    ``snapshot=False`` (PostgreSQL): no transaction, each statement reads what is committed when it runs;
    saves the BEGIN and ROLLBACK round trips of a poll whose statements need no common snapshot.
    """
    async with engine.connect() as conn:
        if not snapshot and engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            await conn.execution_options(**{_READONLY: True})
        yield conn


def alembic_config() -> Config:
    """Alembic configuration held in code: no alembic.ini needed at run time."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def _upgrade(sync_conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, revision)


def _downgrade(sync_conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.downgrade(cfg, revision)


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``; safe to run at every start."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def downgrade_schema(engine: AsyncEngine, revision: str) -> None:
    """Step the schema back to ``revision`` (``base`` drops every table)."""
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def open_store(url: str = DEFAULT_URL) -> AsyncEngine:
    """An engine whose schema is at the latest revision."""
    engine = create_engine(url)
    await upgrade_schema(engine)
    return engine
