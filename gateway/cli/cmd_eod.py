"""``clearing-gateway eod --date D``: refuse the trades not registered by the end of a business day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app, bench_app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import SettingsOption, emit, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, MarketAlias, MarketDataOption, pick


def parse_date(value: str, name: str = "--date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date (YYYY-MM-DD): {value!r}", param_hint=name) from None


_COLUMNS = [
    "business_date",
    "refused",
    "reservations_expired",
    "matured",
    "failures",
    "revaluation",
    "steps",
    "cash_flows",
    "vm_trades",
    "pai_accounts",
    "calls_issued",
    "failed",
    "reported",
]


@app.command("eod")
def eod(
    business_date: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    db: DbOption = DEFAULT_DB,
    settings: SettingsOption = None,
    market_data: MarketDataOption = None,
    market: MarketAlias = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
    overnight_rates: Annotated[
        Path | None,
        typer.Option(
            "--overnight-rates",
            help="CSV of overnight fixings (index,date,rate_percent) for the PAI (default: the fixings store).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Leave the steps already finished that day as they are.")
    ] = False,
    reports_dir: Annotated[
        Path | None,
        typer.Option(
            "--reports-dir",
            help="Write the members' reports of the day there (docs/REPORTS.md).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Refuse every pending trade of the day (backloads excepted) with LIFE_NOT_REGISTERED_BY_EOD.

    With --market-data: process what is due first, revalue every account after (NPV, margin, NPV
    history), write the cash flows, compute the day's variation margin and the PAI, at the overnight fixings of
    the fixings store (`fixings load`) or of --overnight-rates, and the margin calls; with --reports-dir, the
    members' reports of the day. Every step is
    recorded in eod_runs; a service running end of day on the same database makes this one wait its turn
    (exit 1, "busy")."""
    day = parse_date(business_date)
    market_dir: Path | None = pick("--market-data", market_data, "--market", market)

    async def body() -> dict[str, Any]:
        from gateway.admin.fixings import FixingsStore, StoredOvernightRates
        from gateway.clearing.risk_checker import RiskCreditChecker
        from gateway.clearing.service import ClearingService
        from gateway.refdata.overnight import CsvOvernightRates
        from gateway.rules.settings import ClearingSettings
        from gateway.store.calls_repo import SqlCalls
        from gateway.store.clearing_store import SqlClearingStore

        engine = await open_db(db)
        try:
            checker = None if market_dir is None else RiskCreditChecker.from_market_dir(market_dir)
            rates = (
                StoredOvernightRates(FixingsStore(engine))
                if overnight_rates is None
                else CsvOvernightRates.load(overnight_rates)
            )
            service = ClearingService(
                engine,
                checker,
                settings=ClearingSettings.load(settings),
                store=SqlClearingStore(engine),
                overnight_rates=rates,
                calls=SqlCalls(engine),
            )
            if reports_dir is not None:
                from gateway.reports.writer import ReportWriter

                service.reports = ReportWriter(engine, reports_dir, service.hours, service.clock)
            report = await service.end_of_day(day, drain=checker is not None, resume=resume)
        finally:
            await engine.dispose()
        return {
            "business_date": report.business_date.isoformat(),
            "refused": list(report.refused),
            "reservations_expired": report.reservations_expired,
            "matured": report.matured,
            "failures": [{"submission": s, "error": e} for s, e in report.failures],
            "revaluation": None
            if report.revaluation is None
            else {
                "accounts": report.revaluation.accounts,
                "trades_valued": report.revaluation.trades_valued,
                "failures": [{"item": i, "error": e} for i, e in report.revaluation.failures],
            },
            "steps": {step: state for step, state in report.steps},
            "cash_flows": report.cash_flows,
            "vm_trades": report.vm_trades,
            "unvalued": list(report.unvalued),
            "pai_accounts": report.pai_accounts,
            "calls_issued": report.calls_issued,
            "failed": None
            if report.failed is None
            else {"step": report.failed[0], "error": report.failed[1]},
            "busy": report.busy,
            "reported": report.reported,
        }

    args = {
        "date": day.isoformat(),
        "market": None if market_dir is None else str(market_dir),
        "overnight_rates": None if overnight_rates is None else str(overnight_rates),
        "resume": resume,
        "reports_dir": None if reports_dir is None else str(reports_dir),
    }
    result = audited(db, operator, "eod", args, body)
    emit(result, as_json, _COLUMNS)
    if (
        result["failures"]
        or (result["revaluation"] and result["revaluation"]["failures"])
        or result["failed"]
        or result["busy"]
    ):
        raise typer.Exit(1)


@bench_app.command("eod")
def bench_eod(
    trades: Annotated[
        int, typer.Option(min=1, help="Synthetic AUD swaps cleared before the two days.")
    ] = 1000,
    members: Annotated[int, typer.Option(min=2, help="Members the trades are spread over.")] = 10,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (empty or migrated); without it, a SQLite file.")
    ] = None,
    seed_book: Annotated[
        bool,
        typer.Option(
            "--seed-book",
            help="Write the cleared book straight into the store (no credit checks): for books of 100,000.",
        ),
    ] = False,
) -> None:
    """Clear --trades swaps, then two ends of day (revaluation, NPV history, VM, PAI): each step's time and
    the peak memory, as JSON (``tools/bench/eod.py``)."""
    import json

    from gateway.cli.kit import check_db_url
    from gateway.cli.running import run
    from tools.bench.eod import run_bench

    if db is not None:
        check_db_url(db)

    result = run(lambda: run_bench(trades=trades, members=members, db_url=db, seed_book=seed_book))
    typer.echo(json.dumps(result, indent=2, default=str))
