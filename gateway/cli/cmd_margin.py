"""``clearing-gateway margin vm|pai --date D [--member M]``: the variation margin and price alignment
interest end of day recorded, per account and currency (or per trade: ``vm --trades``), as a table, JSON or CSV.

``margin`` without ``vm`` or ``pai`` is the risk engine's margin of a portfolio of trade files
(``cmd_risk``), as before: the group hands every other first word to that command.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncEngine
from typer._click.core import Context
from typer.core import TyperGroup

from gateway.cli.app import app
from gateway.cli.cmd_admin import emit, open_db
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption
from gateway.cli.running import run


class _PortfolioByDefault(TyperGroup):
    """``margin FILE... --account A``: a first word that names no sub-command goes to ``portfolio``."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = ["portfolio", *args]
        return super().parse_args(ctx, args)


margin_app = typer.Typer(cls=_PortfolioByDefault, context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(
    margin_app, name="margin", help="Initial margin of trade files; the day's VM and PAI (vm, pai)."
)

DateOption = Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")]
MemberOption = Annotated[str | None, typer.Option("--member", help="Only this member's figures.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV (stable columns) instead of a table.")]

VM_ACCOUNT_COLUMNS = ["business_date", "member", "account", "currency", "vm", "trades"]
VM_TRADE_COLUMNS = [
    "business_date",
    "member",
    "account",
    "currency",
    "ccp_trade_id",
    "npv",
    "previous_npv",
    "payments",
    "vm",
]
PAI_COLUMNS = [
    "business_date",
    "member",
    "account",
    "currency",
    "vm_balance",
    "overnight_index",
    "rate",
    "days",
    "day_basis",
    "pai",
]


def _print(rows: list[dict[str, Any]], columns: list[str], as_json: bool, as_csv: bool) -> None:
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(out.getvalue(), nl=False)
    elif as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        emit(rows, False, columns)


async def _check_member(engine: AsyncEngine, member: str | None) -> None:
    """An unknown ``--member`` is REF_UNKNOWN_MEMBER, never an empty list."""
    if member is None:
        return
    from gateway.admin.reference import known_member

    async with engine.connect() as conn:
        await known_member(conn, member, "--member")


def _day(value: str) -> Any:
    from gateway.cli.cmd_eod import parse_date

    return parse_date(value)


@margin_app.command("vm")
def vm(
    business_date: DateOption,
    member: MemberOption = None,
    trades: Annotated[bool, typer.Option("--trades", help="One row per cleared trade side.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Variation margin of the day, per member, account and currency (+: paid to the member)."""
    day = _day(business_date)

    async def body() -> list[dict[str, Any]]:
        from gateway.store.clearing_store import SqlClearingStore

        engine = await open_db(db)
        try:
            await _check_member(engine, member)
            async with SqlClearingStore(engine).read() as uow:
                rows = await uow.eod.vm(day, member)
        finally:
            await engine.dispose()
        if trades:
            return [
                {
                    "business_date": day.isoformat(),
                    "member": r.member_id,
                    "account": r.account_id,
                    "currency": r.currency,
                    "ccp_trade_id": r.ccp_trade_id,
                    "npv": str(r.npv),
                    "previous_npv": str(r.previous),
                    "payments": str(r.payments),
                    "vm": str(r.vm),
                }
                for r in rows
            ]
        totals: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
        for r in rows:
            key = (r.member_id, r.account_id, r.currency)
            total, n = totals.get(key, (Decimal(0), 0))
            totals[key] = (total + r.vm, n + 1)
        return [
            {
                "business_date": day.isoformat(),
                "member": m,
                "account": a,
                "currency": c,
                "vm": str(total),
                "trades": n,
            }
            for (m, a, c), (total, n) in sorted(totals.items())
        ]

    _print(run(body), VM_TRADE_COLUMNS if trades else VM_ACCOUNT_COLUMNS, as_json, as_csv)


@margin_app.command("pai")
def pai(
    business_date: DateOption,
    member: MemberOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Price alignment interest of the day on the cumulative VM, per member, account and currency
    (+: received by the member)."""
    day = _day(business_date)

    async def body() -> list[dict[str, Any]]:
        from gateway.store.clearing_store import SqlClearingStore

        engine = await open_db(db)
        try:
            await _check_member(engine, member)
            async with SqlClearingStore(engine).read() as uow:
                figures = await uow.eod.pai(day, member)
        finally:
            await engine.dispose()
        return [
            {
                "business_date": day.isoformat(),
                "member": f.member_id,
                "account": f.account_id,
                "currency": f.currency,
                "vm_balance": str(f.balance),
                "overnight_index": f.index,
                "rate": str(f.rate),
                "days": f.days,
                "day_basis": f.basis,
                "pai": str(f.amount),
            }
            for f in figures
        ]

    _print(run(body), PAI_COLUMNS, as_json, as_csv)


__all__: Sequence[str] = ["margin_app"]
