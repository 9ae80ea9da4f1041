"""``clearing-gateway price|margin|market synth|bench risk``: the risk engine from the command line.

Trade files are FpML documents (any message the intake accepts) or canonical JSON (one trade or a
list). ``price``, ``margin`` and ``market synth`` print a table, or JSON with ``--json``; ``bench risk``
prints JSON. Market data that cannot be used refuses the command (exit status 2); a trade that cannot be
read or priced is reported with its reason code and the others are still processed (exit status 1 when
anything failed).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gateway.cli.app import app, bench_app
from gateway.cli.cmd_margin import margin_app
from gateway.cli.kit import JsonOption, sub_app

if TYPE_CHECKING:
    from gateway.domain.trade import Trade

market_app = sub_app("Market data for the risk engine.")
app.add_typer(market_app, name="market")

FilesArg = Annotated[
    list[Path], typer.Argument(help="FpML or canonical JSON trade files.", exists=True, dir_okay=False)
]
MarketOpt = Annotated[
    Path,
    typer.Option(
        "--market-data",
        help="Directory with market.toml, curves.csv, history.csv (`clearing-gateway market synth`).",
        exists=True,
        file_okay=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Risk configuration TOML ([scenarios], [margin]).", exists=True, dir_okay=False
    ),
]
MIN_SYNTH_DAYS = 1260


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _show(payload: dict[str, Any], as_json: bool, *, figures: list[str] | None = None) -> None:
    """JSON, or the market line, a table of the trades (price) or of ``figures`` (margin), and failures."""
    if as_json:
        _emit(payload)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200, highlight=False)
    m = payload.get("market")
    if m:
        tag = " (SYNTHETIC)" if m["synthetic"] else ""
        console.print(f"market data {m['directory']} as of {m['as_of']}{tag}", markup=False)
    if figures is None:
        table = Table("source", "perspective", "currency", "npv", "pv01", title="Valuations")
        for t in payload.get("trades", []):
            table.add_row(t["source"], t["perspective"], t["currency"], _money(t["npv"]), _money(t["pv01"]))
    else:
        table = Table("figure", "value", title="Initial margin")
        for name in figures:
            value = payload[name]
            table.add_row(name, _money(value) if isinstance(value, float) else str(value))
    console.print(table)
    if payload.get("failures"):
        failed = Table("source", "code", "where", "message", title="Not processed")
        for f in payload["failures"]:
            for i in f["issues"]:
                failed.add_row(f["source"], i["code"], i["path"], i["message"])
        console.print(failed)


def _money(value: Any) -> str:
    return f"{float(value):,.2f}"


def _failure(source: str, exc: Exception) -> dict[str, Any]:
    from gateway.domain.errors import GatewayError

    if isinstance(exc, GatewayError):
        return {"source": source, "issues": [i.to_dict() for i in exc.issues]}
    return {"source": source, "issues": [{"code": "INTERNAL_ERROR", "path": "/", "message": str(exc)}]}


def read_trades(path: Path) -> list[Trade]:
    """Trades of one file: FpML when it starts with ``<``, canonical JSON otherwise."""
    from gateway.domain import codec
    from gateway.domain.errors import InputRejected

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputRejected.of(
            _reason("FPML_INVALID_VALUE"), str(path), f"cannot read {path}: {exc}"
        ) from None
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        from gateway.formats.fpml.read import parse_fpml

        return list(parse_fpml(data).trades)
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputRejected.of(
            _reason("FPML_INVALID_VALUE"), str(path), f"neither FpML nor JSON: {exc}"
        ) from None
    items = doc if isinstance(doc, list) else [doc]
    return [codec.trade_from_dict(item, f"trade[{i}]") for i, item in enumerate(items)]


def _reason(name: str) -> Any:
    from gateway.domain.reasons import ReasonCode

    return ReasonCode(name)


def _load(market_dir: Path, config: Path | None) -> Any:
    from gateway.risk import RiskConfig, RiskEngine
    from gateway.risk.market.loader import load_market

    market = load_market(market_dir)
    return RiskEngine(market, RiskConfig.load(config) if config else None)


def _market_info(engine: Any) -> dict[str, Any]:
    m = engine.market
    return {"directory": m.source, "as_of": m.as_of.isoformat(), "synthetic": m.synthetic, "label": m.label}


def _read_all(files: list[Path], failures: list[dict[str, Any]]) -> list[tuple[str, Trade]]:
    from gateway.domain.errors import GatewayError

    out: list[tuple[str, Trade]] = []
    for f in files:
        try:
            out.extend((f"{f}#{i}", t) for i, t in enumerate(read_trades(f)))
        except GatewayError as exc:
            failures.append(_failure(str(f), exc))
    return out


@app.command("price")
def price(
    files: FilesArg,
    market_data: MarketOpt,
    perspective: Annotated[
        str | None,
        typer.Option("--perspective", help="Party id whose side is valued (default: first party)."),
    ] = None,
    cashflows: Annotated[
        bool, typer.Option("--cashflows", help="Include every resolved cash flow (with --json).")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOption = False,
) -> None:
    """NPV and PV01 of each trade; with --json also the bucketed deltas (+1bp per curve pillar)."""
    from gateway.domain.errors import GatewayError

    failures: list[dict[str, Any]] = []
    engine = _load(market_data, config)  # unusable market data: refused, exit 2
    results = []
    for source, t in _read_all(files, failures):
        who = perspective or t.parties[0].party_id
        try:
            v = engine.price(t, who, cashflows=cashflows)
        except GatewayError as exc:
            failures.append(_failure(source, exc))
            continue
        results.append({"source": source, **v.to_dict()})
    _show({"market": _market_info(engine), "trades": results, "failures": failures}, as_json)
    if failures:
        raise typer.Exit(1)


_MARGIN_FIGURES = [
    "account",
    "account_type",
    "currency",
    "initial_margin",
    "base_margin",
    "credit_addon",
    "concentration_addon",
    "model",
    "confidence",
    "scenarios",
    "horizon_days",
]


@margin_app.command("portfolio")
def margin(
    files: FilesArg,
    market_data: MarketOpt,
    account: Annotated[str, typer.Option("--account", help="Party id whose portfolio is margined.")],
    client: Annotated[
        bool, typer.Option("--client", help="A client account (client holding period).")
    ] = False,
    currency: Annotated[
        str, typer.Option("--currency", help="Currency of the margin: each trade's P&L is converted to it.")
    ] = "AUD",
    fx_file: Annotated[
        Path | None,
        typer.Option(
            "--fx",
            help="FX rates (fx.toml); default: the market data's fx.toml, else the rates shipped.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOption = False,
) -> None:
    """Initial margin of the portfolio of these trades seen from ACCOUNT's side, in CURRENCY: each trade's
    scenario P&L (in its own currency) converted at the FX rates before the portfolio's are added.

    (``margin vm`` and ``margin pai`` list the day's variation margin and price alignment interest.)"""
    import numpy as np

    from gateway.domain.enums import AccountType
    from gateway.domain.errors import GatewayError

    failures: list[dict[str, Any]] = []
    engine = _load(market_data, config)  # unusable market data: refused, exit 2
    fx = _fx_rates(fx_file, market_data, currency)
    kind = AccountType.CLIENT if client else AccountType.HOUSE
    chosen: list[tuple[str, Trade]] = []
    for source, t in _read_all(files, failures):
        if account not in (p.party_id for p in t.parties):
            failures.append(
                {"source": source, "issues": [{"code": "RISK_UNPRICEABLE", "path": "parties",
                                               "message": f"{account} is not a party to this trade"}]}
            )  # fmt: skip
            continue
        chosen.append((source, t))
    try:
        pnl, ok, failed = engine.pnl_batch_collect([t for _, t in chosen], [account] * len(chosen), kind)
        failures.extend(_failure(chosen[i][0], e) for i, e in failed)
        rates = [float(fx.convert(Decimal(1), chosen[i][1].currency, currency)) for i in ok]
        report = engine.margin((pnl * np.array(rates)[:, None]).sum(axis=0), kind, account)
    except GatewayError as exc:
        payload = {"market": _market_info(engine), "failures": [*failures, _failure(str(market_data), exc)]}
        _show({**payload, "trades": []}, as_json)
        raise typer.Exit(1) from None
    cfg = engine.config
    _show(
        {
            "market": _market_info(engine),
            "account": account,
            "account_type": str(kind),
            "currency": currency,
            "trades": [chosen[i][0] for i in ok],
            "initial_margin": report.im,
            "base_margin": report.base,
            "credit_addon": report.credit_addon,
            "concentration_addon": report.concentration_addon,
            "model": str(report.model),
            "confidence": report.confidence,
            "scenarios": report.scenarios,
            "horizon_days": report.horizon_days,
            "shift": str(cfg.scenarios.shift),
            "ewma_decay": cfg.scenarios.ewma_decay,
            "worst_scenarios": [
                {"from": a.isoformat(), "to": b.isoformat(), "pnl": p} for a, b, p in report.worst
            ],
            "failures": failures,
        },
        as_json,
        figures=_MARGIN_FIGURES,
    )
    if failures:
        raise typer.Exit(1)


def _fx_rates(fx_file: Path | None, market_dir: Path, currency: str) -> Any:
    """The FX rates a portfolio's P&L is converted at; an unknown ``--currency`` is refused (exit 2)."""
    from gateway.domain.errors import GatewayError
    from gateway.refdata.fx import FxRates

    path = fx_file or (market_dir / "fx.toml" if (market_dir / "fx.toml").is_file() else None)
    try:
        fx = FxRates.load(path)
        fx.convert(Decimal(1), currency, fx.pivot)
    except GatewayError as exc:
        raise typer.BadParameter(str(exc), param_hint="--currency") from None
    return fx


_SYNTH_COLUMNS = ["out", "as_of", "history_from", "business_days", "curves", "seed", "label"]


@market_app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", help="Directory to write.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: today).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    days: Annotated[
        int,
        typer.Option(
            "--days", min=MIN_SYNTH_DAYS, help=f"Business days of history, at least {MIN_SYNTH_DAYS:,}."
        ),
    ] = 1300,
    as_json: JsonOption = False,
) -> None:
    """Write SYNTHETIC market data (curves and at least 1,260 days of history); not real rates."""
    from gateway.risk.market.synth import write_market

    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise typer.BadParameter(f"not an ISO date: {as_of!r}", param_hint="--as-of") from None
    from gateway.cli.cmd_admin import emit

    emit(write_market(out, day, seed=seed, days=days), as_json, _SYNTH_COLUMNS)


_PIN = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@bench_app.command("risk")
def bench_risk(
    market_data: Annotated[
        Path | None,
        typer.Option(
            "--market-data",
            help="Market directory (default: synthetic, generated).",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    eod_trades: Annotated[
        int, typer.Option("--eod-trades", help="Book size for the end-of-day run.")
    ] = 100_000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Risk engine figures on one core with BLAS pinned to one thread (re-executes itself to pin)."""
    if any(os.environ.get(k) != v for k, v in _PIN.items()):
        env = {**os.environ, **_PIN}
        args = [sys.executable, "-m", "gateway.cli.main", "bench", "risk", "--eod-trades", str(eod_trades)]
        args += ["--seed", str(seed)]
        if market_data is not None:
            args += ["--market-data", str(market_data)]
        os.execve(sys.executable, args, env)  # noqa: S606
    from tools.bench.risk import run_bench

    _emit(run_bench(market_data, eod_trades=eod_trades, seed=seed))
