"""The CCP position file (CSV or Parquet, standard layout) and the gateway database's ``member_positions`` view.

``write_positions`` is what ``clearing-gateway export positions`` uses; ``read_positions`` and
``fetch_ccp_positions`` are how reconciliation reads the CCP side.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import astuple
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from gateway.domain.clearing import LIFECYCLE_COLUMNS, MEMBER_POSITIONS_VIEW, Position
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import InputRejected
from gateway.domain.file_formats import FileFormat, output_format
from gateway.domain.positions_asof import POSITION_NPVS_VIEW, POSITION_STATES_VIEW, positions_as_of_sql
from gateway.domain.reasons import ReasonCode
from recon.errors import unusable
from recon.layout import (
    DATE_COLUMNS,
    LIFECYCLE_DATES,
    LIFECYCLE_NUMERIC,
    NUMERIC_COLUMNS,
    POSITION_COLUMNS,
)
from recon.loader import LoadedBook, Side, load_book, normalise

POSITIONS_VIEW = MEMBER_POSITIONS_VIEW  # the view --db reads: its open rows (status CLEARED) are the book
POSITION_FORMATS = (FileFormat.CSV, FileFormat.PARQUET)
# the CCP position file: the standard columns, then each side's lifecycle (docs/RECON_FORMATS.md)
FILE_COLUMNS = (*POSITION_COLUMNS, *LIFECYCLE_COLUMNS)
MEMBERS_TABLE = "members"  # the gateway's clearing members: a --member not in it is refused
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

__all__ = [
    "POSITIONS_VIEW",
    "POSITION_COLUMNS",
    "fetch_ccp_positions",
    "positions_frame",
    "read_positions",
    "write_positions",
]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def positions_frame(rows: Iterable[Position] | Any) -> pl.DataFrame:
    """Positions (dataclasses, a pandas or a polars frame) as a text frame in the standard column order,
    then the lifecycle columns (every one for dataclasses; those a frame has)."""
    if isinstance(rows, pl.DataFrame) or type(rows).__module__.startswith("pandas"):
        frame: pl.DataFrame = rows if isinstance(rows, pl.DataFrame) else pl.from_pandas(rows)  # type: ignore[arg-type]
        missing = [c for c in POSITION_COLUMNS if c not in frame.columns]
        extra = [c for c in frame.columns if c not in FILE_COLUMNS]
        if missing or extra:
            raise ValueError(f"not the standard position layout: missing {missing}, unexpected {extra}")
        return frame.select(c for c in FILE_COLUMNS if c in frame.columns)
    data = [tuple(_text(v) for v in astuple(p)) for p in rows]
    return pl.DataFrame(data, schema=dict.fromkeys(FILE_COLUMNS, pl.String), orient="row")


def write_positions(rows: Iterable[Position] | Any, path: str | Path) -> int:
    """Write the CCP position file: Parquet for a ``.parquet``/``.pq`` path (typed columns), CSV for ``.csv``
    (exact text); any other suffix is refused (REF_INVALID_INPUT naming ``--out``) before anything is written.

    Returns the number of rows written. The file is written to a temporary name and renamed, so a reader
    never sees half a file.
    """
    target = Path(path)
    fmt = output_format(target, POSITION_FORMATS)
    frame = positions_frame(rows)
    tmp = target.with_name(f".{target.name}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt is FileFormat.PARQUET:
        typed = frame.select(
            pl.col(c).cast(pl.Float64)
            if c in NUMERIC_COLUMNS or c in LIFECYCLE_NUMERIC
            else pl.col(c).cast(pl.String).str.to_date("%Y-%m-%d")
            if (c in DATE_COLUMNS or c in LIFECYCLE_DATES) and frame.schema[c] == pl.String
            else pl.col(c).cast(pl.Date)
            if c in DATE_COLUMNS or c in LIFECYCLE_DATES
            else pl.col(c).cast(pl.String)
            for c in frame.columns
        )
        typed.write_parquet(tmp)
    else:
        frame.select(
            pl.col(c).cast(pl.String) if frame.schema[c] != pl.Date else pl.col(c).dt.strftime("%Y-%m-%d")
            for c in frame.columns
        ).write_csv(tmp)
    tmp.replace(target)
    return frame.height


def read_positions(path: str | Path, member: str) -> LoadedBook:
    """The CCP's position file for one member (rows of other members are set aside)."""
    return load_book(Path(path), member=member, side=Side.CCP)


