"""``eod`` with market data and overnight rates, then ``margin vm`` and ``margin pai``, run as a user runs
them on a SQLite file, on the real risk engine over synthetic market data."""

from __future__ import annotations

import asyncio
import csv
import importlib
import io
import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from gateway.clearing.service import ClearingService
from gateway.cli.app import app
from gateway.domain.enums import ClearingStatusCode as S
from gateway.store import open_store
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import OPEN_NOW, World, aud_irs
from tests.clearing.test_cli import cli, onboard

for _module in (
    "gateway.cli.cmd_admin",
    "gateway.cli.cmd_eod",
    "gateway.cli.cmd_margin",
    "gateway.cli.cmd_risk",
):
    importlib.import_module(_module)

runner = CliRunner()
D = Decimal


def _clear_two_trades(db: str) -> None:
    from tests.clearing.doubles import LinearMargin

    async def day() -> None:
        engine = await open_store(db)
        try:
            w = World(engine)
            w.clock.current = OPEN_NOW
            service = ClearingService(engine, LinearMargin(), clock=w.clock, store=SqlClearingStore(engine))
            first = await service.submit(w.submission(aud_irs("T1")))
            second = await service.submit(w.submission(aud_irs("T2", notional=D(25_000_000), years=7)))
            await service.drain()
            for r in (first, second):
                assert (await service.history(r.submission_id))[-1].status is S.CLEARED
        finally:
            await engine.dispose()

    asyncio.run(day())


def _npv_by_member(db: str) -> dict[str, D]:
    async def read() -> dict[str, D]:
        engine = await open_store(db)
        try:
            c = t.cleared_trades.c
            out: dict[str, D] = {}
            async with engine.connect() as conn:
                for r in await conn.execute(select(c.member_id, c.npv)):
                    out[r.member_id] = out.get(r.member_id, D(0)) + r.npv
            return out
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_eod_then_margin_vm_and_pai_list_the_day(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    onboard(db)
    for m in ("BANKA", "BANKB"):
        assert cli("collateral", "lodge", m, "--cash", "100000000", "--db", db)[0] == 0
    _clear_two_trades(db)
    market = tmp_path / "market"
    assert cli("market", "synth", "--out", str(market), "--as-of", "2026-01-07")[0] == 0
    rates = tmp_path / "overnight.csv"
    rates.write_text("index,date,rate_percent\nAONIA,2026-01-07,4.35\n")

    code, out, err = cli(
        "eod", "--date", "2026-01-07", "--market-data", str(market), "--overnight-rates", str(rates),
        "--db", db, "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["steps"] == {
        s: "done" for s in ("refuse", "mature", "revalue", "cashflows", "vm", "pai", "calls")
    } | {
        "reports": "skipped"  # no --reports-dir
    }
    assert (report["vm_trades"], report["pai_accounts"], report["failed"]) == (4, 2, None)

    npv = _npv_by_member(db)  # the revaluation's NPVs: the first day's VM is the NPV
    assert npv["BANKA"] == -npv["BANKB"]
    assert npv["BANKA"] != 0

    code, out, _ = cli("margin", "vm", "--date", "2026-01-07", "--db", db, "--json")
    assert code == 0
    vm = {r["member"]: (r["account"], r["currency"], D(r["vm"]), r["trades"]) for r in json.loads(out)}
    assert vm == {m: ("HOUSE", "AUD", npv[m], 2) for m in ("BANKA", "BANKB")}

    code, out, _ = cli(
        "margin", "vm", "--date", "2026-01-07", "--member", "BANKB", "--trades", "--db", db, "--csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "business_date", "member", "account", "currency", "ccp_trade_id", "npv", "previous_npv", "payments", "vm"
    ]  # fmt: skip
    assert {r["member"] for r in rows} == {"BANKB"}
    assert sum(D(r["vm"]) for r in rows) == npv["BANKB"]
    assert all(D(r["previous_npv"]) == 0 and D(r["vm"]) == D(r["npv"]) for r in rows)

    code, out, _ = cli("margin", "pai", "--date", "2026-01-07", "--db", db, "--csv")
    assert code == 0
    pai = {r["member"]: r for r in csv.DictReader(io.StringIO(out))}
    for m in ("BANKA", "BANKB"):
        expected = (-npv[m] * D("0.0435") / 365).quantize(D("0.01"), rounding=ROUND_HALF_EVEN) + 0
        assert (pai[m]["overnight_index"], pai[m]["days"], pai[m]["day_basis"]) == ("AONIA", "1", "365")
        assert D(pai[m]["vm_balance"]) == npv[m]
        assert D(pai[m]["pai"]) == expected

    # run again, resuming: every step is finished, nothing runs and the figures stand
    code, out, _ = cli(
        "eod", "--date", "2026-01-07", "--market-data", str(market), "--resume", "--db", db, "--json"
    )
    assert code == 0
    assert json.loads(out)["steps"] == {}
    code, out, _ = cli("margin", "vm", "--date", "2026-01-07", "--db", db, "--json")
    assert {r["member"]: D(r["vm"]) for r in json.loads(out)} == {m: npv[m] for m in ("BANKA", "BANKB")}

    # the whole day again with --reports-dir: the same figures, and each member's reports written there
    reports = tmp_path / "reports"
    code, out, err = cli(
        "eod", "--date", "2026-01-07", "--market-data", str(market), "--overnight-rates", str(rates),
        "--reports-dir", str(reports), "--db", db, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert (json.loads(out)["steps"]["reports"], json.loads(out)["reported"]) == ("done", 2)
    for m in ("BANKA", "BANKB"):
        (margin,) = [
            r
            for r in csv.DictReader((reports / m / "2026-01-07" / "margin.csv").open())
            if r["vm_balance"] != "0"
        ]
        assert (D(margin["variation_margin"]), D(margin["pai"])) == (npv[m], D(pai[m]["pai"]))


def test_eod_without_the_day_fixing_fails_at_pai_and_names_it(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    onboard(db)
    for m in ("BANKA", "BANKB"):
        cli("collateral", "lodge", m, "--cash", "100000000", "--db", db)
    _clear_two_trades(db)
    market = tmp_path / "market"
    assert cli("market", "synth", "--out", str(market), "--as-of", "2026-01-07")[0] == 0
    rates = tmp_path / "overnight.csv"
    rates.write_text("index,date,rate_percent\nSOFR,2026-01-07,5.31\n")
    code, out, _ = cli(
        "eod", "--date", "2026-01-07", "--market-data", str(market), "--overnight-rates", str(rates),
        "--db", db, "--json",
    )  # fmt: skip
    assert code == 1
    failed = json.loads(out)["failed"]
    assert failed["step"] == "pai"
    assert "MD_MISSING_OVERNIGHT_RATE" in failed["error"]
    assert "AONIA/2026-01-07" in failed["error"]


def test_margin_of_trade_files_is_still_margin(tmp_path: Path) -> None:
    help_text = " ".join(runner.invoke(app, ["margin", "-h"]).stdout.split())
    assert "--account" in help_text
    assert "margin vm" in help_text
    assert "--date" in " ".join(runner.invoke(app, ["margin", "vm", "-h"]).stdout.split())
