"""Issue 12's command-line defects, each as a user meets it: tracebacks, help and option names.

The issue's own examples run as subprocesses of the installed entry points; the rest in-process through
the same ``main`` wrapper (``KitGroup.main``) with typer's runner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli.app import app
from recon.cli import app as recon_app
from tests.cli.tree import leaves, runner
from tests.strategies import LEI_A

BIN = Path(sys.executable).parent  # the entry points installed with this interpreter's package
GATEWAY = str(BIN / "clearing-gateway")
RECON = str(BIN / "clearing-recon")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARING_DB", raising=False)
    monkeypatch.delenv("CLEARING_DEBUG", raising=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    assert cli("participant", "add", "BANKA", "--party", LEI_A, "--tolerance", "0", "--db", url)[0] == 0
    return url


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def shell(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# ---------------------------------------------------------------- tracebacks (issue examples, real processes)


def test_a_negative_cash_amount_names_cash(db: str) -> None:
    done = shell(GATEWAY, "collateral", "lodge", "BANKA", "--cash", "-100", "--currency", "AUD", "--db", db)
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "clearing-gateway: error: --cash: must be positive, got -100 (REF_INVALID_INPUT)"
    )
    shown = json.loads(cli("collateral", "show", "--member", "BANKA", "--db", db, "--json")[1])
    assert shown[0]["holdings"] == []  # nothing stored


def test_a_haircut_of_150_percent_is_one_line(db: str) -> None:
    done = shell(
        GATEWAY, "collateral", "lodge", "BANKA", "--security", "AU000XCLWAB3", "--quantity", "10",
        "--price", "99", "--haircut", "1.5", "--db", db,
    )  # fmt: skip
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("clearing-gateway: error: --haircut: ")
    assert "haircut 1.5 is not within [0, 1)" in line


def test_a_synchronous_postgresql_url_says_which_to_use() -> None:
    done = shell(GATEWAY, "collateral", "show", "BANKA", "--db", "postgresql://bad")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "ModuleNotFoundError" not in line
    assert line == (
        "clearing-gateway: error: --db: postgresql:// is a synchronous driver; use postgresql+asyncpg://bad "
        "(REF_INVALID_INPUT)"
    )


def test_an_unreachable_database_names_host_and_port() -> None:
    done = shell(GATEWAY, "participant", "list", "--db", "postgresql+asyncpg://clearing@127.0.0.1:1/gateway")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "--db: database at 127.0.0.1:1 unreachable" in line


def test_recon_errors_have_the_gateway_format(tmp_path: Path) -> None:
    done = shell(RECON, "breaks", "--member", "BANKA", "--store", str(tmp_path / "typo" / "breaks.db"))
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("clearing-recon: error: --store: no break store at ")
    assert not (tmp_path / "typo").exists()


def test_an_internal_failure_is_one_line_and_debug_shows_the_traceback(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.admin.reference import ReferenceData

    async def broken(self: ReferenceData) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ReferenceData, "list_participants", broken)
    result = runner.invoke(app, ["participant", "list", "--db", db])
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        "clearing-gateway: error: internal failure: RuntimeError: disk on fire; "
        "rerun with CLEARING_DEBUG=1 for the traceback (INTERNAL_ERROR)"
    )
    monkeypatch.setenv("CLEARING_DEBUG", "1")
    result = runner.invoke(app, ["participant", "list", "--db", db])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "disk on fire" in result.stderr


def test_with_json_errors_are_json(db: str) -> None:
    code, out, err = cli("collateral", "show", "--member", "NOBODY", "--db", db, "--json")
    assert (code, out) == (2, "")
    assert json.loads(err) == {
        "error": [
            {
                "code": "REF_UNKNOWN_MEMBER",
                "path": "--member",
                "message": "no member 'NOBODY': check the id (clearing-gateway participant list)",
            }
        ]
    }


def test_a_mistyped_database_folder_is_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "vra"
    code, _, err = cli("collateral", "show", "--member", "BANKA", "--db", f"sqlite+aiosqlite:///{typo}/g.db")
    assert code == 2
    assert f"folder {typo} does not exist" in one_line(err)
    assert not typo.exists()
    # db upgrade is the command that creates it
    assert cli("db", "upgrade", "--db", f"sqlite+aiosqlite:///{typo}/g.db")[0] == 0
    assert (typo / "g.db").is_file()


def test_export_for_an_unknown_member_is_refused(db: str, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    code, _, err = cli(
        "export", "positions", "--date", "2026-01-07", "--member", "NOBODY", "--out", str(out), "--db", db
    )
    assert code == 2
    assert one_line(err) == (
        "clearing-gateway: error: --member: no member 'NOBODY': check the id "
        "(clearing-gateway participant list) (REF_UNKNOWN_MEMBER)"
    )
    assert not out.exists()


# ---------------------------------------------------------------- help and options


@pytest.mark.parametrize("prog", ["clearing-gateway", "clearing-recon"])
def test_version_and_short_help(prog: str) -> None:
    from importlib.metadata import version

    done = shell(str(BIN / prog), "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"{prog} {version('otc-clearing-gateway')}")
    short, long = shell(str(BIN / prog), "-h"), shell(str(BIN / prog), "--help")
    assert short.returncode == 0
    assert short.stdout == long.stdout
    assert f"Usage: {prog}" in short.stdout


def test_every_command_has_short_help_and_renders_its_brackets() -> None:
    checked = 0
    for leaf in leaves():
        result = runner.invoke(app if leaf.prog == "clearing-gateway" else recon_app, [*leaf.path, "-h"])
        assert result.exit_code == 0, leaf.name
        shown = " ".join(result.stdout.split())
        for p in leaf.params():
            text = " ".join((getattr(p, "help", None) or "").split())
            if "[" in text and not p.hidden:
                assert text in shown, (leaf.name, text)
                checked += 1
    assert checked >= 3
    margin = " ".join(runner.invoke(app, ["margin", "-h"]).stdout.split())
    assert "Risk configuration TOML ([scenarios], [margin])." in margin
    fix = " ".join(runner.invoke(app, ["fix", "serve", "-h"]).stdout.split())
    assert "Acceptor TOML: [acceptor] and one [[members]] per CompID." in fix


def test_hidden_options_do_not_show_in_help() -> None:
    hidden = 0
    for leaf in leaves():
        result = runner.invoke(app if leaf.prog == "clearing-gateway" else recon_app, [*leaf.path, "-h"])
        usage = result.stdout.splitlines()[0]
        for p in leaf.params():
            if p.hidden:
                hidden += 1
                for flag in getattr(p, "opts", ()):
                    if flag.startswith("-"):
                        assert f"{flag} " not in result.stdout, (leaf.name, flag)
                if p.param_type_name == "argument":
                    assert "MEMBER" not in usage, (leaf.name, usage)
    assert hidden >= 7  # --market x2, MEMBER x3, --asset, --port-factory (and recon's --now)


def test_fix_serve_needs_no_developer_hook(tmp_path: Path) -> None:
    config = tmp_path / "fix.toml"
    config.write_text('[acceptor]\nport = 0\ncomp_id = "CCP"\n')
    code, _, err = cli("fix", "serve", "--config", str(config))
    assert code == 2
    assert "clearing-gateway serve" in one_line(err)
    assert "--port-factory" not in runner.invoke(app, ["fix", "serve", "-h"]).stdout


def test_the_hidden_port_factory_still_starts_the_acceptor(tmp_path: Path) -> None:
    from tests.channels.fix.conftest import REPO, free_port

    config = tmp_path / "fix.toml"
    config.write_text(
        f'[acceptor]\nport = {free_port()}\ncomp_id = "CCP"\ndata_dir = "{tmp_path / "data"}"\n\n'
        '[[members]]\ncomp_id = "MEMBER1"\nparticipant = "549300VBWWV6BYQOWM67"\n'
    )
    proc = subprocess.Popen(
        [
            GATEWAY,
            "fix",
            "serve",
            "--config",
            str(config),
            "--port-factory",
            "tests.channels.fix.ports:make_sqlite_port",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    started = False
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # until the banner, or the end of a process that stopped
            if "listening on port" in line:
                started = True
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert started


def test_market_data_is_one_spelling_and_market_still_works(db: str, tmp_path: Path) -> None:
    market = tmp_path / "market"
    code, _, err = cli("market", "synth", "--out", str(market), "--as-of", "2026-01-07")
    assert code == 0, err
    for spelling in ("--market-data", "--market"):
        code, out, err = cli("eod", "--date", "2026-01-07", spelling, str(market), "--db", db, "--json")
        assert code == 0, err
        assert json.loads(out)["revaluation"] is not None
    assert "--market " not in runner.invoke(app, ["eod", "-h"]).stdout
    assert "--market-data" in runner.invoke(app, ["bench", "clearing", "-h"]).stdout


def test_collateral_takes_member_and_the_positional_still_works(db: str) -> None:
    code, out, _ = cli("collateral", "lodge", "--member", "BANKA", "--cash", "1000", "--db", db, "--json")
    assert code == 0
    code, out, _ = cli("collateral", "lodge", "BANKA", "--cash", "500", "--db", db, "--json")
    assert code == 0
    assert json.loads(out)[0]["collateral_value"] == "1500.00"
    code, _, err = cli("collateral", "show", "--db", db)
    assert code == 2
    assert "Missing option '--member'" in one_line(err)


def test_withdraw_speaks_like_lodge_and_asset_still_works(db: str) -> None:
    cli("collateral", "lodge", "--member", "BANKA", "--cash", "1000", "--db", db)
    cli("collateral", "lodge", "--member", "BANKA", "--security", "AU000XCLWAB3", "--quantity", "10",
        "--price", "100", "--haircut", "0.1", "--db", db)  # fmt: skip
    code, out, err = cli(
        "collateral",
        "withdraw",
        "--member",
        "BANKA",
        "--cash",
        "100",
        "--currency",
        "AUD",
        "--db",
        db,
        "--json",
    )
    assert code == 0, err
    code, out, err = cli(
        "collateral", "withdraw", "--member", "BANKA", "--security", "AU000XCLWAB3", "--quantity", "4",
        "--db", db, "--json",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = cli(
        "collateral", "withdraw", "BANKA", "--asset", "AUD", "--quantity", "400", "--db", db, "--json"
    )
    assert code == 0, err
    holdings = {h["asset"]: h["quantity"] for h in json.loads(out)[0]["holdings"]}
    assert holdings == {"AUD": "500", "AU000XCLWAB3": "6"}
    assert "--asset" not in runner.invoke(app, ["collateral", "withdraw", "-h"]).stdout


def test_holdings_print_readably(db: str) -> None:
    cli("collateral", "lodge", "--member", "BANKA", "--cash", "50000000", "--db", db)
    cli("collateral", "lodge", "--member", "BANKA", "--security", "AU000XCLWAB3", "--quantity", "100000",
        "--price", "99.2", "--haircut", "0.03", "--db", db)  # fmt: skip
    code, out, _ = cli("collateral", "show", "--member", "BANKA", "--db", db)
    assert code == 0
    flat = " ".join(out.replace("│", " ").split())
    assert "AUD 50,000,000" in flat
    assert "AU000XCLWAB3 100,000 @ 99.2 AUD, haircut 3%" in flat
    assert "@ 1 -0" not in flat


def test_eod_and_export_print_a_table_unless_json(db: str, tmp_path: Path) -> None:
    code, out, _ = cli("eod", "--date", "2026-01-07", "--db", db)
    assert code == 0
    assert "business_date" in out
    assert "2026-01-07" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    code, out, _ = cli("eod", "--date", "2026-01-08", "--db", db, "--json")
    assert json.loads(out)["business_date"] == "2026-01-08"
    target = tmp_path / "positions.csv"
    code, out, _ = cli("export", "positions", "--date", "2026-01-07", "--out", str(target), "--db", db)
    assert code == 0
    assert str(target) in " ".join(out.split()) or target.name in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    code, out, _ = cli(
        "export", "positions", "--date", "2026-01-07", "--out", str(target), "--db", db, "--json"
    )
    assert json.loads(out)["rows"] == 0


def test_market_synth_says_what_days_needs(tmp_path: Path) -> None:
    help_text = " ".join(runner.invoke(app, ["market", "synth", "-h"]).stdout.split())
    assert "1,255" not in help_text
    assert "at least 1,260" in help_text
    code, _, err = cli("market", "synth", "--out", str(tmp_path / "m"), "--days", "1259")
    assert code == 2
    assert "1260" in one_line(err)
    assert not (tmp_path / "m").exists()


def test_recon_breaks_prints_a_table_json_or_csv(tmp_path: Path) -> None:
    from recon.store import BreakStore

    store = tmp_path / "breaks.db"
    BreakStore(str(store)).close()  # an empty store
    result = runner.invoke(recon_app, ["breaks", "--member", "CM1", "--store", str(store)])
    assert result.exit_code == 0
    assert "CM1: 0 open breaks" in result.stdout
    result = runner.invoke(recon_app, ["breaks", "--member", "CM1", "--store", str(store), "--json"])
    assert json.loads(result.stdout) == []
    out = tmp_path / "b.csv"
    result = runner.invoke(recon_app, ["breaks", "--member", "CM1", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_text().startswith("break_id,break_type,trade_id")
    result = runner.invoke(recon_app, ["breaks", "--member", "CM1", "--store", str(store), "--out", "b.txt"])
    assert result.exit_code == 2
    assert "--out" in one_line(result.stderr)


def test_usage_errors_stay_short() -> None:
    done = shell(GATEWAY, "collateral", "lodge", "--member", "BANKA", "--cash", "lots")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "--cash" in line
    assert "see 'clearing-gateway collateral lodge -h'" in line


def test_refusals_name_the_option_typed(db: str) -> None:
    code, _, err = cli(
        "participant", "add", "BANKZ", "--party", "549300ZZTESTBANKZ091", "--credit-score", "99", "--db", db
    )
    assert code == 2
    assert "--credit-score: credit score 99 is not within 1..10 (REF_INVALID_INPUT)" in err
    code, _, err = cli(
        "collateral", "lodge", "--member", "BANKA", "--account", "NOPE", "--cash", "1", "--db", db
    )
    assert code == 2
    assert one_line(err).startswith("clearing-gateway: error: --account: member BANKA has no account 'NOPE'")
