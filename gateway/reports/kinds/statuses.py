"""``statuses.csv``: every status of the day of a trade the member is party to, with its own sides only."""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.workflow import submission_ref
from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = (
    "business_date",
    "member",
    "submission_id",
    "source_trade_id",
    "uti",
    "sequence",
    "status",
    "at",
    "ccp_trade_ids",
    "reason_codes",
    "event_id",
)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    h, s, c = t.status_history.c, t.submissions.c, t.cleared_trades.c
    q = (
        select(
            h.submission_id,
            s.source_trade_id,
            s.uti,
            h.sequence,
            h.status,
            h.at,
            h.ccp_trade_ids,
            h.reasons,
            h.event_id,
        )
        .join(t.submissions, s.id == h.submission_id)
        .where(
            or_(s.member_a == scope.member_id, s.member_b == scope.member_id),
            h.at > scope.start,
            h.at <= scope.end,
        )
        .order_by(h.at, h.submission_id, h.sequence)
    )
    found = list(await conn.execute(q))
    ids = {i for r in found for i in json.loads(r.ccp_trade_ids)}
    own: set[str] = set()
    if ids:  # a member sees its own sides' ids, never the other member's
        own = set(
            (
                await conn.execute(
                    select(c.ccp_trade_id).where(c.ccp_trade_id.in_(ids), c.member_id == scope.member_id)
                )
            ).scalars()
        )
    out: list[Row] = []
    for r in found:
        codes = [str(x["code"]) for x in json.loads(r.reasons)]
        mine = [i for i in json.loads(r.ccp_trade_ids) if i in own]
        out.append(
            (
                scope.business_date,
                scope.member_id,
                submission_ref(r.submission_id),
                r.source_trade_id,
                r.uti,
                r.sequence,
                r.status,
                r.at,
                ";".join(mine),
                ";".join(codes),
                r.event_id,
            )
        )
    return out


KIND = ReportKind("statuses", COLUMNS, rows)
