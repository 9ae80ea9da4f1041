"""The admin, end-of-day and export commands, run as a user runs them, on a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.clearing.service import ClearingService
from gateway.cli.app import app
from gateway.domain.clearing import Channel, EventRequest
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.events import TradeRef
from gateway.store import open_store
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import OPEN_NOW, World, aud_irs
from tests.clearing.test_trade_amendments import amendment, with_rate
from tests.clearing.test_trade_events import termination
from tests.strategies import LEI_A, LEI_B

for _module in ("gateway.cli.cmd_admin", "gateway.cli.cmd_eod", "gateway.cli.cmd_export"):
    importlib.import_module(_module)

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def onboard(db: str) -> None:
    a = ("BANKA", "--party", LEI_A, "--comp-id", "BANKA_FIX", "--client", "C1", "--tolerance", "0")
    assert cli("participant", "add", *a, "--db", db)[0] == 0
    assert cli("participant", "add", "BANKB", "--party", LEI_B, "--tolerance", "0", "--db", db)[0] == 0


def test_participants_and_collateral(db: str, tmp_path: Path) -> None:
    onboard(db)
    code, out, _ = cli("participant", "list", "--db", db, "--json")
    assert code == 0
    members = json.loads(out)
    assert [m["member"] for m in members] == ["BANKA", "BANKB"]
    assert [m["tolerance_limit"] for m in members] == ["0", "0"]
    assert [a["account"] for a in members[0]["accounts"]] == ["HOUSE", "C1"]
    assert "BANKA_FIX" in cli("participant", "list", "--db", db)[1]  # the table form

    code, out, _ = cli("participant", "suspend", "BANKB", "--db", db, "--json")
    assert json.loads(out)["status"] == "SUSPENDED"

    code, out, _ = cli(
        "participant",
        "add",
        "BANKD",
        "--party",
        "5493000BANKD00000061",
        "--credit-score",
        "3",
        "--db",
        db,
        "--json",
    )
    assert json.loads(out)["tolerance_limit"] == "50000000"  # from the shipped score table
    code, _, err = cli("participant", "add", "BANKC", "--party", LEI_A, "--db", db, "--json")
    assert code == 2
    assert json.loads(err)["error"][0]["code"] == "REF_ALREADY_EXISTS"

    code, out, _ = cli(
        "collateral", "lodge", "BANKA", "--cash", "1000000", "--currency", "AUD", "--db", db, "--json"
    )
    assert json.loads(out)[0]["collateral_value"] == "1000000.00"
    code, out, _ = cli(
        "collateral", "lodge", "BANKA", "--security", "AU000XCLWAB3", "--quantity", "1000",
        "--price", "100", "--haircut", "0.05", "--db", db, "--json",
    )  # fmt: skip
    assert json.loads(out)[0]["collateral_value"] == "1095000.00"
    code, _, err = cli(
        "collateral", "withdraw", "--member", "BANKA", "--cash", "2000000", "--currency", "AUD", "--db", db
    )
    assert code == 2
    assert err.strip().endswith("(REF_INSUFFICIENT_HOLDING)"), err
    code, out, _ = cli(
        "collateral", "withdraw", "BANKA", "--asset", "AUD", "--quantity", "400000", "--db", db, "--json"
    )
    assert json.loads(out)[0]["excess"] == "695000.00"
    code, out, _ = cli("collateral", "show", "BANKA", "--db", db, "--json")
    assert [a["account"] for a in json.loads(out)] == ["HOUSE", "C1"]

    rates = tmp_path / "fx.toml"
    rates.write_text("pivot = 'AUD'\n[rates]\nEUR = 2\n")
    code, out, _ = cli(
        "collateral",
        "lodge",
        "BANKA",
        "--cash",
        "1000",
        "--currency",
        "EUR",
        "--fx",
        str(rates),
        "--db",
        db,
        "--json",
    )
    assert json.loads(out)[0]["collateral_value"] == "697000.00"  # 695,000 + 1,000 EUR at 2 AUD
    code, _, err = cli("collateral", "show", "BANKA", "--fx", str(tmp_path / "missing.toml"), "--db", db)
    assert code == 2
    assert "'--fx'" in err
    assert "does not exist" in err

    code, out, _ = cli("participant", "add-account", "BANKA", "C2", "--db", db, "--json")
    assert [a["account"] for a in json.loads(out)["accounts"]] == ["HOUSE", "C1", "C2"]

    code, _, err = cli("collateral", "lodge", "BANKA", "--cash", "lots", "--db", db)
    assert code == 2
    assert "--cash" in err


def test_eod_refuses_pending_and_export_writes_positions(db: str, tmp_path: Path) -> None:
    from tests.clearing.doubles import LinearMargin

    onboard(db)
    cli("participant", "reactivate", "BANKB", "--db", db)
    cli("collateral", "lodge", "BANKA", "--cash", "100000000", "--db", db)
    cli("collateral", "lodge", "BANKB", "--cash", "1000000", "--db", db)

    async def trade_day() -> tuple[str, str]:
        engine = await open_store(db)
        try:
            w = World(engine)
            w.clock.current = OPEN_NOW
            service = ClearingService(engine, LinearMargin(), clock=w.clock, store=SqlClearingStore(engine))
            small = await service.submit(w.submission(aud_irs("SMALL")))
            big = await service.submit(w.submission(aud_irs("BIG", notional=Decimal(500_000_000))))
            await service.drain()
            assert (await service.history(small.submission_id))[-1].status is S.CLEARED
            assert (await service.history(big.submission_id))[-1].status is S.PENDING
            return small.submission_id, big.submission_id
        finally:
            await engine.dispose()

    _small, big = asyncio.run(trade_day())
    code, out, _ = cli("eod", "--date", "2026-01-07", "--db", db, "--json")
    assert code == 0
    assert json.loads(out)["refused"] == [big]

    code, out, _ = cli("trade", "list", "--stage", "rejected", "--member", "BANKB", "--db", db, "--json")
    assert [(t["submission"], t["reasons"]) for t in json.loads(out)] == [
        (big, ["LIFE_NOT_REGISTERED_BY_EOD", "RISK_INSUFFICIENT_COLLATERAL"])
    ]
    code, out, _ = cli("trade", "show", "--source", "MARKITWIRE", "--trade-id", "BIG", "--db", db, "--json")
    assert [s["status"] for s in json.loads(out)] == ["Received", "Pending", "Rejected"]
    assert json.loads(out)[0]["business_date"] == "2026-01-07"
    code, _, err = cli("trade", "show", "S9999999999", "--db", db, "--json")
    assert code == 2
    assert json.loads(err)["error"][0]["path"] == "submission"
    code, _, err = cli("trade", "list", "--stage", "LIMBO", "--db", db)
    assert code == 2

    out_file = tmp_path / "positions.csv"
    code, out, _ = cli(
        "export", "positions", "--date", "2026-01-07", "--member", "BANKB", "--out", str(out_file), "--db", db,
        "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["rows"] == 1
    with out_file.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["member"], r["direction"], r["floating_index"], r["status"]) for r in rows] == [
        ("BANKB", "RECEIVE", "AUD-BBR-BBSW", "CLEARED")
    ]
    assert Decimal(rows[0]["notional"]) == Decimal(10_000_000)

    code, _, err = cli("eod", "--date", "yesterday", "--db", db)
    assert code == 2
    assert "--date" in err


def test_trade_show_tells_of_an_event_and_export_shows_the_trades_as_they_now_are(
    db: str, tmp_path: Path
) -> None:
    from tests.clearing.doubles import LinearMargin

    onboard(db)
    cli("participant", "reactivate", "BANKB", "--db", db)
    for m in ("BANKA", "BANKB"):
        cli("collateral", "lodge", m, "--cash", "100000000", "--db", db)

    async def trade_day() -> tuple[tuple[str, str], tuple[str, str]]:
        engine = await open_store(db)
        try:
            w = World(engine)
            w.clock.current = OPEN_NOW
            service = ClearingService(engine, LinearMargin(), clock=w.clock, store=SqlClearingStore(engine))
            for name in ("KEEP", "HALF", "GONE", "AMND"):
                await service.submit(w.submission(aud_irs(name)))
            await service.drain()
            for name, left in (("HALF", 5_000_000), ("GONE", 0)):
                named = replace(termination("-", left), trade=TradeRef(source_trade_id=name))
                request = EventRequest(Channel.MQTT_FPML, "MARKITWIRE", f"E-{name}", OPEN_NOW, named)
                assert (await service.submit_event(request))[-1].status is S.CLEARED
            amend = amendment(with_rate(aud_irs("AMND", version=2), "0.0410"))
            request = EventRequest(Channel.MQTT_FPML, "MARKITWIRE", "E-AMND", OPEN_NOW, amend)
            confirmed = (await service.submit_event(request))[-1]
            assert confirmed.status is S.CLEARED
            assert confirmed.event is not None
            assert confirmed.event.effect is not None
            assert confirmed.event.effect.replaced is not None
            return confirmed.event.effect.replaced, confirmed.event.ccp_trade_ids
        finally:
            await engine.dispose()

    old_ids, new_ids = asyncio.run(trade_day())
    code, out, _ = cli("trade", "show", "--source", "MARKITWIRE", "--trade-id", "HALF", "--db", db, "--json")
    assert code == 0
    shown = json.loads(out)
    assert [(s["status"], s["event"] and s["event"]["kind"]) for s in shown] == [
        ("Received", None),
        ("Cleared", None),
        ("Received", "Termination"),
        ("Cleared", "Termination"),
    ]
    assert shown[-1]["event"] == {
        "kind": "Termination",
        "message_id": "E-HALF",
        "outcome": "CONFIRMED",
        "notional_before": "10000000",
        "notional_after": "5000000",
        "currency": "AUD",
        "fee": None,
        "replaced": None,
        "replaced_by": None,
    }
    code, out, _ = cli("trade", "show", "--source", "MARKITWIRE", "--trade-id", "HALF", "--db", db)
    assert "Termination" in out  # the table's column (its text wraps at the terminal's width)
    assert "E-HALF" in out
    # an amended trade, named by a CCP trade id it had before or has since: the ids each way
    for named in (old_ids[0], new_ids[1]):
        code, out, _ = cli("trade", "show", "--ccp-trade-id", named, "--db", db, "--json")
        assert code == 0
        shown = json.loads(out)
        assert [s["trade_id"] for s in shown] == ["AMND"] * 4
        event = shown[-1]["event"]
        assert (event["kind"], event["outcome"]) == ("Amendment", "CONFIRMED")
        assert (event["replaced"], event["replaced_by"]) == (list(old_ids), list(new_ids))
        assert shown[-1]["ccp_trade_ids"] == list(new_ids)
    code, out, _ = cli("trade", "show", "--ccp-trade-id", old_ids[0], "--db", db)
    assert code == 0
    assert "replaced by" in out
    code, _, err = cli("trade", "show", "--ccp-trade-id", "CCP-NONE", "--db", db, "--json")
    assert code == 2
    assert json.loads(err)["error"][0]["path"] == "ccp_trade_id"

    out_file = tmp_path / "positions.csv"
    code, _, _ = cli(
        "export", "positions", "--date", "2026-01-07", "--member", "BANKA", "--out", str(out_file), "--db", db
    )
    assert code == 0
    with out_file.open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(Decimal(r["notional"]) for r in rows) == [
        Decimal(5_000_000),
        Decimal(10_000_000),
        Decimal(10_000_000),
    ]
    # each side's last event and original notional follow the standard columns
    assert list(rows[0])[-3:] == ["last_event", "last_event_date", "original_notional"]
    lifecycle = sorted((r["last_event"], r["last_event_date"], Decimal(r["original_notional"])) for r in rows)
    assert lifecycle == [
        ("", "", Decimal(10_000_000)),
        ("Amendment", "2026-01-07", Decimal(10_000_000)),
        ("Termination", "2026-01-07", Decimal(10_000_000)),
    ]
