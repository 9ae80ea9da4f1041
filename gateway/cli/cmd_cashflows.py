"""``clearing-gateway cashflows list --date D [--member M] [--netted]``: the payments of cleared trades
settling on a date (as end of day's ``cashflows`` step wrote them), per member side, or netted per member,
account and currency; as a table, JSON or CSV (stable columns). Amounts are the member's: + received."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.cmd_admin import open_db
from gateway.cli.cmd_margin import CsvOption, MemberOption, _check_member, _day, _print
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption
from gateway.cli.running import run

cashflows_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]}, no_args_is_help=True)
app.add_typer(
    cashflows_app, name="cashflows", help="Payments of cleared trades by settlement date, netted or not."
)

FLOW_COLUMNS = [
    "payment_date",
    "member",
    "account",
    "currency",
    "ccp_trade_id",
    "kind",
    "stream",
    "amount",
    "notional",
    "rate",
    "accrual_start",
    "accrual_end",
    "index",
    "fixing_date",
    "business_date",
]
NET_COLUMNS = ["payment_date", "member", "account", "currency", "amount", "flows"]

PaymentDate = Annotated[str, typer.Option("--date", help="Payment (settlement) date, YYYY-MM-DD.")]


def _text(v: Any) -> str:
    return "" if v is None else str(v)


@cashflows_app.command("list")
def list_flows(
    payment_date: PaymentDate,
    member: MemberOption = None,
    netted: Annotated[
        bool, typer.Option("--netted", help="One row per member, account and currency.")
    ] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Cash flows settling on a date (+: paid by the CCP to the member)."""
    day = _day(payment_date)

    async def body() -> list[dict[str, Any]]:
        from gateway.store.clearing_store import SqlClearingStore

        engine = await open_db(db)
        try:
            await _check_member(engine, member)
            async with SqlClearingStore(engine).read() as uow:
                if netted:
                    return [
                        {
                            "payment_date": n.payment_date.isoformat(),
                            "member": n.member_id,
                            "account": n.account_id,
                            "currency": n.currency,
                            "amount": str(n.amount),
                            "flows": n.flows,
                        }
                        for n in await uow.cashflows.netted(day, member)
                    ]
                flows = await uow.cashflows.flows(day - timedelta(days=1), day, member)
        finally:
            await engine.dispose()
        return [
            {
                "payment_date": f.payment_date.isoformat(),
                "member": f.member_id,
                "account": f.account_id,
                "currency": f.currency,
                "ccp_trade_id": f.ccp_trade_id,
                "kind": f.kind.value,
                "stream": f.stream,
                "amount": str(f.amount),
                "notional": _text(f.notional),
                "rate": _text(f.rate),
                "accrual_start": _text(f.accrual_start),
                "accrual_end": _text(f.accrual_end),
                "index": _text(f.index),
                "fixing_date": _text(f.fixing_date),
                "business_date": _text(f.business_date),
            }
            for f in flows
        ]

    _print(run(body), NET_COLUMNS if netted else FLOW_COLUMNS, as_json, as_csv)


__all__: Sequence[str] = ["cashflows_app"]
