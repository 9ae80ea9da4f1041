"""`clearing-gateway source` and `audit list`, run as an operator runs them, on a SQLite file; the ACL
rendered from the sources."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.channels.mqtt.broker.acl_file import acl_file, source_acl_lines
from gateway.cli.app import app
from gateway.refdata.sources import SourceStatus, TradeSource
from tests.strategies import LEI_A, LEI_B

for _module in (
    "gateway.cli.cmd_admin",
    "gateway.cli.cmd_eod",
    "gateway.cli.cmd_source",
    "gateway.cli.cmd_audit",
):
    importlib.import_module(_module)

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'refdata.db'}"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def refused(stderr: str) -> list[str]:
    return [i["code"] for i in json.loads(stderr)["error"]]


def test_sources_are_added_listed_suspended_and_reinstated(db: str) -> None:
    add = ("source", "add", "MW", "--mqtt-user", "markitwire", "--fix-comp-id", "MW_FIX", "--venue")
    code, out, _ = cli(*add, "--party", LEI_A, "--db", db, "--json")
    assert code == 0
    row = json.loads(out)
    assert (
        row["source"],
        row["mqtt_user"],
        row["fix_comp_id"],
        row["venue"],
        row["party_id"],
        row["status"],
    ) == (
        "MW",
        "markitwire",
        "MW_FIX",
        True,
        LEI_A,
        "ACTIVE",
    )
    assert cli("source", "add", "TW", "--mqtt-user", "tradeweb", "--db", db)[0] == 0
    code, out, _ = cli("source", "list", "--db", db, "--json")
    assert [(s["source"], s["venue"], s["fix_comp_id"]) for s in json.loads(out)] == [
        ("MW", True, "MW_FIX"),
        ("TW", False, None),
    ]
    table = cli("source", "list", "--db", db)[1]
    assert "markitwire" in table
    assert "tradeweb" in table
    assert json.loads(cli("source", "suspend", "TW", "--db", db, "--json")[1])["status"] == "SUSPENDED"
    assert json.loads(cli("source", "reinstate", "TW", "--db", db, "--json")[1])["status"] == "ACTIVE"
    code, _, err = cli("source", "suspend", "NOPE", "--db", db, "--json")
    assert code == 2
    assert refused(err) == ["REF_UNKNOWN_SOURCE"]


def test_ids_and_compids_already_held_are_refused(db: str) -> None:
    assert cli("participant", "add", "BANKA", "--party", LEI_A, "--comp-id", "BANKA_FIX", "--db", db)[0] == 0
    assert cli("source", "add", "MW", "--mqtt-user", "mw", "--fix-comp-id", "MW_FIX", "--db", db)[0] == 0
    cases = {
        ("BANKA", "--mqtt-user", "BANKA"): ("REF_ALREADY_EXISTS", "members are not sources"),
        ("MW", "--mqtt-user", "other"): ("REF_ALREADY_EXISTS", "already exists"),
        ("X1", "--mqtt-user", "x", "--fix-comp-id", "BANKA_FIX"): ("REF_ALREADY_EXISTS", "member BANKA"),
        ("X2", "--mqtt-user", "x", "--fix-comp-id", "MW_FIX"): ("REF_ALREADY_EXISTS", "source MW"),
        ("A/B", "--mqtt-user", "x"): ("REF_INVALID_SOURCE", "'/'"),
        ("A+", "--mqtt-user", "x"): ("REF_INVALID_SOURCE", "'+'"),
        ("#", "--mqtt-user", "x"): ("REF_INVALID_SOURCE", "'#'"),
        ("OK", "--mqtt-user", "two words"): ("REF_INVALID_INPUT", "whitespace"),
        ("X3", "--mqtt-user", "BANKA"): ("REF_ALREADY_EXISTS", "broker user"),
        ("X4", "--mqtt-user", "gateway"): ("REF_ALREADY_EXISTS", "gateway's own"),
    }
    for args, (code_expected, text) in cases.items():
        code, _, err = cli("source", "add", *args, "--db", db, "--json")
        assert code == 2, args
        assert refused(err) == [code_expected], args
        assert text in err, (args, err)
    # and the other way round: a member cannot take a source's id or its CompID
    code, _, err = cli("participant", "add", "MW", "--party", LEI_B, "--db", db)
    assert code == 2
    assert "members are not sources" in err
    code, _, err = cli("participant", "add", "BANKB", "--party", LEI_B, "--comp-id", "MW_FIX", "--db", db)
    assert code == 2
    assert "trade source" in err
    assert cli("source", "add", "TW", "--mqtt-user", "tradeweb", "--db", db)[0] == 0
    code, _, err = cli("participant", "add", "tradeweb", "--party", LEI_B, "--db", db)
    assert code == 2
    assert "MQTT user" in err
    assert [s["source"] for s in json.loads(cli("source", "list", "--db", db, "--json")[1])] == ["MW", "TW"]


def test_the_acl_grants_intake_topics_to_active_sources_only(db: str, tmp_path: Path) -> None:
    lines = source_acl_lines(
        [
            TradeSource("MW", "markitwire", venue=True),
            TradeSource("OLD", "old", status=SourceStatus.SUSPENDED),
            TradeSource("TW", "tradeweb"),
        ],
        "uat/ccp",
    )
    assert lines == [
        "# venue MW",
        "user markitwire",
        "topic write uat/ccp/in/MW/fpml",
        "topic read uat/ccp/out/MW/fpml",
        "",
        "# trade source TW",
        "user tradeweb",
        "topic write uat/ccp/in/TW/fpml",
        "topic read uat/ccp/out/TW/fpml",
        "",
    ]
    assert cli("source", "add", "MW", "--mqtt-user", "markitwire", "--db", db)[0] == 0
    assert cli("source", "add", "OLD", "--mqtt-user", "old", "--db", db)[0] == 0
    assert cli("source", "suspend", "OLD", "--db", db)[0] == 0
    out = tmp_path / "acl"
    code, printed, _ = cli("source", "acl", "--out", str(out), "--db", db, "--json")
    assert code == 0
    assert json.loads(printed)["sources"] == ["MW"]
    text = out.read_text()
    assert text == acl_file([TradeSource("MW", "markitwire")])
    assert "topic write ccp/in/MW/fpml" in text
    assert "ccp/in/OLD" not in text
    patterns = [line for line in text.splitlines() if line.startswith("pattern")]
    # no pattern grants an intake topic: a member reads its own statuses and reports
    assert patterns == ["pattern read ccp/member/%u/fpml", "pattern read ccp/member/%u/reports"]


def test_every_admin_command_leaves_an_audit_row_with_its_operator(db: str, tmp_path: Path) -> None:
    env = {"CLEARING_OPERATOR": "carol"}
    steps: list[tuple[list[str], dict[str, str] | None, str, str]] = [
        (["participant", "add", "BANKA", "--party", LEI_A, "--operator", "alice"], None, "alice", "ok"),
        (["participant", "add", "BANKB", "--party", LEI_B], env, "carol", "ok"),
        (["participant", "add-account", "BANKA", "C9", "--operator", "alice"], None, "alice", "ok"),
        (["participant", "suspend", "BANKB", "--operator", "bob"], None, "bob", "ok"),
        (["participant", "reactivate", "BANKB", "--operator", "bob"], None, "bob", "ok"),
        (["collateral", "lodge", "BANKA", "--cash", "1000", "--operator", "bob"], None, "bob", "ok"),
        (
            ["collateral", "withdraw", "BANKA", "--asset", "AUD", "--quantity", "10", "--operator", "bob"],
            None,
            "bob",
            "ok",
        ),
        (["source", "add", "MW", "--mqtt-user", "mw", "--operator", "alice"], None, "alice", "ok"),
        (
            ["source", "add", "BANKA", "--mqtt-user", "x", "--operator", "mallory"],
            None,
            "mallory",
            "refused: REF_ALREADY_EXISTS",
        ),
        (["source", "suspend", "MW", "--operator", "alice"], None, "alice", "ok"),
        (["source", "reinstate", "MW", "--operator", "alice"], None, "alice", "ok"),
        (["source", "acl", "--out", str(tmp_path / "acl"), "--operator", "alice"], None, "alice", "ok"),
        (["eod", "--date", "2026-01-07", "--operator", "dave"], None, "dave", "ok"),
    ]
    for args, step_env, _, _ in steps:
        cli(*args, "--db", db, env=step_env)
    code, out, _ = cli("audit", "list", "--db", db, "--json")
    assert code == 0
    rows = json.loads(out)
    expected_commands = [
        "participant add",
        "participant add",
        "participant add-account",
        "participant suspend",
        "participant reactivate",
        "collateral lodge",
        "collateral withdraw",
        "source add",
        "source add",
        "source suspend",
        "source reinstate",
        "source acl",
        "eod",
    ]
    assert [r["command"] for r in rows] == expected_commands
    assert [(r["operator"], r["outcome"]) for r in rows] == [(op, outcome) for _, _, op, outcome in steps]
    assert rows[0]["arguments"]["member"] == "BANKA"
    assert rows[8]["arguments"] == {
        "source": "BANKA",
        "mqtt_user": "x",
        "fix_comp_id": None,
        "venue": False,
        "party": None,
        "party_scheme": "lei",
    }
    # filters
    code, out, _ = cli("audit", "list", "--operator", "bob", "--db", db, "--json")
    assert {r["operator"] for r in json.loads(out)} == {"bob"}
    assert len(json.loads(out)) == 4
    assert json.loads(cli("audit", "list", "--since", "2999-01-01", "--db", db, "--json")[1]) == []
    assert "mallory" in cli("audit", "list", "--db", db)[1]


def test_without_operator_the_os_user_is_recorded_as_such(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLEARING_OPERATOR", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "opsuser")
    assert cli("participant", "add", "BANKA", "--party", LEI_A, "--db", db)[0] == 0
    (row,) = json.loads(cli("audit", "list", "--db", db, "--json")[1])
    assert row["operator"] == "os:opsuser"
