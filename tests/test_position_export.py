"""``export positions`` and ``clearing-recon run --db`` read the same view: the file reconciles against the
database it came from with no break, on SQLite and on a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.app import app as gateway_app
from gateway.domain.clearing import MEMBER_POSITION_COLUMNS, POSITION_COLUMNS
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.trade import Trade
from gateway.store import eod_repo, open_store
from gateway.store.clearing_store import SqlClearingStore
from recon.cli import _COMMAND_MODULES
from recon.cli import app as recon_app
from tests.clearing.conftest import World, aud_irs
from tests.strategies import LEI_B

for _module in ("gateway.cli.cmd_export", *_COMMAND_MODULES):
    importlib.import_module(_module)

runner = CliRunner()
DAY = "2026-01-07"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def gateway_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a brand-new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def _clear(url: str, trades: list[Trade], npvs: dict[str, Decimal], *, onboard: bool) -> list[str]:
    """Clear ``trades`` through the service; BANKB's CCP trade ids, in order. ``npvs`` by trade id: the
    value of BANKB's side at DAY's end of day, written as the end-of-day revaluation writes it."""
    engine = await open_store(url)
    try:
        world = World(engine)
        if onboard:
            await world.onboard()
        ids = []
        for trade in trades:
            message_id = f"MSG-{trade.identifiers.source_trade_id}"  # unique across the two calls
            receipt = await world.service.submit(world.submission(trade, message_id=message_id))
            await world.service.drain()
            last = (await world.service.history(receipt.submission_id))[-1]
            assert last.status is S.CLEARED
            ids.append(last.ccp_trade_ids[1])  # CCP-B: BANKB's side
        values = [
            (ccp_id, npvs[t.identifiers.source_trade_id]) for ccp_id, t in zip(ids, trades, strict=True)
        ]
        store = SqlClearingStore(engine)
        async with store.begin() as uow:
            await uow.cleared.set_npvs(values)
        async with engine.begin() as conn:  # the day's NPV history, which the positions as of DAY show
            await eod_repo.put_npvs(conn, date.fromisoformat(DAY), [(i, v, "AUD") for i, v in values])
        return ids
    finally:
        await engine.dispose()


async def _revalue(url: str, day: str, npvs: dict[str, object]) -> None:
    """The NPV history of ``day`` for these CCP trade ids, as end of day writes it."""
    engine = await open_store(url)
    try:
        async with engine.begin() as conn:
            values = [(i, Decimal(str(v)), "AUD") for i, v in sorted(npvs.items())]
            await eod_repo.put_npvs(conn, date.fromisoformat(day), values)
    finally:
        await engine.dispose()


def _recon(tmp_path: Path, book: Path, url: str, day: str) -> tuple[int, str, list[dict[str, str]]]:
    out = tmp_path / f"recon-{day}"
    result = runner.invoke(
        recon_app,
        [
            "run", "--date", day, "--member", "BANKB", "--member-book", str(book), "--db", url,
            "--out", str(out), "--store", str(tmp_path / "breaks.db"), "--no-pdf",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with (out / "breaks.csv").open() as handle:
        return result.exit_code, result.stdout, list(csv.DictReader(handle))


def test_the_exported_file_reconciles_against_the_database_with_no_break(
    gateway_db: str, tmp_path: Path
) -> None:
    trades = [
        aud_irs("T1"),
        aud_irs("T2", notional=Decimal("25000000.5"), years=1, fixed_payer=LEI_B),
        aud_irs("T3", years=7, notional=Decimal(3_000_000)),
    ]
    npvs = {"T1": Decimal("-15234.17"), "T2": Decimal("0.000001"), "T3": Decimal(0)}
    ids = asyncio.run(_clear(gateway_db, trades, npvs, onboard=True))

    book = tmp_path / "ccp-BANKB.csv"
    exported = runner.invoke(
        gateway_app,
        ["export", "positions", "--date", DAY, "--member", "BANKB", "--out", str(book), "--db", gateway_db,
         "--json"],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.stderr
    assert json.loads(exported.stdout)["rows"] == 3
    with book.open() as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == MEMBER_POSITION_COLUMNS  # the view's columns, in its order
    assert sorted(r[POSITION_COLUMNS.index("npv")] for r in rows[1:]) == ["-15234.17", "0", "0.000001"]

    _, out, breaks = _recon(tmp_path, book, gateway_db, DAY)
    assert breaks == []
    assert "matched 3" in out

    # a trade cleared after the file was written: the database has it, the file does not
    (late,) = asyncio.run(_clear(gateway_db, [aud_irs("T4")], {"T4": Decimal(1)}, onboard=False))
    asyncio.run(_revalue(gateway_db, "2026-01-08", dict(zip([*ids, late], [*npvs.values(), 1], strict=True))))
    _, out, breaks = _recon(tmp_path, book, gateway_db, "2026-01-08")
    assert [(b["break_type"], b["trade_id"]) for b in breaks] == [("MISSING_AT_MEMBER", late)]
