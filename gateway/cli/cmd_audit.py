"""``clearing-gateway audit list [--since D] [--operator O]``: who changed reference data or state, and how."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.cmd_admin import emit, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, sub_app
from gateway.cli.running import run

audit_app = sub_app("The audit of admin commands.")
app.add_typer(audit_app, name="audit")


def _since(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date or time: {value!r}", param_hint="--since") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str | None, typer.Option("--since", help="From this date or time (ISO; UTC unless it says).")
    ] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Only this operator's commands.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Every recorded admin command: time, operator, command, arguments, outcome."""
    start = None if since is None else _since(since)

    async def body() -> list[dict[str, Any]]:
        from gateway.store import audit_repo
        from gateway.store.engine import reading

        engine = await open_db(db)
        try:
            async with reading(engine) as conn:
                return [e.to_dict() for e in await audit_repo.entries(conn, since=start, operator=operator)]
        finally:
            await engine.dispose()

    emit(run(body), as_json, ["at", "operator", "command", "arguments", "outcome"])
