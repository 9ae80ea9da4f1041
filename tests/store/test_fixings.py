"""The fixings store on SQLite and PostgreSQL: ``clearing-gateway fixings load|list`` through the real
command line; rows checked with the line and field named, reloads idempotent, conflicts refused unless
``--replace``."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from gateway.admin.fixings import FixingsStore
from gateway.cli.app import app
from gateway.cli.main import _COMMAND_MODULES
from gateway.domain.errors import MarketDataError
from gateway.domain.reasons import ReasonCode
from gateway.risk.market.fixings import Fixing, FixingTable, parse_fixings
from gateway.store import tables

assert "gateway.cli.cmd_fixings" in _COMMAND_MODULES
import gateway.cli.cmd_fixings  # noqa: E402,F401  (registers the commands)

runner = CliRunner()
AONIA = "AUD-AONIA-OIS-COMPOUND"
GOOD = (
    "# published overnight and 3M fixings\n"
    "index,date,rate\n"
    "AUD-AONIA,2026-11-19,0.0410\n"
    "AUD-AONIA-OIS-COMPOUND,2026-11-20,0.0411\n"
    "AUD-BBR-BBSW 3M,2026-11-20,0.04325\n"
)


async def cli(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, list(args))


def _json(result: Result) -> object:
    return json.loads(result.stdout)


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(tables.fixings))).scalar_one())


async def test_load_list_reload_and_replace(engine: AsyncEngine, db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "fixings-2026-11-20.csv"
    file.write_text(GOOD)
    loaded = await cli("fixings", "load", str(file), "--db", db_url, "--json")
    assert loaded.exit_code == 0, loaded.output
    assert _json(loaded) == {"source": file.name, "added": 3, "unchanged": 0, "replaced": 0}

    again = await cli("fixings", "load", str(file), "--db", db_url, "--json")
    assert _json(again) == {"source": file.name, "added": 0, "unchanged": 3, "replaced": 0}
    assert await _count(engine) == 3

    listed = await cli(
        "fixings", "list", "--index", "AUD-AONIA", "--from", "2026-11-20", "--db", db_url, "--json"
    )
    rows = _json(listed)
    assert isinstance(rows, list)
    assert [(r["index"], r["fixing_date"], r["rate"], r["source"]) for r in rows] == [
        (AONIA, "2026-11-20", "0.0411", file.name)
    ]
    everything = _json(await cli("fixings", "list", "--db", db_url, "--json"))
    assert isinstance(everything, list)
    assert [(r["index"], r["fixing_date"]) for r in everything] == [
        (AONIA, "2026-11-19"),
        (AONIA, "2026-11-20"),
        ("AUD-BBR-BBSW 3M", "2026-11-20"),
    ]

    corrected = tmp_path / "correction.csv"
    corrected.write_text("index,date,rate\nAUD-AONIA,2026-11-20,0.0412\nAUD-AONIA,2026-11-23,0.0413\n")
    refused = await cli("fixings", "load", str(corrected), "--db", db_url, "--json")
    assert refused.exit_code == 2
    (issue,) = json.loads(refused.output)["error"]
    assert issue["code"] == "MKT_FIXING_CONFLICT"
    assert issue["path"] == "correction.csv:2:rate"
    assert f"{AONIA} on 2026-11-20: 0.0412 differs from the stored 0.0411" in issue["message"]
    assert await _count(engine) == 3  # nothing of the refused file, not even its new row

    replaced = await cli("fixings", "load", str(corrected), "--replace", "--db", db_url, "--json")
    assert _json(replaced) == {"source": "correction.csv", "added": 1, "unchanged": 0, "replaced": 1}
    table = await FixingsStore(engine).table()
    assert table.rate(AONIA, date(2026, 11, 20)) == pytest.approx(0.0412)
    assert table.rate(AONIA, date(2026, 11, 23)) == pytest.approx(0.0413)
    assert len(table) == 4


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        (
            "index,date,rate\nAUD-AONIA,2026-11-20,0.04\nAUD-AONIA,20/11/2026,0.04\n",
            "MKT_BAD_FIXING",
            "f.csv:3:date",
        ),
        ("index,date,rate\nAUD-AONIA,2026-11-20,abc\n", "MKT_BAD_FIXING", "f.csv:2:rate"),
        ("index,date,rate\nAUD-AONIA,2026-11-20,4.1\n", "MKT_BAD_FIXING", "f.csv:2:rate"),
        ("index,date,rate\nAUD-NOPE,2026-11-20,0.04\n", "MKT_UNKNOWN_INDEX", "f.csv:2:index"),
        ("index,date,rate\nAUD-BBR-BBSW,2026-11-20,0.04\n", "MKT_UNKNOWN_INDEX", "f.csv:2:index"),
        ("index,date\nAUD-AONIA,2026-11-20\n", "MKT_BAD_FIXING", "f.csv:1"),
        ("index,date,rate\nAUD-AONIA,2026-11-20\n", "MKT_BAD_FIXING", "f.csv:2"),
        (
            "index,date,rate\nAUD-AONIA,2026-11-20,0.04\nAUD-AONIA-OIS-COMPOUND,2026-11-20,0.04\n",
            "MKT_BAD_FIXING",
            "f.csv:3:date",
        ),
    ],
)
async def test_a_bad_row_refuses_the_file_naming_line_and_field(
    engine: AsyncEngine, db_url: str, tmp_path: Path, body: str, code: str, where: str
) -> None:
    file = tmp_path / "f.csv"
    file.write_text(body)
    result = await cli("fixings", "load", str(file), "--db", db_url, "--json")
    assert result.exit_code == 2, result.output
    (issue,) = json.loads(result.output)["error"]
    assert (issue["code"], issue["path"]) == (code, where)
    assert await _count(engine) == 0


def test_the_parser_keeps_lines_and_canonical_names() -> None:
    rows = parse_fixings(GOOD, "g.csv")
    assert rows == [
        Fixing(AONIA, date(2026, 11, 19), Decimal("0.0410")),
        Fixing(AONIA, date(2026, 11, 20), Decimal("0.0411")),
        Fixing("AUD-BBR-BBSW 3M", date(2026, 11, 20), Decimal("0.04325")),
    ]
    assert [r.line for r in rows] == [3, 4, 5]
    with pytest.raises(MarketDataError) as err:
        FixingTable.of(rows).rate("AUD-BBR-BBSW 3M", date(2026, 11, 19))
    assert err.value.code is ReasonCode.MKT_MISSING_FIXING
    assert "AUD-BBR-BBSW 3M" in err.value.issues[0].message
    assert "2026-11-19" in err.value.issues[0].message
    assert FixingTable.of(rows).rate("AUD-BBR-BBSW 3M", date(2026, 11, 20)) == 0.04325
