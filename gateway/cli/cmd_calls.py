"""``clearing-gateway calls list|settle``: the margin calls end of day and the intraday runs issued, and
their settlement (cash, or collateral lodged through the account's holdings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from gateway.cli.app import app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.cmd_admin import FxOption, SettingsOption, _admin, _holding, open_db
from gateway.cli.cmd_margin import CsvOption, MemberOption, _check_member, _day, _print
from gateway.cli.kit import DEFAULT_DB, DbOption, JsonOption, sub_app, usage
from gateway.cli.running import run

calls_app = sub_app("Margin calls: list what was called, settle a call with cash or collateral.")
app.add_typer(calls_app, name="calls")

COLUMNS = [
    "call_id",
    "member",
    "account",
    "currency",
    "business_date",
    "kind",
    "amount",
    "im",
    "vm_owed",
    "pai_owed",
    "collateral",
    "due_at",
    "state",
    "settled_amount",
    "outstanding",
    "settled_at",
    "settled_by",
]
STATES = ("ISSUED", "SETTLED", "OVERDUE")


def call_row(c: Any) -> dict[str, Any]:
    return {
        "call_id": c.call_id,
        "member": c.member_id,
        "account": c.account_id,
        "currency": c.currency,
        "business_date": c.business_date.isoformat(),
        "kind": c.kind.value,
        "amount": str(c.amount),
        "im": str(c.components.im),
        "vm_owed": str(c.components.vm_owed),
        "pai_owed": str(c.components.pai_owed),
        "collateral": str(c.components.collateral),
        "due_at": c.due_at.isoformat(),
        "state": c.state.value,
        "settled_amount": str(c.settled_amount),
        "outstanding": str(c.outstanding),
        "settled_at": None if c.settled_at is None else c.settled_at.isoformat(),
        "settled_by": c.settled_by,
    }


@calls_app.command("list")
def calls_list(
    member: MemberOption = None,
    business_date: Annotated[str | None, typer.Option("--date", help="Business date, YYYY-MM-DD.")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="ISSUED, SETTLED or OVERDUE (the members flagged).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Margin calls, by business date and member: amount (IM + VM owed + PAI owed - collateral), due time,
    state and what was paid."""
    from gateway.clearing.calls import CallState

    day = None if business_date is None else _day(business_date)
    if state is not None and state.upper() not in STATES:
        usage("--state", f"{state!r} is not one of {', '.join(STATES)}")
    wanted = None if state is None else CallState(state.upper())

    async def body() -> list[dict[str, Any]]:
        from gateway.store.calls_repo import SqlCalls

        engine = await open_db(db)
        try:
            await _check_member(engine, member)
            return [call_row(c) for c in await SqlCalls(engine).calls(member, day, wanted)]
        finally:
            await engine.dispose()

    _print(run(body), COLUMNS, as_json, as_csv)


@calls_app.command("settle")
def calls_settle(
    call_id: Annotated[str, typer.Argument(help="The call's id (calls list).")],
    amount: Annotated[Decimal, typer.Option("--amount", help="What is paid towards the call, its currency.")],
    pay_cash: Annotated[
        bool, typer.Option("--cash", help="Paid in cash in the call's currency (the default).")
    ] = False,
    collateral: Annotated[
        str | None,
        typer.Option("--collateral", help="ISIN of a security lodged instead (with --quantity, --price)."),
    ] = None,
    quantity: Annotated[Decimal | None, typer.Option(help="Units of the security.")] = None,
    price: Annotated[Decimal | None, typer.Option(help="Price per unit of the security.")] = None,
    haircut: Annotated[Decimal | None, typer.Option(help="Haircut of the security, e.g. 0.02.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the security's price.")] = "AUD",
    db: DbOption = DEFAULT_DB,
    fx: FxOption = None,
    settings: SettingsOption = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Settle a margin call (in part or in full): the cash or collateral is lodged in the call's account,
    so the member's excess shows it; what is left stays outstanding. An intraday call takes cash only."""
    from gateway.cli.audit import operator_name

    if pay_cash and collateral is not None:
        usage("--cash/--collateral", "give --cash or --collateral ISIN, not both")
    security = None
    if collateral is not None:
        security = _holding(None, collateral, quantity, price, haircut, currency, settings)

    async def body() -> list[dict[str, Any]]:
        from gateway.admin.calls import CallDesk

        engine, admin = await _admin(db, fx)
        try:
            done = await CallDesk(admin).settle(call_id, amount, operator_name(operator), security=security)
        finally:
            await engine.dispose()
        return [{**call_row(done.call), "lodged": done.lodged.asset_id, "credited": str(done.credited)}]

    args = {
        "call_id": call_id,
        "amount": str(amount),
        "paid_with": "cash" if security is None else security.asset_id,
    }
    rows = audited(db, operator, "calls settle", args, body)
    _print(rows, [*COLUMNS, "lodged", "credited"], as_json, False)
