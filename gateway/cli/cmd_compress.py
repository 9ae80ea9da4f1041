"""``clearing-gateway compress``: the CCP's compression run on one member account."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import SettingsOption, emit
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption

_COLUMNS = [
    "run_id",
    "terminated",
    "created",
    "notional_before",
    "notional_after",
    "report_csv",
    "report_pdf",
]


@app.command("compress")
def compress(
    member: Annotated[str, typer.Option("--member", help="The member whose cleared trades are compressed.")],
    account: Annotated[str, typer.Option("--account", help="The member's account (e.g. HOUSE).")],
    market_data: Annotated[
        Path,
        typer.Option(
            "--market-data",
            help="Market data directory the trades are valued on (market.toml, curves.csv, history.csv).",
            exists=True,
            file_okay=False,
        ),
    ],
    trades: Annotated[
        str | None, typer.Option("--trades", help="The member's CCP trade ids, comma separated.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every live cleared trade of the account.")] = False,
    consenting: Annotated[
        str | None,
        typer.Option(
            "--consenting",
            help="Other members (comma separated) that agreed to end their own sides of the trades named.",
        ),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="The run's id (default: from the time).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide and print; write nothing.")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Where the report goes (default: [compression] report_dir)."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    settings: SettingsOption = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Terminate a member account's cleared trades and replace each risk bucket by one residual trade
    facing the CCP (PV01 and NPV per bucket within the configured tolerance); write the report (CSV, PDF).

    Refusals name their rule (COMP_* and LIFE_* reason codes) and change nothing."""
    if every == (trades is not None):
        raise typer.BadParameter("give either --trades or --all", param_hint="--trades")
    ids = None if trades is None else tuple(i.strip() for i in trades.split(",") if i.strip())

    async def body() -> dict[str, Any]:
        from gateway.clearing.compression import EngineValuer
        from gateway.clearing.risk_checker import RiskCreditChecker
        from gateway.clearing.service import ClearingService
        from gateway.cli.cmd_admin import open_db
        from gateway.clock import SystemClock
        from gateway.domain.compression import CompressionRequest
        from gateway.domain.errors import GatewayError
        from gateway.domain.reasons import ReasonCode
        from gateway.formats.compression_report import write_report
        from gateway.rules.settings import ClearingSettings
        from gateway.store.clearing_store import SqlClearingStore

        rules = ClearingSettings.load(settings)
        clock = SystemClock()
        engine = await open_db(db)
        try:
            store = SqlClearingStore(engine)
            async with store.read() as uow:  # the member and its account first, before any market is read
                known = await uow.accounts.member(member)
            if known is None:
                raise GatewayError.of(ReasonCode.REF_UNKNOWN_MEMBER, "--member", f"no member {member}")
            if known.account(account) is None:
                raise GatewayError.of(
                    ReasonCode.REF_UNKNOWN_ACCOUNT, "--account", f"{member} has no account {account}"
                )
            checker = RiskCreditChecker.from_market_dir(market_data)
            service = ClearingService(engine, checker, clock=clock, settings=rules, store=store)
            request = CompressionRequest(
                run_id or f"CMP-{member}-{account}-{clock.now():%Y%m%dT%H%M%S}",
                member,
                account,
                rules.ccp.party_id,
                ids,
                tuple(c.strip() for c in (consenting or "").split(",") if c.strip()),
            )
            result = await service.compress(request, EngineValuer(checker.engine), dry_run=dry_run)
        finally:
            await engine.dispose()
        files = None if dry_run else write_report(result, report_dir or Path(rules.compression.report_dir))
        totals = result.totals()
        return {
            "run_id": result.request.run_id,
            "business_date": result.business_date.isoformat(),
            "dry_run": dry_run,
            "terminated": [s.ccp_trade_id for s in result.terminated],
            "created": [r.ccp_trade_id for r in result.created],
            "notional_before": str(sum(t["notional_before"] for t in totals.values())),
            "notional_after": str(sum(t["notional_after"] for t in totals.values())),
            "buckets": [
                {
                    "bucket": b.bucket.label,
                    "pv01_before": str(b.pv01_before),
                    "pv01_after": str(b.pv01_after),
                    "npv_before": str(b.npv_before),
                    "npv_after": str(b.npv_after),
                }
                for b in result.buckets
            ],
            "left_as_they_were": [f"{i.path}: {i.message}" for i in result.left],
            "report_csv": None if files is None else str(files.csv),
            "report_pdf": None if files is None or files.pdf is None else str(files.pdf),
        }

    args = {"member": member, "account": account, "trades": trades, "all": every, "dry_run": dry_run}
    result = audited(db, operator, "compress", args, body)
    if as_json:
        emit(result, True)
        return
    flat = {**result, "terminated": len(result["terminated"]), "created": len(result["created"])}
    emit(flat, False, _COLUMNS)
