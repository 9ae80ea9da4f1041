"""A package over FIX: TradeCaptureReports sharing ``2489`` PackageID, each saying the package's number of
reports in ``748`` TotNumTradeReports, from an approved venue's session over real TCP into the real clearing
service (SQLite and PostgreSQL). The legs are held until all have arrived, then cleared whole; a package
still incomplete after ``[packages] complete_within_s`` is refused whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.refdata.sources import TradeSource
from tests.app.fix_world import FixCcp, Msg, Pairs, fix_ccp
from tests.app.test_fix_contract import report, swap
from tests.clearing.conftest import member
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]

MEMBERS = (member("BANKA", LEI_A, ("BANKA_FIX",)), member("BANKB", LEI_B, ("BANKB_FIX",)))
COLLATERAL = {"BANKA": Decimal(100_000_000), "BANKB": Decimal(100_000_000)}
VENUE = TradeSource("VENUE", mqtt_user="venue", fix_comp_id="VENUE_FIX", party_id="5493000VENUE00000075")


@pytest.fixture
async def ccp(engine: AsyncEngine, db_url: str, tmp_path: Path) -> AsyncIterator[FixCcp]:
    async with fix_ccp(
        engine, db_url, tmp_path / "fix", MEMBERS, collateral=COLLATERAL, sources=(VENUE,)
    ) as running:
        yield running


def leg(report_id: str, trade_id: str, package: str | None, count: str | None) -> Pairs:
    """A package leg: the report of ``trade_id`` with PackageID and TotNumTradeReports after its type."""
    pairs = report(report_id, swap(trade_id))
    at = next(i for i, (tag, _) in enumerate(pairs) if tag == 856) + 1
    extra = [(tag, v) for tag, v in ((2489, package), (748, count)) if v is not None]
    return [*pairs[:at], *extra, *pairs[at:]]


def statuses_of(msgs: list[Msg], trade_id: str) -> list[tuple[str | None, ...]]:
    """(TrdRptStatus, ClearedIndicator, RejectText) of each status report about ``trade_id``."""
    return [m.pick(939, 1832, 1328) for m in msgs if m.get(1003) == trade_id]


async def test_a_two_report_package_is_held_until_complete_then_cleared_whole(ccp: FixCcp) -> None:
    venue = await ccp.session("VENUE_FIX")
    bank_a = await ccp.session("BANKA_FIX")
    ack = await venue.ask(leg("PR1", "PK-1", "PKG-FIX", "2"), "AR")
    assert ack.pick(571, 1003, 1523, 939) == ("PR1", "PK-1", "0", "4")  # accepted, status Received
    await ccp.clear()
    assert await ccp.stages("VENUE_FIX", "PK-1") == [(1, "QUEUED_PACKAGE")]  # waits for its other leg
    held = await ccp.statuses(bank_a)
    assert all(m.get(1832) != "1" for m in held)  # nothing cleared yet

    ack = await venue.ask(leg("PR2", "PK-2", "PKG-FIX", "2"), "AR")
    assert ack.pick(1523, 939) == ("0", "4")
    await ccp.clear()
    assert await ccp.stages("VENUE_FIX", "PK-1") == [(1, "CLEARED")]
    assert await ccp.stages("VENUE_FIX", "PK-2") == [(1, "CLEARED")]
    cleared = await ccp.statuses(bank_a)
    for trade_id in ("PK-1", "PK-2"):
        assert ("0", "1", None) in statuses_of(cleared, trade_id), cleared
    named = {m.pick(1003, 2489, 748) for m in cleared if m.get(1832) == "1"}
    assert named == {("PK-1", "PKG-FIX", "2"), ("PK-2", "PKG-FIX", "2")}  # each leg names its package


async def test_an_incomplete_package_is_refused_whole_at_its_timeout(ccp: FixCcp) -> None:
    venue = await ccp.session("VENUE_FIX")
    bank_b = await ccp.session("BANKB_FIX")
    await venue.ask(leg("PR1", "PI-1", "PKG-LATE", "3"), "AR")
    await venue.ask(leg("PR2", "PI-2", "PKG-LATE", "3"), "AR")
    await ccp.clear()
    assert await ccp.stages("VENUE_FIX", "PI-1") == [(1, "QUEUED_PACKAGE")]
    ccp.clock.advance(timedelta(seconds=299))
    await ccp.clear()
    assert await ccp.stages("VENUE_FIX", "PI-2") == [(1, "QUEUED_PACKAGE")]  # not yet

    ccp.clock.advance(timedelta(seconds=2))  # 301 s after the first leg: the third never came
    await ccp.clear()
    assert await ccp.stages("VENUE_FIX", "PI-1") == [(1, "REJECTED")]
    assert await ccp.stages("VENUE_FIX", "PI-2") == [(1, "REJECTED")]
    refused = await ccp.statuses(bank_b)
    for trade_id in ("PI-1", "PI-2"):
        (status,) = [s for s in statuses_of(refused, trade_id) if s[0] == "1"]
        assert status[2] is not None
        assert status[2].startswith("tradePackage: package PKG-LATE refused at")
        assert "1 of its 3 trades never arrived" in status[2]


async def test_a_leg_naming_a_package_without_its_count_is_rejected_naming_the_field(ccp: FixCcp) -> None:
    venue = await ccp.session("VENUE_FIX")
    ack = await venue.ask(leg("PR1", "PX-1", "PKG-X", None), "AR")
    assert ack[1523] == "1"  # rejected
    assert "TotNumTradeReports(748)" in ack[1328]
    assert await ccp.stages("VENUE_FIX", "PX-1") == []