async def fetch_ccp_positions(
    url: str,
    member: str,
    *,
    view: str = POSITIONS_VIEW,
    ended_since: date | None = None,
    as_of: date | None = None,
) -> LoadedBook:
    """Read the open positions of ``member`` (status CLEARED) from ``view`` (the standard columns) in the
    gateway database: the CCP's book as it stands, matured trades left out. From ``member_positions``
    the lifecycle columns come too, and with ``ended_since`` the sides a lifecycle event ended (TERMINATED,
    DEREGISTERED) on that date or after: a member's book of that date may still hold them.

    ``url`` is an async SQLAlchemy URL (``postgresql+asyncpg://...``, ``sqlite+aiosqlite:///...``). Any failure
    to reach or read it is an ``InputRejected`` naming the database and view; a member the database does not
    know is REF_UNKNOWN_MEMBER (not an empty book, which would report every member trade as a break).

    With ``as_of`` it reads instead the positions as they stood at that date's end of day, through the
    gateway's published query (``gateway.domain.positions_asof``: ``member_positions``, ``position_states``,
    ``position_npvs``): the notional after the events up to the date, that day's NPV, the sides an event
    ended on the date itself. A database without those views (before migration 0016) is refused.
    """
    from sqlalchemy import Date, String, and_, bindparam, column, or_, select, table, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine

    if not _IDENTIFIER.match(view):
        raise unusable(f"db:{view}", "view", "not a plain SQL identifier")
    source = f"db:{view}"

    def query_of(columns: list[str]) -> Any:
        """The member's rows; with the lifecycle columns, those a lifecycle event ended too (ended_since)."""
        live = column("status") == PositionStatus.CLEARED.value
        if ended_since is not None and "last_event_date" in columns:
            ended = [PositionStatus.TERMINATED.value, PositionStatus.DEREGISTERED.value]
            live = or_(live, and_(column("status").in_(ended), column("last_event_date") >= ended_since))
        return (
            select(*[column(c) for c in columns])
            .select_from(table(view))
            .where(column("member") == member, live)
            .order_by(column("trade_id"))
        )

    try:
        engine = create_async_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise unusable(source, "url", f"cannot use database URL: {exc}") from None
    try:
        async with engine.connect() as conn:
            known: Any = await conn.execute(
                select(column("member_id"))
                .select_from(table(MEMBERS_TABLE))
                .where(column("member_id") == member)
            )
            if known.first() is None:
                raise InputRejected.of(
                    ReasonCode.REF_UNKNOWN_MEMBER,
                    "--member",
                    f"no member {member!r} in the gateway database: check the member id "
                    "(clearing-gateway participant list)",
                )
            # the lifecycle columns when the view has them (a table of an earlier layout may not)
            has = set((await conn.execute(select(text("*")).select_from(table(view)).limit(0))).keys())
            if as_of is not None:
                await _require_views(conn, source)
            columns = [*POSITION_COLUMNS, *(c for c in LIFECYCLE_COLUMNS if c in has)]
            if as_of is None:
                result = await conn.execute(query_of(columns))
            else:
                columns = list(FILE_COLUMNS)
                result = await conn.execute(
                    text(positions_as_of_sql(member=True)).bindparams(
                        bindparam("as_of", type_=Date), bindparam("member", type_=String)
                    ),
                    {"as_of": as_of, "member": member},
                )
            data = [tuple(_text(v) for v in row) for row in result]
    except (SQLAlchemyError, OSError, ConnectionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise unusable(source, "query", f"cannot read {view} for {member}: {first}") from None
    finally:
        await engine.dispose()
    raw = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String), orient="row")
    return normalise(raw, source=source, member=member, side=Side.CCP)


async def _require_views(conn: Any, source: str) -> None:
    """The views the positions as of a date are read from, or a clear refusal (a gateway database not
    upgraded yet, or not the gateway's)."""
    from sqlalchemy import inspect

    present = set(
        await conn.run_sync(lambda c: [*inspect(c).get_view_names(), *inspect(c).get_table_names()])
    )
    missing = [v for v in (POSITION_STATES_VIEW, POSITION_NPVS_VIEW) if v not in present]
    if missing:
        raise unusable(
            source,
            "query",
            f"no {', '.join(missing)} in the gateway database: the positions as of a date need migration "
            "0016_positions_asof (clearing-gateway db upgrade)",
        )


def read_ccp_positions_db(
    url: str,
    member: str,
    *,
    view: str = POSITIONS_VIEW,
    ended_since: date | None = None,
    as_of: date | None = None,
) -> LoadedBook:
    """Blocking form of ``fetch_ccp_positions`` for the command line."""
    return asyncio.run(fetch_ccp_positions(url, member, view=view, ended_since=ended_since, as_of=as_of))
