"""``clearing-gateway eod --date D``: refuse the trades not registered by the end of a business day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import SettingsOption, emit, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, MarketAlias, MarketDataOption, pick


def parse_date(value: str, name: str = "--date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date (YYYY-MM-DD): {value!r}", param_hint=name) from None


_COLUMNS = ["business_date", "refused", "reservations_expired", "matured", "failures", "revaluation"]


@app.command("eod")
def eod(
    business_date: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    db: DbOption = DEFAULT_DB,
    settings: SettingsOption = None,
    market_data: MarketDataOption = None,
    market: MarketAlias = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Refuse every pending trade of the day (backloads excepted) with LIFE_NOT_REGISTERED_BY_EOD.

    With --market-data: process what is due first, and revalue every account after (NPV, margin)."""
    day = parse_date(business_date)
    market_dir: Path | None = pick("--market-data", market_data, "--market", market)

    async def body() -> dict[str, Any]:
        from gateway.clearing.risk_checker import RiskCreditChecker
        from gateway.clearing.service import ClearingService
        from gateway.rules.settings import ClearingSettings
        from gateway.store.clearing_store import SqlClearingStore

        engine = await open_db(db)
        try:
            checker = None if market_dir is None else RiskCreditChecker.from_market_dir(market_dir)
            service = ClearingService(
                engine, checker, settings=ClearingSettings.load(settings), store=SqlClearingStore(engine)
            )
            report = await service.end_of_day(day, drain=checker is not None)
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
        }

    args = {"date": day.isoformat(), "market": None if market_dir is None else str(market_dir)}
    result = audited(db, operator, "eod", args, body)
    emit(result, as_json, _COLUMNS)
    if result["failures"] or (result["revaluation"] and result["revaluation"]["failures"]):
        raise typer.Exit(1)
