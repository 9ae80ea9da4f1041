"""The risk commands, run through the real ``clearing-gateway`` application."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.app import app
from gateway.cli.main import _COMMAND_MODULES
from gateway.domain import codec
from gateway.risk.market.loader import load_market
from tests.risk import builders as b

assert "gateway.cli.cmd_risk" in _COMMAND_MODULES
import gateway.cli.cmd_risk  # noqa: E402,F401  (registers the commands)

runner = CliRunner()


def run(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def trade_file(tmp_path: Path) -> Path:
    path = tmp_path / "irs.json"
    path.write_text(codec.dumps(b.irs("AUD", years=10)))
    return path


def test_price_json_with_cashflows(trade_file: Path, market_dir: Path) -> None:
    code, out = run("price", str(trade_file), "--market-data", str(market_dir), "--cashflows")
    assert code == 0, out
    (t,) = out["trades"]  # type: ignore[misc]
    assert t["perspective"] == b.A
    assert t["currency"] == "AUD"
    assert set(t["deltas"]) == {"AUD-AONIA-OIS-COMPOUND", "AUD-BBR-BBSW 6M"}
    flows = t["cashflows"]
    assert len(flows) == 40
    assert {"payment_date", "year_fraction", "rate", "amount"} <= set(flows[0])
    assert sum(f["present_value"] for f in flows) == pytest.approx(t["npv"], abs=1e-4)
    assert out["market"]["synthetic"] is True  # type: ignore[index]


def test_price_reads_fpml_and_reports_failures(fpml_examples: Path, market_dir: Path, tmp_path: Path) -> None:
    ok = next(fpml_examples.rglob("msg-ex114-clearing-requested-from-swaption-exercise.xml"))
    xccy = next(fpml_examples.rglob("ird-ex06-xccy-swap.xml"))
    junk = tmp_path / "junk.txt"
    junk.write_text("not a trade")
    code, out = run("price", str(ok), str(xccy), str(junk), "--market-data", str(market_dir))
    assert code == 1
    assert len(out["trades"]) == 1  # type: ignore[arg-type]
    codes = [f["issues"][0]["code"] for f in out["failures"]]  # type: ignore[index,union-attr]
    assert sorted(codes) == ["FPML_INVALID_VALUE", "RISK_UNSUPPORTED_TERMS"]


def test_margin_of_a_portfolio(tmp_path: Path, market_dir: Path) -> None:
    files = []
    for years in (5, 10):
        p = tmp_path / f"t{years}.json"
        p.write_text(codec.dumps(b.irs("AUD", years=years, trade_id=f"T{years}")))
        files.append(str(p))
    code, house = run("margin", *files, "--market-data", str(market_dir), "--account", b.A)
    assert code == 0, house
    assert house["scenarios"] == 1250
    assert house["horizon_days"] == 5
    assert house["confidence"] == 0.997
    assert house["initial_margin"] > 0
    assert len(house["worst_scenarios"]) == 5
    code, client = run("margin", *files, "--market-data", str(market_dir), "--account", b.A, "--client")
    assert client["horizon_days"] == 7
    code, other = run("margin", *files, "--market-data", str(market_dir), "--account", b.B)
    assert other["initial_margin"] != house["initial_margin"]
    code, stranger = run("margin", *files, "--market-data", str(market_dir), "--account", "NOBODY")
    assert code == 1
    assert stranger["initial_margin"] == 0.0


def test_bad_market_directory(trade_file: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["price", str(trade_file), "--market-data", str(tmp_path / "missing")])
    assert missing.exit_code == 2
    assert "'--market-data'" in missing.stderr
    assert "does not exist" in missing.stderr
    (tmp_path / "empty").mkdir()
    unusable = runner.invoke(app, ["price", str(trade_file), "--market-data", str(tmp_path / "empty")])
    assert unusable.exit_code == 2
    (line,) = unusable.stderr.strip().splitlines()
    assert line.endswith("(MD_BAD_FILE)")
    assert "market.toml" in line


def test_market_synth(tmp_path: Path) -> None:
    code, out = run(
        "market",
        "synth",
        "--out",
        str(tmp_path / "m"),
        "--as-of",
        "2026-06-30",
        "--seed",
        "5",
        "--days",
        "1260",
    )
    assert code == 0
    assert out["synthetic"] is True
    assert out["business_days"] == 1260
    assert (tmp_path / "m" / "history.csv").is_file()

    assert load_market(tmp_path / "m").as_of.isoformat() == "2026-06-30"


def test_margin_with_a_configuration_file(tmp_path: Path, trade_file: Path, market_dir: Path) -> None:
    cfg = tmp_path / "risk.toml"
    cfg.write_text(
        '[scenarios]\newma_decay = 0.97\n[margin]\nmodel = "es"\ncredit_addon = {"549300VBWWV6BYQOWM67" = 0.1}\n'
    )
    code, es = run(
        "margin", str(trade_file), "--market-data", str(market_dir), "--account", b.A, "--config", str(cfg)
    )
    assert code == 0, es
    assert es["model"] == "es"
    assert es["ewma_decay"] == 0.97
    assert es["credit_addon"] == pytest.approx(0.1 * es["base_margin"])  # type: ignore[operator]
    cfg.write_text("[margin]\nconfidence = 7\n")
    result = runner.invoke(
        app,
        ["margin", str(trade_file), "--market-data", str(market_dir), "--account", b.A, "--config", str(cfg)],
    )
    assert result.exit_code == 2  # a configuration that cannot be used refuses the command, in one line
    (line,) = result.stderr.strip().splitlines()
    assert "margin.confidence" in line


def test_margin_names_its_currency_and_converts_each_trade_at_fx(tmp_path: Path, market_dir: Path) -> None:
    eur = tmp_path / "eur.json"
    eur.write_text(codec.dumps(b.irs("EUR", years=5, trade_id="E5")))
    aud = tmp_path / "aud.json"
    aud.write_text(codec.dumps(b.irs("AUD", years=5, trade_id="A5")))
    fx = tmp_path / "fx.toml"
    fx.write_text('pivot = "AUD"\n[rates]\nEUR = 1.5\n')  # one EUR is 1.5 AUD
    common = ("--market-data", str(market_dir), "--account", b.A, "--fx", str(fx))
    code, in_eur = run("margin", str(eur), *common, "--currency", "EUR")
    assert code == 0, in_eur
    assert in_eur["currency"] == "EUR"
    code, in_aud = run("margin", str(eur), *common, "--currency", "AUD")
    assert in_aud["currency"] == "AUD"
    # a loss quantile scales with the rate: the EUR portfolio's margin is 1.5 times as many AUD
    assert in_aud["initial_margin"] == pytest.approx(1.5 * in_eur["initial_margin"], rel=1e-12)
    code, aud_only = run("margin", str(aud), *common, "--currency", "AUD")
    code, mixed = run("margin", str(aud), str(eur), *common, "--currency", "AUD")
    assert code == 0, mixed
    assert mixed["trades"] == [f"{aud}#0", f"{eur}#0"]
    # the two trades' P&L added in one currency: never more than the margins apart (subadditive here)
    assert mixed["initial_margin"] <= aud_only["initial_margin"] + in_aud["initial_margin"] + 1e-6
    assert mixed["initial_margin"] != pytest.approx(aud_only["initial_margin"] + in_eur["initial_margin"])


def test_margin_refuses_a_currency_without_an_fx_rate(trade_file: Path, market_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["margin", str(trade_file), "--market-data", str(market_dir), "--account", b.A, "--currency", "XYZ"],
    )
    assert result.exit_code == 2
    assert "--currency" in result.stderr
