"""The audit of admin commands: who ran what, with which arguments, and how it ended."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store import tables as t


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    operator: str
    command: str
    arguments: dict[str, Any]
    outcome: str
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "operator": self.operator,
            "command": self.command,
            "arguments": self.arguments,
            "outcome": self.outcome,
        }


async def record(conn: AsyncConnection, entry: AuditEntry) -> None:
    await conn.execute(
        t.audit_log.insert().values(
            at=entry.at,
            operator=entry.operator,
            command=entry.command,
            arguments=json.dumps(entry.arguments, sort_keys=True, default=str),
            outcome=entry.outcome,
        )
    )


async def entries(
    conn: AsyncConnection, *, since: datetime | None = None, operator: str | None = None
) -> list[AuditEntry]:
    query = select(t.audit_log).order_by(t.audit_log.c.id)
    if since is not None:
        query = query.where(t.audit_log.c.at >= since)
    if operator is not None:
        query = query.where(t.audit_log.c.operator == operator)
    return [
        AuditEntry(r.at, r.operator, r.command, json.loads(r.arguments), r.outcome, r.id)
        for r in await conn.execute(query)
    ]
