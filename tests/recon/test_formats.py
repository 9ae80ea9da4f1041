"""The CCP position file writer/reader and the gateway database's ``member_positions`` view."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.domain.clearing import Position
from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode
from recon.formats import (
    MEMBERS_TABLE,
    POSITION_COLUMNS,
    POSITIONS_VIEW,
    fetch_ccp_positions,
    read_positions,
    write_positions,
)


def _positions() -> list[Position]:
    return [
        Position(
            trade_id="CCP-000001",
            uti="UTI-1",
            member="CM1",
            account="HOUSE",
            product="IRS",
            currency="AUD",
            notional=Decimal("125000000.00"),
            direction="PAY",
            fixed_rate=Decimal("0.04125"),
            floating_index="BBSW",
            index_tenor="6M",
            spread=None,
            effective_date=date(2026, 1, 7),
            maturity_date=date(2036, 1, 7),
            status="Cleared",
            npv=Decimal("-15234.17"),
        ),
        Position(
            trade_id="CCP-000002",
            uti=None,
            member="CM1",
            account="CLIENT1",
            product="BASIS",
            currency="AUD",
            notional=Decimal("50000000"),
            direction="RECEIVE",
            fixed_rate=None,
            floating_index="BBSW",
            index_tenor="3M",
            spread=Decimal("0.0012"),
            effective_date=date(2026, 1, 7),
            maturity_date=date(2029, 1, 7),
            status="Pending",
            npv=None,
        ),
    ]


@pytest.mark.parametrize("name", ["positions.csv", "positions.parquet"])
def test_written_positions_read_back_identically(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_positions(_positions(), path) == 2
    book = read_positions(path, "CM1")
    assert book.problems == ()
    rows = book.frame.drop("_row").to_dicts()
    assert rows[0]["notional"] == 125_000_000.0
    assert rows[0]["fixed_rate"] == 0.04125
    assert rows[1]["uti"] is None
    assert rows[1]["spread"] == 0.0012
    assert rows[1]["npv"] is None
    assert rows[1]["maturity_date"] == date(2029, 1, 7)
    assert list(book.frame.columns[:16]) == list(POSITION_COLUMNS)


def test_csv_is_exact_text_in_the_standard_column_order(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    write_positions(_positions(), path)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(POSITION_COLUMNS) + ",last_event,last_event_date,original_notional"
    assert lines[1] == (
        "CCP-000001,UTI-1,CM1,HOUSE,IRS,AUD,125000000.00,PAY,0.04125,BBSW,6M,,2026-01-07,2036-01-07,Cleared,-15234.17,,,"
    )


@pytest.mark.parametrize("name", ["positions.txt", "positions", "positions.csv.bak", "positions.xlsx"])
def test_a_suffix_that_names_no_written_format_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(InputRejected) as err:
        write_positions(_positions(), tmp_path / name)
    assert (err.value.code, err.value.path) == (ReasonCode.REF_INVALID_INPUT, "--out")
    assert ".csv, .parquet, .pq" in err.value.issues[0].message
    assert list(tmp_path.iterdir()) == []


def test_suffix_is_matched_whatever_its_case(tmp_path: Path) -> None:
    assert write_positions(_positions(), tmp_path / "P.CSV") == 2
    assert read_positions(tmp_path / "P.CSV", "CM1").frame.height == 2


def test_writer_accepts_a_frame_and_refuses_another_layout(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        [{c: None for c in POSITION_COLUMNS}], schema=dict.fromkeys(POSITION_COLUMNS, pl.String)
    )
    assert write_positions(frame.to_pandas(), tmp_path / "p.csv") == 1
    with pytest.raises(ValueError, match=r"missing \['npv'\]"):
        write_positions(frame.drop("npv"), tmp_path / "q.csv")


_INSERT = f"INSERT INTO {POSITIONS_VIEW} VALUES ({', '.join(':' + c for c in POSITION_COLUMNS)})"  # noqa: S608


def _bind(url: str, value: object) -> object:
    """asyncpg wants Decimal and date objects; SQLite's driver wants text for them."""
    if url.startswith("sqlite") and isinstance(value, Decimal | date):
        return str(value)
    return value


