"""PAI at the overnight fixings of the fixings store, when no CSV of overnight rates is configured.

The store holds fractions (``fixings load``: 0.0435 is 4.35%); the expected PAI is worked out here from the
hand-built NPV series and the rates as published, in percent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.admin.fixings import FixingsStore, StoredOvernightRates
from gateway.app import overnight_rates
from gateway.config import load_config
from gateway.risk.market.fixings import parse_fixings
from gateway.store import tables as t
from tests.clearing.test_eod_cycle import (
    AFTER_CLOSE,
    THU,
    WED,
    Node,
    expected_npv,
    nodes,  # noqa: F401 - the fixture
    pai_by_member,
    pg_url,  # noqa: F401 - the fixture
    rates,  # noqa: F401 - the fixture
    rows,
    trade_day_one,
)

D = Decimal
PUBLISHED_PERCENT = {WED: D("4.35"), THU: D("4.10")}  # AONIA as the administrator publishes it


def pai_of(balance: D, percent: D) -> D:
    """-balance x rate x 1 day / 365, rounded half-even to the cent (worked in percent)."""
    return (-balance * percent / D(100) / D(365)).quantize(D("0.01")) + D(0)


async def load(node: Node, text: str) -> None:
    await FixingsStore(node.engine).load(parse_fixings(text, "fixings.csv"), "fixings.csv")


@pytest.mark.postgres
async def test_pai_reads_the_days_overnight_fixing_from_the_fixings_store(
    nodes: Callable[[str], Node],  # noqa: F811
) -> None:
    node = nodes("node-1")
    await trade_day_one(node)
    await load(
        node,
        "index,date,rate\nAUD-AONIA,2026-01-07,0.0435\nAUD-AONIA,2026-01-08,0.0410\nUSD-SOFR,2026-01-07,0.05\n",
    )
    node.service.overnight_rates = StoredOvernightRates(FixingsStore(node.engine))
    node.service.clock.advance(AFTER_CLOSE)
    report = await node.service.end_of_day(WED)
    assert report.failed is None
    assert dict(report.steps)["pai"] == "done"
    node.service.clock.advance(timedelta(days=1))
    assert (await node.service.end_of_day(THU)).failed is None

    for day in (WED, THU):
        assert await pai_by_member(node.engine, day) == {
            m: (expected_npv(m, day), pai_of(expected_npv(m, day), PUBLISHED_PERCENT[day]))
            for m in ("BANKA", "BANKB")
        }
    assert (await pai_by_member(node.engine, WED))["BANKA"] == (D("10000.00"), D("-1.19"))
    assert {r[6] for r in await rows(node.engine, t.price_alignment_interest)} == {D("0.0435"), D("0.0410")}


@pytest.mark.postgres
async def test_a_fixing_missing_from_the_store_stops_pai_naming_index_and_date(
    nodes: Callable[[str], Node],  # noqa: F811
) -> None:
    node = nodes("node-1")
    await trade_day_one(node)
    await load(node, "index,date,rate\nAUD-AONIA,2026-01-06,0.0435\nUSD-SOFR,2026-01-07,0.05\n")
    node.service.overnight_rates = StoredOvernightRates(FixingsStore(node.engine))
    node.service.clock.advance(AFTER_CLOSE)
    report = await node.service.end_of_day(WED)
    assert report.failed is not None
    step, why = report.failed
    assert step == "pai"
    assert "MD_MISSING_OVERNIGHT_RATE" in why
    assert "AONIA" in why
    assert "2026-01-07" in why
    assert "fixings store" in why
    assert await rows(node.engine, t.price_alignment_interest) == []

    await load(node, "index,date,rate\nAUD-AONIA,2026-01-07,0.0435\n")  # published late: the rerun has it
    again = await node.service.end_of_day(WED, resume=True)
    assert again.failed is None
    assert (await pai_by_member(node.engine, WED))["BANKB"] == (D("-10000.00"), D("1.19"))


def test_a_service_without_a_csv_takes_the_fixings_store(tmp_path: Path) -> None:
    from gateway.store import create_engine

    config_file = tmp_path / "gateway.toml"
    config_file.write_text('data_dir = "var"\n')
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert isinstance(overnight_rates(load_config(config_file), engine), StoredOvernightRates)
