"""Who ran an admin command: ``--operator NAME``, else ``CLEARING_OPERATOR``, else the OS user (``os:NAME``).

``audited`` runs a command's body like ``running.run`` and records one ``audit_log`` row (time, operator,
command, arguments as JSON, outcome ``ok`` / ``refused: CODES`` / ``failed: ERROR``) in the command's
database, whatever the outcome.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from gateway.clock import Clock, SystemClock

T = TypeVar("T")
OPERATOR_ENV = "CLEARING_OPERATOR"

OperatorOption = Annotated[
    str | None,
    typer.Option(
        "--operator",
        help=f"Who runs the command, recorded in the audit table (default: ${OPERATOR_ENV}, else the OS user).",
        envvar=OPERATOR_ENV,
    ),
]


def operator_name(given: str | None) -> str:
    """The operator to record: the one given, else ``os:<login name>`` (said as such)."""
    if given is not None and given.strip():
        return given.strip()
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # no login name (a container without a passwd entry)
        return "os:unknown"


def audited(
    db: str,
    operator: str | None,
    command: str,
    arguments: dict[str, Any],
    body: Callable[[], Awaitable[T]],
    *,
    clock: Clock | None = None,
    create: bool = False,
) -> T:
    from gateway.cli.kit import check_db_url
    from gateway.cli.running import run
    from gateway.domain.errors import GatewayError

    check_db_url(
        db, create=create
    )  # a database the command cannot open has no audit table to write to either
    who = operator_name(operator)
    now = (clock or SystemClock()).now

    async def wrapped() -> T:
        try:
            result = await body()
        except GatewayError as exc:
            codes = ", ".join(dict.fromkeys(str(i.code) for i in exc.issues))
            await _record(db, who, command, arguments, f"refused: {codes}", now)
            raise
        except Exception as exc:
            await _record(db, who, command, arguments, f"failed: {type(exc).__name__}: {exc}", now)
            raise
        await _record(db, who, command, arguments, "ok", now)
        return result

    return run(wrapped)


async def _record(
    db: str, who: str, command: str, arguments: dict[str, Any], outcome: str, now: Callable[[], Any]
) -> None:
    import logging

    from gateway.cli.database import open_database
    from gateway.store import audit_repo

    try:
        engine = await open_database(db)
    except Exception:  # the database itself is what failed: the command's own error says so
        # (said at debug level: the command's one error line already names the database)
        logging.getLogger(__name__).debug("audit row not written: %s %s %s", who, command, outcome)
        return
    try:
        async with engine.begin() as conn:
            await audit_repo.record(conn, audit_repo.AuditEntry(now(), who, command, arguments, outcome))
    finally:
        await engine.dispose()