async def _create_view(url: str) -> None:
    """A database shaped as the gateway's: its members, and ``member_positions`` (here a table) holding CM1's
    two open positions, one matured position of CM1 and one open position of CM2."""
    engine = create_async_engine(url)
    columns = ", ".join(
        f"{c} {'NUMERIC(24,8)' if c in ('notional', 'fixed_rate', 'spread', 'npv') else 'DATE' if c.endswith('_date') else 'VARCHAR(64)'}"
        for c in POSITION_COLUMNS
    )
    first = _positions()[0]
    rows = [
        *(replace(p, status="CLEARED") for p in _positions()),
        replace(first, trade_id="CCP-000003", status="MATURED"),
        replace(first, trade_id="CCP-9", member="CM2", status="CLEARED"),
    ]
    async with engine.begin() as conn:
        # the gateway's members table, which the view's rows refer to (here only the column read)
        await conn.execute(text(f"CREATE TABLE {MEMBERS_TABLE} (member_id VARCHAR(64) PRIMARY KEY)"))
        for member in ("CM1", "CM2"):
            await conn.execute(text(f"INSERT INTO {MEMBERS_TABLE} VALUES (:m)"), {"m": member})  # noqa: S608
        await conn.execute(text(f"CREATE TABLE {POSITIONS_VIEW} ({columns})"))
        for p in rows:
            await conn.execute(text(_INSERT), {c: _bind(url, getattr(p, c)) for c in POSITION_COLUMNS})
    await engine.dispose()


async def _create_asof_views(url: str, day: date) -> None:
    """Over ``_create_view``'s table, what the positions as of a date read: the lifecycle columns, each
    position's one state (as it is, from its effective date) and its NPV of ``day``."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for column, kind in (
            ("last_event", "VARCHAR(24)"),
            ("last_event_date", "DATE"),
            ("original_notional", "NUMERIC(24,8)"),
        ):
            await conn.execute(text(f"ALTER TABLE {POSITIONS_VIEW} ADD COLUMN {column} {kind}"))
        await conn.execute(
            text(
                f"CREATE VIEW position_states AS SELECT trade_id, effective_date AS valid_from, 0 AS sequence, "  # noqa: S608
                f"last_event, last_event_date, notional, status FROM {POSITIONS_VIEW}"
            )
        )
        await conn.execute(
            text("CREATE TABLE position_npvs (trade_id VARCHAR(64), business_date DATE, npv NUMERIC(24,8))")
        )
        await conn.execute(
            text(f"INSERT INTO position_npvs SELECT trade_id, :day, npv FROM {POSITIONS_VIEW}"),  # noqa: S608
            {"day": _bind(url, day)},
        )
    await engine.dispose()


@pytest.mark.postgres
async def test_member_positions_view_on_postgresql(postgres_url: str) -> None:
    await _create_view(postgres_url)
    book = await fetch_ccp_positions(postgres_url, "CM1")
    assert book.problems == ()
    assert book.source == "db:member_positions"
    assert book.frame["trade_id"].to_list() == ["CCP-000001", "CCP-000002"]
    assert book.frame["notional"].to_list() == [125_000_000.0, 50_000_000.0]
    assert book.frame["effective_date"].to_list() == [date(2026, 1, 7)] * 2


async def test_member_positions_view_on_sqlite_gives_the_members_open_positions(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await _create_view(url)
    book = await fetch_ccp_positions(url, "CM1")
    assert book.frame["trade_id"].to_list() == ["CCP-000001", "CCP-000002"]  # not the matured CCP-000003
    assert book.frame["status"].to_list() == ["Cleared", "Cleared"]


async def test_unknown_member_in_the_database_is_refused_not_an_empty_book(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await _create_view(url)
    with pytest.raises(InputRejected) as err:
        await fetch_ccp_positions(url, "NOBODY")
    assert (err.value.code, err.value.path) == (ReasonCode.REF_UNKNOWN_MEMBER, "--member")
    assert "NOBODY" in err.value.issues[0].message


async def test_missing_view_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(InputRejected, match="cannot read member_positions for CM1") as err:
        await fetch_ccp_positions(url, "CM1")
    assert err.value.issues[0].path == "db:member_positions:query"


def test_the_standard_layout_is_the_gateways_one_list_of_position_columns() -> None:
    from gateway.domain import clearing
    from recon import layout

    assert layout.POSITION_COLUMNS is clearing.POSITION_COLUMNS
    assert POSITION_COLUMNS is clearing.POSITION_COLUMNS
