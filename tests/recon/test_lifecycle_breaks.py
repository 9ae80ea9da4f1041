"""Lifecycle breaks end to end: the gateway clears trades and takes events on them, a member's book of the
morning (the CCP position file as exported) is reconciled with ``clearing-recon run --db`` against the
database afterwards, on SQLite and on a real PostgreSQL database. What an event the book does not carry
explains is a lifecycle break naming the event; an event the book carries is no break."""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from gateway.domain.clearing import Channel, EventRequest
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.events import EventTerms, TradeRef
from gateway.store import open_store
from recon.cli import app as recon_app
from tests.clearing.conftest import OPEN_NOW, World, aud_irs
from tests.clearing.test_trade_amendments import amendment, with_rate
from tests.clearing.test_trade_events import termination
from tests.test_position_export import DAY, _clear, gateway_app, gateway_db, runner

__all__ = ["gateway_db"]


def _by_source(name: str, outstanding: int) -> EventTerms:
    return replace(termination("-", outstanding), trade=TradeRef(source_trade_id=name))


async def _events(url: str) -> tuple[str, str]:
    """Partly terminate T1, terminate T2 and T4, amend T3's fixed rate; T3's new CCP-B id and its old."""
    engine = await open_store(url)
    try:
        world = World(engine)
        service = world.service
        requests = [
            ("E-T1", _by_source("T1", 6_000_000)),
            ("E-T2", _by_source("T2", 0)),
            ("E-T4", _by_source("T4", 0)),
            ("E-T3", amendment(with_rate(aud_irs("T3", version=2), "0.0410"))),
        ]
        last = None
        for message_id, terms in requests:
            request = EventRequest(Channel.MQTT_FPML, "MARKITWIRE", message_id, OPEN_NOW, terms)
            last = (await service.submit_event(request))[-1]
            assert last.status is S.CLEARED, (message_id, last.reasons)
        assert last is not None
        assert last.event is not None
        assert last.event.effect is not None
        assert last.event.effect.replaced is not None
        return last.event.ccp_trade_ids[1], last.event.effect.replaced[1]
    finally:
        await engine.dispose()


def test_events_the_book_does_not_carry_are_lifecycle_breaks_and_one_it_carries_is_none(
    gateway_db: str, tmp_path: Path
) -> None:
    trades = [aud_irs(name) for name in ("T1", "T2", "T3", "T4")]
    ids = asyncio.run(
        _clear(gateway_db, trades, {t.identifiers.source_trade_id: Decimal(0) for t in trades}, onboard=True)
    )
    t1, t2, t3, t4 = ids
    book = tmp_path / "book-BANKB.csv"  # the member's book of the morning: the CCP file before the events
    exported = runner.invoke(
        gateway_app,
        ["export", "positions", "--date", DAY, "--member", "BANKB", "--out", str(book), "--db", gateway_db],
    )
    assert exported.exit_code == 0, exported.stderr
    new_t3, old_t3 = asyncio.run(_events(gateway_db))
    assert old_t3 == t3
    # the member booked T4's termination itself: its row says Terminated (notional as it was)
    with book.open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["trade_id"] == t4:
            row["status"] = "Terminated"
    with book.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    out = tmp_path / "recon"
    result = runner.invoke(
        recon_app,
        [
            "run", "--date", DAY, "--member", "BANKB", "--member-book", str(book), "--db", gateway_db,
            "--out", str(out), "--store", str(tmp_path / "breaks.db"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with (out / "breaks.csv").open() as handle:
        breaks = list(csv.DictReader(handle))
    found = sorted((b["break_type"], b["trade_id"], b["field"]) for b in breaks)
    assert found == sorted(
        [
            ("LIFECYCLE_TERMINATION_NOT_BOOKED", t1, "notional"),
            ("LIFECYCLE_TERMINATION_NOT_BOOKED", t2, "status"),
            ("LIFECYCLE_AMENDMENT_NOT_BOOKED", t3, "status"),
            ("LIFECYCLE_AMENDMENT_NOT_BOOKED", new_t3, ""),
        ]
    )
    partial = next(b for b in breaks if b["trade_id"] == t1)
    assert (Decimal(partial["member_value"]), Decimal(partial["ccp_value"])) == (
        Decimal(10_000_000),
        Decimal(6_000_000),
    )
    assert (
        partial["message"] == f"the CCP's Termination of {DAY} is not in the member's book (notional differs)"
    )
    counts = json.loads((out / "summary.json").read_text())
    assert json.dumps(counts).count("LIFECYCLE_TERMINATION_NOT_BOOKED") >= 1
    html = (out / "report.html").read_text()
    assert "LIFECYCLE_AMENDMENT_NOT_BOOKED" in html
    assert (out / "report.pdf").stat().st_size > 0
