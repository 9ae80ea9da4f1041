"""Breaks kept across days (SQLAlchemy; SQLite by default): first seen, ageing, automatic closing, comments.

A break's id is stable across days (``engine.break_id``), so the same break seen again keeps its first-seen
date; a break no longer reported is closed on that day; one reported again after closing is a new
occurrence (first seen again). Acknowledgements and comments stay with the break.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.refdata.calendars import NamedCalendar

metadata = MetaData()

breaks_table = Table(
    "recon_breaks",
    metadata,
    Column("break_id", String(16), primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("break_type", String(32), nullable=False),
    Column("key", Text, nullable=False),
    Column("trade_id", String(128)),
    Column("uti", String(128)),
    Column("field", String(64)),
    Column("member_value", Text),
    Column("ccp_value", Text),
    Column("difference", Float),
    Column("source_file", Text),
    Column("source_row", Integer),
    Column("message", Text),
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("closed_on", Date),
    Column("acknowledged", Boolean, nullable=False, default=False),
    Column("comment", Text),
    Column("acknowledged_by", String(128)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Index("ix_recon_breaks_member_open", "member", "closed_on"),
)

runs_table = Table(
    "recon_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member", String(64), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),  # reconciled | unusable | failed
    Column("detail", Text),
    Index("ix_recon_runs_member_date", "member", "business_date"),
)

_VALUE_COLUMNS = (
    "break_type",
    "key",
    "trade_id",
    "uti",
    "field",
    "member_value",
    "ccp_value",
    "difference",
    "source_file",
    "source_row",
    "message",
)


_CHUNK = 900  # ids per IN (...) list: under SQLite's oldest limit of 999 parameters


def store_url(location: str) -> str:
    """A SQLAlchemy URL from a URL or a plain path (SQLite file, parent folders created)."""
    if "://" in location:
        return location
    path = Path(location).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


@dataclass(frozen=True, slots=True)
class Acknowledged:
    break_id: str
    member: str
    break_type: str
    comment: str
    by: str
    at: datetime
    open: bool


class BreakStore:
    def __init__(self, location: str, calendar: NamedCalendar | None = None) -> None:
        self.engine: Engine = create_engine(store_url(location))
        self.calendar = calendar or NamedCalendar()
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def age(self, member: str, business_date: date, breaks: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """Record today's breaks; return them with first_seen, age_business_days, comment, and how many closed.

        Refuses a date earlier than one already reconciled for the member (ageing would run backwards).
        Statements are bulk: one pass over the open breaks, row-by-row writes only for new, reopened or
        changed ones, so a bad day with hundreds of thousands of breaks stays a matter of seconds.
        """
        current: list[dict[str, Any]] = breaks.to_dicts()
        ids = [b["break_id"] for b in current]
        seen = set(ids)
        t = breaks_table.c
        with self._tx() as conn:
            latest = conn.execute(select(func.max(t.last_seen)).where(t.member == member)).scalar()
            if latest is not None and business_date < latest:
                raise InputRejected(
                    [
                        Issue(
                            ReasonCode.RECON_INPUT_ERROR,
                            "--date",
                            f"{member} was already reconciled for {latest}; {business_date} is earlier",
                        )
                    ]
                )
            open_rows = {
                r.break_id: r._mapping
                for r in conn.execute(
                    select(t.break_id, t.first_seen, t.comment, *[t[k] for k in _VALUE_COLUMNS]).where(
                        t.member == member, t.closed_on.is_(None)
                    )
                )
            }
            earlier = self._known(conn, member, [i for i in ids if i not in open_rows])  # closed before
            gone = [i for i in open_rows if i not in seen]
            for start in range(0, len(gone), _CHUNK):
                conn.execute(
                    update(breaks_table)
                    .where(t.member == member, t.break_id.in_(gone[start : start + _CHUNK]))
                    .values(closed_on=business_date)
                )
            conn.execute(
                update(breaks_table)
                .where(t.member == member, t.closed_on.is_(None))
                .values(last_seen=business_date)
            )
            inserts: list[dict[str, Any]] = []
            changed: list[dict[str, Any]] = []
            reopened: list[dict[str, Any]] = []
            for b in current:
                values = {k: b.get(k) for k in _VALUE_COLUMNS}
                stored = open_rows.get(b["break_id"])
                if stored is not None:
                    if any(stored[k] != values[k] for k in _VALUE_COLUMNS):
                        changed.append({**values, "_id": b["break_id"]})
                elif b["break_id"] in earlier:
                    reopened.append({**values, "_id": b["break_id"]})
                else:
                    inserts.append(
                        {
                            **values,
                            "break_id": b["break_id"],
                            "member": member,
                            "first_seen": business_date,
                            "last_seen": business_date,
                            "closed_on": None,
                            "acknowledged": False,
                        }
                    )
            if inserts:
                conn.execute(breaks_table.insert(), inserts)
            by_id = (t.break_id == bindparam("_id")) & (t.member == member)
            if changed:
                conn.execute(
                    update(breaks_table).where(by_id).values({k: bindparam(k) for k in _VALUE_COLUMNS}),
                    changed,
                )
            if reopened:
                conn.execute(
                    update(breaks_table)
                    .where(by_id)
                    .values(
                        {
                            **{k: bindparam(k) for k in _VALUE_COLUMNS},
                            "first_seen": business_date,
                            "last_seen": business_date,
                            "closed_on": None,
                            "acknowledged": False,
                        }
                    ),
                    reopened,
                )
        first_seen = {i: (open_rows[i]["first_seen"] if i in open_rows else business_date) for i in ids}
        notes = {i: (open_rows.get(i) or earlier.get(i) or {}).get("comment") for i in ids}
        ages: dict[date, int] = {}
        for day in set(first_seen.values()):
            ages[day] = self.calendar.business_days_between(day, business_date)
        aged = breaks.with_columns(
            pl.Series("first_seen", [first_seen[i] for i in ids], dtype=pl.Date),
            pl.Series("age_business_days", [ages[first_seen[i]] for i in ids], dtype=pl.Int64),
            pl.Series("comment", [notes[i] for i in ids], dtype=pl.String),
        )
        return aged, len(gone)

    def _known(self, conn: Connection, member: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        t = breaks_table.c
        known: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = conn.execute(
                select(t.break_id, t.first_seen, t.closed_on, t.comment).where(
                    t.member == member, t.break_id.in_(chunk)
                )
            )
            for row in rows:
                known[row.break_id] = dict(row._mapping)
        return known

    def acknowledge(self, break_id: str, comment: str, by: str, at: datetime) -> Acknowledged:
        with self._tx() as conn:
            row = conn.execute(select(breaks_table).where(breaks_table.c.break_id == break_id)).first()
            if row is None:
                raise InputRejected(
                    [Issue(ReasonCode.RECON_INPUT_ERROR, "BREAK_ID", f"no break with id '{break_id}'")]
                )
            conn.execute(
                update(breaks_table)
                .where(breaks_table.c.break_id == break_id, breaks_table.c.member == row.member)
                .values(acknowledged=True, comment=comment, acknowledged_by=by, acknowledged_at=at)
            )
        return Acknowledged(break_id, row.member, row.break_type, comment, by, at, row.closed_on is None)

    def get(self, break_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(breaks_table).where(breaks_table.c.break_id == break_id)).first()
        return None if row is None else dict(row._mapping)

    def open_breaks(self, member: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(breaks_table)
                .where(breaks_table.c.member == member, breaks_table.c.closed_on.is_(None))
                .order_by(breaks_table.c.first_seen, breaks_table.c.break_id)
            )
            return [dict(r._mapping) for r in rows]

    def record_run(
        self, member: str, business_date: date, at: datetime, outcome: str, detail: str = ""
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                runs_table.insert().values(
                    member=member, business_date=business_date, finished_at=at, outcome=outcome, detail=detail
                )
            )

    def has_reconciled(self, member: str, business_date: date) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(runs_table.c.id)
                .where(
                    runs_table.c.member == member,
                    runs_table.c.business_date == business_date,
                    runs_table.c.outcome == "reconciled",
                )
                .limit(1)
            ).first()
        return found is not None
