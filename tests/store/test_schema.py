"""Migrations and column types, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.clearing import MEMBER_POSITION_COLUMNS, MEMBER_POSITIONS_VIEW, POSITION_COLUMNS
from gateway.store import upgrade_schema
from gateway.store.engine import downgrade_schema
from gateway.store.tables import member_positions, metadata
from gateway.store.types import ExactDecimal, UtcDateTime

HEAD = "0017_member_reports"


async def test_migrations_create_exactly_the_declared_schema(fresh_engine: AsyncEngine) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    async with fresh_engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        views = await conn.run_sync(lambda c: inspect(c).get_view_names())
    assert {"member_positions", "ccp_positions", "position_states", "position_npvs"} <= set(views)


async def test_upgrade_is_idempotent_and_downgrade_is_clean(fresh_engine: AsyncEngine) -> None:
    await upgrade_schema(fresh_engine)  # second run at start-up: nothing to do
    await downgrade_schema(fresh_engine, "base")
    async with fresh_engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables <= {"alembic_version"}
    await upgrade_schema(fresh_engine)
    async with fresh_engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == HEAD


async def test_the_position_views_have_exactly_the_position_columns_in_order(
    fresh_engine: AsyncEngine,
) -> None:
    """The published contract with clearing-recon --db: member_positions has the standard columns then the
    lifecycle ones, ccp_positions the standard ones only, each in its order."""
    async with fresh_engine.connect() as conn:
        for view, expected in (
            (MEMBER_POSITIONS_VIEW, MEMBER_POSITION_COLUMNS),
            ("ccp_positions", POSITION_COLUMNS),
        ):
            declared = await conn.run_sync(
                lambda c, v=view: [col["name"] for col in inspect(c).get_columns(v)]
            )
            selected = list((await conn.execute(text(f"SELECT * FROM {view}"))).keys())  # noqa: S608
            assert declared == selected == list(expected), view
    assert [c.name for c in member_positions.c] == list(MEMBER_POSITION_COLUMNS)
    assert MEMBER_POSITION_COLUMNS[-3:] == ("last_event", "last_event_date", "original_notional")


async def test_the_published_history_views_have_the_declared_columns(fresh_engine: AsyncEngine) -> None:
    """What clearing-recon reads for a past date and for VM (gateway.domain.positions_asof,
    recon.figure_sources): the views the migration made have the columns tables.py declares, in order."""
    from gateway.store import tables as t

    async with fresh_engine.connect() as conn:
        for table, query in (
            (t.position_states, t.position_states_query),
            (t.position_npvs, t.position_npvs_query),
            (t.member_variation_margin, t.member_variation_margin_query),
        ):
            selected = list((await conn.execute(text(f"SELECT * FROM {table.name}"))).keys())  # noqa: S608
            assert selected == [c.name for c in table.c] == list(query.selected_columns.keys()), table.name
            await conn.execute(query)  # the declared query runs on this database too


async def test_downgrade_to_0007_gives_back_the_standard_member_positions(fresh_engine: AsyncEngine) -> None:
    await downgrade_schema(fresh_engine, "0007")
    async with fresh_engine.connect() as conn:
        for view in (MEMBER_POSITIONS_VIEW, "ccp_positions"):
            columns = await conn.run_sync(
                lambda c, v=view: [col["name"] for col in inspect(c).get_columns(v)]
            )
            assert columns == list(POSITION_COLUMNS), view
        cleared = await conn.run_sync(
            lambda c: [col["name"] for col in inspect(c).get_columns("cleared_trades")]
        )
    assert "last_event" not in cleared


async def test_downgrade_to_0004_drops_member_positions_and_gives_back_ccp_positions(
    fresh_engine: AsyncEngine,
) -> None:
    await downgrade_schema(fresh_engine, "0004")
    async with fresh_engine.connect() as conn:
        views = set(await conn.run_sync(lambda c: inspect(c).get_view_names()))
        columns = await conn.run_sync(
            lambda c: [col["name"] for col in inspect(c).get_columns("ccp_positions")]
        )
    assert MEMBER_POSITIONS_VIEW not in views
    assert "ccp_positions" in views
    assert columns == list(POSITION_COLUMNS)
    await upgrade_schema(fresh_engine)
    async with fresh_engine.connect() as conn:
        assert MEMBER_POSITIONS_VIEW in await conn.run_sync(lambda c: inspect(c).get_view_names())


probe = Table(
    "type_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal()),
    Column("at", UtcDateTime()),
)

exact = st.decimals(
    min_value=Decimal("-1e20"), max_value=Decimal("1e20"), places=12, allow_nan=False, allow_infinity=False
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=exact,
    at=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
)
async def test_decimals_and_times_round_trip_exactly(
    engine: AsyncEngine, amount: Decimal, at: datetime
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: probe.create(c, checkfirst=True))
        await conn.execute(probe.delete())
        await conn.execute(
            probe.insert().values(id=1, amount=amount, at=at.astimezone(timezone(timedelta(hours=11))))
        )
        row = (await conn.execute(select(probe.c.amount, probe.c.at))).one()
    assert row.amount == amount
    assert row.amount.as_tuple().exponent <= 0  # never 5E+7 for fifty million
    assert row.at == at
    assert row.at.tzinfo is not None


async def test_naive_datetime_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: probe.create(c, checkfirst=True))
        with pytest.raises(StatementError, match="naive datetime"):
            await conn.execute(probe.insert().values(id=2, at=datetime(2026, 1, 1)))


async def test_upgrading_to_0010_fills_in_each_sides_lifecycle_from_the_confirmed_events(
    fresh_engine: AsyncEngine,
) -> None:
    """A partial termination confirmed before the upgrade: its sides show it and their original notional."""
    from decimal import Decimal

    from gateway.admin.reference import ReferenceData, cash
    from gateway.clearing.service import ClearingService
    from gateway.clock import FixedClock
    from gateway.store.clearing_store import SqlClearingStore
    from tests.clearing.conftest import OPEN_NOW, TODAY, aud_irs, member
    from tests.clearing.doubles import LinearMargin
    from tests.clearing.test_trade_events import Desk, termination
    from tests.strategies import LEI_A, LEI_B

    clock = FixedClock(OPEN_NOW)
    refdata = ReferenceData(fresh_engine, clock=clock)
    for m in (member("BANKA", LEI_A), member("BANKB", LEI_B)):
        await refdata.add_participant(m)
        await refdata.lodge(m.member_id, "HOUSE", cash("AUD", Decimal(100_000_000)))
    store = SqlClearingStore(fresh_engine)
    desk = Desk(ClearingService(fresh_engine, LinearMargin(), clock=clock, store=store), store, refdata)
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    _, (k_id, _) = await desk.clear(aud_irs("T2"))
    assert (await desk.event(termination(a_id, 6_000_000)))[-1].status.value == "Cleared"
    await downgrade_schema(fresh_engine, "0007")
    await upgrade_schema(fresh_engine)
    async with fresh_engine.connect() as conn:
        rows = {
            r.trade_id: r
            for r in await conn.execute(
                text("SELECT trade_id, last_event, last_event_date, original_notional FROM member_positions")
            )
        }
    for ccp_id in (a_id, b_id):
        row = rows[ccp_id]
        assert row.last_event == "Termination"
        assert str(row.last_event_date) == str(TODAY)
        assert Decimal(str(row.original_notional)) == Decimal(10_000_000)
    assert (rows[k_id].last_event, rows[k_id].last_event_date) == (None, None)
    assert Decimal(str(rows[k_id].original_notional)) == Decimal(10_000_000)
