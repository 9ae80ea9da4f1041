"""``clearing-gateway compress`` as an operator runs it, on a SQLite file: a dry run changes nothing, the run
terminates the member's trades, creates the residuals and writes the report, whose CSV is read back and whose
PDF is opened with pypdf; a refusal names its rule and changes nothing."""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clearing.service import ClearingService
from gateway.risk.market.synth import write_market
from gateway.store import open_store
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import OPEN_NOW, TODAY, World, aud_irs
from tests.clearing.test_cli import cli, onboard
from tests.strategies import LEI_A, LEI_B

importlib.import_module("gateway.cli.cmd_compress")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def cleared_day(db: str, market: Path) -> list[str]:
    """A's cleared sides of four trades against B: pay 10m 6y, receive 6m 6y, pay 4m 12y, receive 4m 12y."""
    onboard(db)
    for m in ("BANKA", "BANKB"):
        cli("collateral", "lodge", m, "--cash", "100000000", "--db", db)

    async def trade_day() -> list[str]:
        engine = await open_store(db)
        try:
            w = World(engine)
            w.clock.current = OPEN_NOW
            checker = RiskCreditChecker.from_market_dir(market)
            service = ClearingService(engine, checker, clock=w.clock, store=SqlClearingStore(engine))
            specs = ((LEI_A, 10, 6), (LEI_B, 6, 6), (LEI_A, 4, 12), (LEI_B, 4, 12))
            for n, (payer, millions, years) in enumerate(specs, 1):
                trade = aud_irs(
                    f"C{n}", notional=Decimal(millions * 1_000_000), years=years, fixed_payer=payer
                )
                await service.submit(w.submission(trade))
            await service.drain()
            return [p.trade_id for p in await service.positions("BANKA", "HOUSE", TODAY)]
        finally:
            await engine.dispose()

    return asyncio.run(trade_day())


def test_a_compression_run_from_the_command_line_writes_its_report(db: str, tmp_path: Path) -> None:
    market = tmp_path / "market"
    write_market(market, TODAY, seed=5, days=1300)
    ids = cleared_day(db, market)
    assert len(ids) == 4
    reports = tmp_path / "reports"
    common = ("--member", "BANKA", "--account", "HOUSE", "--market-data", str(market), "--db", db)

    code, out, err = cli("compress", *common, "--all", "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(out)
    assert dry["report_csv"] is None
    assert sorted(dry["terminated"]) == sorted(ids)
    assert len(dry["created"]) == 1  # the 12y bucket is flat, the 6y bucket nets to 4m paid

    code, out, err = cli(
        "compress", *common, "--all", "--run-id", "RUN-7", "--report-dir", str(reports), "--json"
    )
    assert code == 0, err
    done = json.loads(out)
    assert Decimal(done["notional_after"]) < Decimal(done["notional_before"]) == Decimal(24_000_000)
    code, out, _ = cli(
        "export",
        "positions",
        "--member",
        "BANKA",
        "--date",
        done["business_date"],
        "--db",
        db,
        "--out",
        str(tmp_path / "p.csv"),
    )
    with (tmp_path / "p.csv").open() as f:
        live = [r for r in csv.DictReader(f) if r["status"] == "CLEARED"]
    assert [r["trade_id"] for r in live] == done["created"]

    with Path(done["report_csv"]).open() as f:
        rows = list(csv.DictReader(f))
    assert {r["row"] for r in rows} == {"TERMINATED", "CREATED", "BUCKET", "TOTAL"}
    assert sorted(r["ccp_trade_id"] for r in rows if r["row"] == "TERMINATED") == sorted(ids)
    (created,) = [r for r in rows if r["row"] == "CREATED"]
    assert created["ccp_trade_id"] == done["created"][0]
    (total,) = [r for r in rows if r["row"] == "TOTAL"]
    assert (total["notional_before"], total["notional_after"]) == (
        done["notional_before"],
        done["notional_after"],
    )
    buckets = {r["bucket"]: r for r in rows if r["row"] == "BUCKET"}
    assert set(buckets) == {"AUD AUD-BBR-BBSW 6M 5Y-10Y", "AUD AUD-BBR-BBSW 6M 10Y-30Y"}
    six = buckets["AUD AUD-BBR-BBSW 6M 5Y-10Y"]
    assert abs(Decimal(six["pv01_after"]) - Decimal(six["pv01_before"])) <= 25
    assert abs(Decimal(six["npv_after"]) - Decimal(six["npv_before"])) <= 5_000

    text = "".join(page.extract_text() for page in PdfReader(done["report_pdf"]).pages)
    assert "RUN-7" in text
    assert created["ccp_trade_id"] in text
    assert six["pv01_before"] in text
    assert total["notional_after"] in text

    code, out, err = cli("compress", *common, "--trades", created["ccp_trade_id"], "--json")
    assert code != 0
    assert "COMP_TOO_FEW_TRADES" in out + err
