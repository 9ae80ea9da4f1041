"""Approved trade sources on FIX: a source's ``--fix-comp-id`` is a source session built from the reference
data (it reports trades between members); a suspended source's session is refused at Logon with the reason.
Real FIX sessions over TCP into the real clearing service, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.source_admin import TradeSources
from gateway.refdata.sources import SourceStatus, TradeSource
from gateway.security_log import LOGGER_NAME
from gateway.store import tables as t
from tests.app.fix_world import FixCcp, Msg, fix_ccp
from tests.app.test_fix_contract import report, swap
from tests.clearing.conftest import member
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]

MEMBERS = (member("BANKA", LEI_A, ("BANKA_FIX",)), member("BANKB", LEI_B, ("BANKB_FIX",)))
COLLATERAL = {"BANKA": Decimal(100_000_000), "BANKB": Decimal(100_000_000)}
SOURCES = (
    TradeSource(
        "VENUE", mqtt_user="venue", fix_comp_id="VENUE_FIX", venue=True, party_id="5493000VENUE00000075"
    ),
    TradeSource("OLDVENUE", mqtt_user="old", fix_comp_id="OLD_FIX", status=SourceStatus.SUSPENDED),
)


@pytest.fixture
async def ccp(engine: AsyncEngine, db_url: str, tmp_path: Path) -> AsyncIterator[FixCcp]:
    async with fix_ccp(
        engine, db_url, tmp_path / "fix", MEMBERS, collateral=COLLATERAL, sources=SOURCES
    ) as running:
        yield running


async def _logon_answers(ccp: FixCcp, comp_id: str) -> list[Msg]:
    from tests.channels.fix.client import FixClient, pairs_of

    client = FixClient("127.0.0.1", ccp.port, sender=comp_id, target="CCP")
    await client.connect()
    try:
        await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9")])
        return [Msg(tuple(pairs_of(m))) for m in await client.expect_closed()]
    finally:
        await client.close()


async def test_a_source_session_reports_a_trade_between_two_members(ccp: FixCcp) -> None:
    fix = ccp.gateway.fix
    assert fix is not None
    session = fix.config.session("VENUE_FIX")
    assert session is not None
    assert session.trade_source
    assert not fix.config.session("BANKA_FIX").trade_source  # type: ignore[union-attr]
    venue = await ccp.session("VENUE_FIX")
    ack = await venue.ask(report("R1", swap("T1")), "AR")
    assert ack.pick(571, 1003, 939, 1523) == ("R1", "T1", "4", "0")  # accepted, status Received
    assert await ccp.clear() == 1
    assert await ccp.stages("VENUE_FIX", "T1") == [(1, "CLEARED")]


async def test_a_suspended_sources_logon_is_refused_with_the_reason(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    answers = await _logon_answers(ccp, "OLD_FIX")
    assert [m.type for m in answers] == ["5"]
    assert "OLD_FIX" in answers[0][58]
    assert "suspended" in answers[0][58]
    assert await ccp.count(t.submissions) == 0
    lines = [
        (r.__dict__["channel"], r.__dict__["identity"], r.__dict__["reason_code"])
        for r in caplog.records
        if r.name == LOGGER_NAME
    ]
    assert ("fix", "OLD_FIX", "AUTH_SOURCE_SUSPENDED") in lines


async def test_a_source_suspended_after_start_may_no_longer_log_on(ccp: FixCcp) -> None:
    await TradeSources(ccp.gateway.engine).suspend("VENUE")
    await ccp.gateway.reference.refresh()  # what the service's sources task does every sources.refresh_s
    answers = await _logon_answers(ccp, "VENUE_FIX")
    assert [m.type for m in answers] == ["5"]
    assert "suspended" in answers[0][58]


async def test_a_source_suspended_while_logged_on_has_its_reports_refused(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    venue = await ccp.session("VENUE_FIX")
    await TradeSources(ccp.gateway.engine).suspend("VENUE")
    await ccp.gateway.reference.refresh()
    refused = await venue.ask(report("R2", swap("T2")), "j")
    assert refused.pick(372, 380) == ("AE", "6")  # not authorised
    assert refused[58].startswith("AUTH_SOURCE_SUSPENDED:")
    assert await ccp.count(t.submissions) == 0
    assert any(
        (r.__dict__["channel"], r.__dict__["identity"], r.__dict__["reason_code"])
        == ("fix", "VENUE_FIX", "AUTH_SOURCE_SUSPENDED")
        for r in caplog.records
        if r.name == LOGGER_NAME
    )
