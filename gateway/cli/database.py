"""Opening the gateway's database for a ``clearing-gateway`` command (never for ``clearing-recon``).

``open_database`` checks the URL first (``kit.check_db_url``), upgrades the schema, and reports every failure
to reach the database as an ``InputRejected`` naming the option: an unreachable server as ``HOST:PORT
unreachable``, a SQLite file that cannot be opened by its path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.cli.kit import check_db_url, refuse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


async def open_database(url: str, *, where: str = "--db", create: bool = False) -> AsyncEngine:
    """The gateway's database at ``url``, schema upgraded; every failure to reach it is an ``InputRejected``."""
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from gateway.store import open_store

    check_db_url(url, where=where, create=create)
    parsed = make_url(url)
    try:
        return await open_store(url)
    except (OSError, TimeoutError, DBAPIError) as exc:
        if parsed.get_backend_name() == "sqlite":
            what = f"cannot open SQLite database {parsed.database}: {_first_line(exc)}"
        else:
            host = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
            what = f"database at {host} unreachable or refused the connection: {_first_line(exc)}"
        raise refuse(where, what + "; check the server and the URL") from None
    except SQLAlchemyError as exc:
        raise refuse(where, f"cannot use the database: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
