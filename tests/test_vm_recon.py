"""``clearing-recon run --db URL --member-vm FILE``: the member's VM figures against the CCP's variation
margin of the date, read from the gateway database's view ``member_variation_margin`` (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from gateway.clearing.margin_cycle import TradeVm
from gateway.store import eod_repo, open_store
from recon.cli import app as recon_app
from recon.figure_sources import FIGURE_COLUMNS
from tests.clearing.conftest import aud_irs
from tests.test_position_export import DAY, _clear, gateway_app, gateway_db, runner

__all__ = ["gateway_db"]


async def _vm(url: str, day: str, figures: dict[str, Decimal]) -> None:
    """The end of day's variation margin of BANKB's sides (HOUSE, AUD)."""
    engine = await open_store(url)
    try:
        rows = [
            TradeVm(ccp_id, "BANKB", "HOUSE", "AUD", vm, Decimal(0), Decimal(0), vm)
            for ccp_id, vm in sorted(figures.items())
        ]
        async with engine.begin() as conn:
            await eod_repo.put_vm(conn, date.fromisoformat(day), rows)
    finally:
        await engine.dispose()


def test_member_vm_against_the_ccps_variation_margin_of_the_day(gateway_db: str, tmp_path: Path) -> None:
    trades = [aud_irs("T1"), aud_irs("T2", years=7), aud_irs("T3", years=3)]
    t1, t2, t3 = asyncio.run(
        _clear(gateway_db, trades, dict.fromkeys(("T1", "T2", "T3"), Decimal(0)), onboard=True)
    )
    asyncio.run(_vm(gateway_db, DAY, {t1: Decimal("1250.50"), t2: Decimal("-75.25"), t3: Decimal(10)}))
    asyncio.run(_vm(gateway_db, "2026-01-06", {t1: Decimal(99)}))  # another day: not matched

    book = tmp_path / "book.csv"
    exported = runner.invoke(
        gateway_app,
        ["export", "positions", "--date", DAY, "--member", "BANKB", "--out", str(book), "--db", gateway_db],
    )
    assert exported.exit_code == 0, exported.stderr
    member_vm = tmp_path / "vm.csv"
    with member_vm.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIGURE_COLUMNS)
        writer.writerow([t1, "HOUSE", "AUD", DAY, "1250.505"])  # within the cent
        writer.writerow([t2, "HOUSE", "AUD", DAY, "-80.25"])  # 5 off
        writer.writerow(["CCP-NOT-THERE", "HOUSE", "AUD", DAY, "3"])
    out = tmp_path / "out"
    result = runner.invoke(
        recon_app,
        [
            "run", "--date", DAY, "--member", "BANKB", "--member-book", str(book), "--db", gateway_db,
            "--member-vm", str(member_vm), "--out", str(out), "--store", str(tmp_path / "b.db"), "--no-pdf",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with (out / "breaks.csv").open() as handle:
        found = sorted(
            (r["break_type"], r["trade_id"], r["member_value"], r["ccp_value"])
            for r in csv.DictReader(handle)
        )
    assert found == [
        ("VM_MISMATCH", t2, "-80.25", "-75.25"),
        ("VM_MISSING_AT_CCP", "CCP-NOT-THERE", "3", ""),
        ("VM_MISSING_AT_MEMBER", t3, "", "10"),
    ]
