"""What operators type into the admin commands is checked: run as a user runs them, on a SQLite file.

Each case is a command that today's input rules let through or misreport: a party id that is not an LEI,
a security that is not an ISIN or has no haircut, a currency outside ISO 4217, an account or member that
does not exist, an output file whose suffix is not the format written. Each is refused with exit status 2,
its reason code and the option at fault on stderr, and leaves the database as it was.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.app import app
from tests.strategies import LEI_A, LEI_B

for _module in (
    "gateway.cli.cmd_admin",
    "gateway.cli.cmd_export",
    "gateway.cli.cmd_source",
):
    importlib.import_module(_module)

runner = CliRunner()
DUMMY_SCHEME = "http://www.fpml.org/coding-scheme/dummy-party-id"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    code, _, err = cli("participant", "add", "BANKA", "--party", LEI_A, "--client", "C1", "--db", url)
    assert code == 0, err
    return url


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def refused(code: str, option: str, *args: str) -> str:
    exit_code, out, err = cli(*args)
    assert exit_code == 2, (out, err)
    assert code in err, err
    assert option in err, err
    assert "Traceback" not in err
    return err


def members(db: str) -> list[dict[str, object]]:
    code, out, err = cli("participant", "list", "--db", db, "--json")
    assert code == 0, err
    listed: list[dict[str, object]] = json.loads(out)
    return listed


def holdings(db: str, account: str = "HOUSE") -> list[object]:
    code, out, err = cli("collateral", "show", "BANKA", "--account", account, "--db", db, "--json")
    assert code == 0, err
    found: list[object] = json.loads(out)[0]["holdings"]
    return found


# ---------------------------------------------------------------- party ids


@pytest.mark.parametrize("party", ["12345", "549300VBWWV6BYQOWM68", "549300vbwwv6byqowm67"])
def test_participant_add_refuses_a_party_that_is_not_an_lei(db: str, party: str) -> None:
    err = refused("REF_INVALID_LEI", "--party", "participant", "add", "BANKB", "--party", party, "--db", db)
    assert "--party-scheme" in err  # what to do when the member is not identified by an LEI
    assert [m["member"] for m in members(db)] == ["BANKA"]


def test_participant_add_takes_another_scheme_when_it_is_named(db: str) -> None:
    code, out, err = cli(
        "participant",
        "add",
        "BANKB",
        "--party",
        "12345",
        "--party-scheme",
        DUMMY_SCHEME,
        "--db",
        db,
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["party_ids"] == ["12345"]


def test_source_add_refuses_a_party_that_is_not_an_lei(db: str) -> None:
    add = ("source", "add", "mw", "--mqtt-user", "mw")
    refused("REF_INVALID_LEI", "--party", *add, "--party", "12345", "--db", db)
    code, out, err = cli("source", "list", "--db", db, "--json")
    assert code == 0, err
    assert json.loads(out) == []
    code, out, err = cli(*add, "--party", "MW-1", "--party-scheme", DUMMY_SCHEME, "--db", db, "--json")
    assert code == 0, err
    assert json.loads(out)["party_id"] == "MW-1"
    code, _, err = cli("source", "add", "tw", "--mqtt-user", "tw", "--party", LEI_B, "--db", db)
    assert code == 0, err


# ---------------------------------------------------------------- currencies


@pytest.mark.parametrize(
    "args",
    [
        ("collateral", "lodge", "BANKA", "--cash", "100", "--currency", "XYZ"),
        (
            "collateral",
            "lodge",
            "BANKA",
            "--security",
            "AU000XCLWAB3",
            "--quantity",
            "1",
            "--price",
            "99",
            "--currency",
            "XYZ",
        ),
    ],
)
def test_a_currency_outside_iso_4217_is_refused_as_such(db: str, args: tuple[str, ...]) -> None:
    err = refused("REF_UNKNOWN_CURRENCY", "--currency", *args, "--db", db)
    assert "MD_MISSING_CURVE" not in err
    assert holdings(db) == []


def test_a_base_currency_outside_iso_4217_is_refused_naming_the_option(db: str) -> None:
    refused(
        "REF_UNKNOWN_CURRENCY",
        "--base-currency",
        *("participant", "add", "BANKB", "--party", LEI_B, "--base-currency", "XYZ", "--db", db),
    )
    refused(
        "REF_UNKNOWN_CURRENCY",
        "--base-currency",
        *("participant", "add-account", "BANKA", "C2", "--base-currency", "aud", "--db", db),
    )
    assert [m["member"] for m in members(db)] == ["BANKA"]
    assert [a["account"] for a in members(db)[0]["accounts"]] == ["HOUSE", "C1"]  # type: ignore[index]


# ---------------------------------------------------------------- securities and haircuts


def test_a_security_that_is_not_an_isin_is_refused(db: str) -> None:
    lodge = ("collateral", "lodge", "BANKA", "--quantity", "1", "--price", "99", "--db", db)
    refused("REF_INVALID_ISIN", "--security", *lodge, "--security", "BADISIN")
    refused("REF_INVALID_ISIN", "--security", *lodge, "--security", "AU000XCLWAB8", "--haircut", "0.1")
    assert holdings(db) == []


def test_a_security_needs_a_haircut_given_or_configured(db: str, tmp_path: Path) -> None:
    lodge = ("collateral", "lodge", "BANKA", "--quantity", "1000", "--price", "100", "--db", db, "--json")
    err = refused("REF_HAIRCUT_REQUIRED", "--haircut", *lodge, "--security", "CH0012032048")
    assert "CH0012032048" in err
    assert holdings(db) == []

    # from the shipped table (Australian ISINs)
    code, out, err = cli(*lodge, "--security", "AU000XCLWAB3")
    assert code == 0, err
    (line,) = json.loads(out)[0]["holdings"]
    assert (line["asset"], line["haircut"]) == ("AU000XCLWAB3", "0.03")

    # from an operator's settings file, by whole ISIN
    settings = tmp_path / "settings.toml"
    settings.write_text("[collateral.eligible]\nCH0012032048 = 0.15\n", encoding="utf-8")
    code, out, err = cli(
        *lodge, "--security", "CH0012032048", "--currency", "CHF", "--settings", str(settings)
    )
    assert code == 0, err
    assert {h["asset"]: h["haircut"] for h in json.loads(out)[0]["holdings"]}["CH0012032048"] == "0.15"

    # given: wins over the table
    code, out, err = cli(*lodge, "--security", "US0378331005", "--currency", "USD", "--haircut", "0.2")
    assert code == 0, err
    assert {h["asset"]: h["haircut"] for h in json.loads(out)[0]["holdings"]}["US0378331005"] == "0.2"


@pytest.mark.parametrize("haircut", ["1", "1.5", "-0.1", "NaN"])
def test_a_haircut_outside_zero_to_one_is_refused(db: str, haircut: str) -> None:
    for kind in (("--cash", "100"), ("--security", "AU000XCLWAB3", "--quantity", "1", "--price", "99")):
        exit_code, out, err = cli("collateral", "lodge", "BANKA", *kind, "--haircut", haircut, "--db", db)
        assert exit_code == 2, (out, err)
        assert "--haircut" in err
        assert "Traceback" not in err
    assert holdings(db) == []


# ---------------------------------------------------------------- members and accounts


@pytest.mark.parametrize(
    "args",
    [
        ("collateral", "lodge", "BANKA", "--account", "C9", "--cash", "100"),
        ("collateral", "withdraw", "BANKA", "--account", "C9", "--asset", "AUD", "--quantity", "1"),
        ("collateral", "show", "BANKA", "--account", "C9"),
        (
            "export",
            "positions",
            "--date",
            "2026-01-12",
            "--member",
            "BANKA",
            "--account",
            "C9",
            "--out",
            "p.csv",
        ),
    ],
)
def test_an_unknown_account_is_named_with_the_members_accounts(db: str, args: tuple[str, ...]) -> None:
    err = refused("REF_UNKNOWN_ACCOUNT", "--account", *args, "--db", db)
    assert "REF_UNKNOWN_MEMBER" not in err
    assert "HOUSE, C1" in err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("export", "positions", "--date", "2026-01-12", "--member", "NOBODY", "--out", "p.csv"), "--member"),
        (("trade", "list", "--member", "NOBODY"), "--member"),
        (("collateral", "show", "NOBODY"), "member"),
    ],
)
def test_an_unknown_member_is_refused_not_an_empty_answer(
    db: str, args: tuple[str, ...], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    err = refused("REF_UNKNOWN_MEMBER", option, *args, "--db", db)
    assert "NOBODY" in err
    assert not (tmp_path / "p.csv").exists()


# ---------------------------------------------------------------- output files


@pytest.mark.parametrize("name", ["positions.txt", "positions", "positions.json"])
def test_export_refuses_a_suffix_that_is_not_the_format_written(db: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    err = refused(
        "REF_INVALID_INPUT",
        "--out",
        "export",
        "positions",
        "--date",
        "2026-01-12",
        "--out",
        str(out),
        "--db",
        db,
    )
    assert ".csv" in err
    assert ".parquet" in err
    assert not out.exists()


@pytest.mark.parametrize("name", ["positions.csv", "positions.parquet"])
def test_export_writes_the_formats_it_names(db: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    code, stdout, err = cli(
        "export",
        "positions",
        "--date",
        "2026-01-12",
        "--member",
        "BANKA",
        "--out",
        str(out),
        "--db",
        db,
        "--json",
    )
    assert code == 0, err
    assert json.loads(stdout)["rows"] == 0
    assert out.exists()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--cash", "-100"), "--cash"),
        (("--cash", "0"), "--cash"),
        (("--security", "AU000XCLWAB3", "--quantity", "-1", "--price", "99"), "--quantity"),
        (("--security", "AU000XCLWAB3", "--quantity", "1", "--price", "0"), "--price"),
    ],
)
def test_amounts_lodged_are_positive_and_named_by_their_option(
    db: str, args: tuple[str, ...], option: str
) -> None:
    exit_code, out, err = cli("collateral", "lodge", "BANKA", *args, "--db", db)
    assert exit_code == 2, (out, err)
    assert option in err
    assert "Traceback" not in err
    assert holdings(db) == []
