"""The CCP's positions as of a business date: ``export positions --date D`` and ``clearing-recon run --db
URL --date D`` read the positions as they stood at D's end of day (the notional after the events up to D,
D's NPV from the NPV history, trades registered by D), not the current state: on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from gateway.domain.clearing import Channel, EventRequest
from gateway.domain.enums import ClearingStatusCode as S
from gateway.store import open_store
from recon.cli import app as recon_app
from tests.clearing.conftest import OPEN_NOW, World, aud_irs
from tests.recon.test_lifecycle_breaks import _by_source
from tests.test_position_export import DAY, _clear, _revalue, gateway_app, gateway_db, runner

__all__ = ["gateway_db"]

NEXT = "2026-01-08"


async def _terminate_next_day(url: str, name: str, outstanding: int) -> None:
    """A partial termination of ``name`` taken on the next business day."""
    engine = await open_store(url)
    try:
        world = World(engine)
        world.clock.advance(timedelta(days=1))
        request = EventRequest(
            Channel.MQTT_FPML, "MARKITWIRE", f"E-{name}", world.clock.now(), _by_source(name, outstanding)
        )
        last = (await world.service.submit_event(request))[-1]
        assert last.status is S.CLEARED, last.reasons
    finally:
        await engine.dispose()


async def _clear_next_day(url: str, name: str) -> str:
    """A trade registered on the next business day; BANKB's CCP trade id."""
    engine = await open_store(url)
    try:
        world = World(engine)
        world.clock.advance(timedelta(days=1))
        receipt = await world.service.submit(world.submission(aud_irs(name), message_id=f"MSG-{name}"))
        await world.service.drain()
        last = (await world.service.history(receipt.submission_id))[-1]
        assert last.status is S.CLEARED, last.reasons
        return last.ccp_trade_ids[1]
    finally:
        await engine.dispose()


def _export(url: str, day: str, out: Path) -> dict[str, dict[str, str]]:
    result = runner.invoke(
        gateway_app,
        ["export", "positions", "--date", day, "--member", "BANKB", "--out", str(out), "--db", url],
    )
    assert result.exit_code == 0, result.stderr
    with out.open() as handle:
        return {row["trade_id"]: row for row in csv.DictReader(handle)}


def _recon(tmp_path: Path, book: Path, url: str, day: str) -> list[tuple[str, str, str]]:
    out = tmp_path / f"recon-{day}-{book.stem}"
    result = runner.invoke(
        recon_app,
        [
            "run", "--date", day, "--member", "BANKB", "--member-book", str(book), "--db", url,
            "--out", str(out), "--store", str(tmp_path / f"breaks-{book.stem}.db"), "--no-pdf",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with (out / "breaks.csv").open() as handle:
        return [(b["break_type"], b["trade_id"], b["field"]) for b in csv.DictReader(handle)]


def test_a_trade_partly_terminated_the_next_day_keeps_its_notional_as_of_the_day_before(
    gateway_db: str, tmp_path: Path
) -> None:
    assert OPEN_NOW.date().isoformat() == DAY
    trades = [aud_irs("T1", notional=Decimal(10_000_000)), aud_irs("T2", years=7)]
    t1, t2 = asyncio.run(_clear(gateway_db, trades, {"T1": Decimal(0), "T2": Decimal(0)}, onboard=True))
    asyncio.run(_revalue(gateway_db, DAY, {t1: Decimal("-100.25"), t2: Decimal(7)}))
    asyncio.run(_terminate_next_day(gateway_db, "T1", 6_000_000))
    t3 = asyncio.run(_clear_next_day(gateway_db, "T3"))
    asyncio.run(_revalue(gateway_db, NEXT, {t1: Decimal("-80.5"), t2: Decimal("7.5"), t3: Decimal(1)}))

    day = _export(gateway_db, DAY, tmp_path / "ccp-day.csv")
    assert sorted(day) == sorted([t1, t2])  # T3 was registered the day after
    assert (day[t1]["notional"], day[t1]["npv"], day[t1]["last_event"]) == ("10000000", "-100.25", "")
    assert day[t2]["npv"] == "7"

    following = _export(gateway_db, NEXT, tmp_path / "ccp-next.csv")
    assert sorted(following) == sorted([t1, t2, t3])
    row = following[t1]
    assert (row["notional"], row["original_notional"], row["npv"]) == ("6000000", "10000000", "-80.5")
    assert (row["last_event"], row["last_event_date"]) == ("Termination", NEXT)

    # the database as of each day is what the file of that day says: no break either day
    assert _recon(tmp_path, tmp_path / "ccp-day.csv", gateway_db, DAY) == []
    assert _recon(tmp_path, tmp_path / "ccp-next.csv", gateway_db, NEXT) == []
    # the book of the first day against the second: the termination and the new trade (T2 revalued
    # within the NPV tolerance)
    assert sorted(_recon(tmp_path, tmp_path / "ccp-day.csv", gateway_db, NEXT)) == sorted(
        [
            ("LIFECYCLE_TERMINATION_NOT_BOOKED", t1, "notional"),
            ("MISSING_AT_MEMBER", t3, ""),
        ]
    )
