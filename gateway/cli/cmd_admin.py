"""``clearing-gateway participant|collateral|db``: reference data and collateral administration.

Every command takes ``--db URL`` (default ``sqlite+aiosqlite:///./var/gateway.db``), upgrades the schema
if needed, and prints a table or, with ``--json``, JSON. A refused request prints one line per reason on
stderr (JSON with ``--json``) and exits with status 2 (``gateway/cli/kit.py``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from gateway.cli.app import app, bench_app
from gateway.cli.audit import OperatorOption, audited
from gateway.cli.database import open_database
from gateway.cli.kit import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    KitCommand,
    MarketAlias,
    MarketDataOption,
    MemberArgAlias,
    MemberOption,
    check_db_url,
    paths_as_options,
    pick,
    positive,
    refuse,
    sub_app,
    usage,
)
from gateway.cli.running import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from gateway.admin.reference import ReferenceData
    from gateway.domain.clearing import StatusUpdate

T = TypeVar("T")

participant_app = sub_app("Clearing members: onboard, list, suspend.")
collateral_app = sub_app("Collateral ledger per account: lodge, withdraw, show.")
db_app = sub_app("The gateway database.")
app.add_typer(participant_app, name="participant")
app.add_typer(collateral_app, name="collateral")
app.add_typer(db_app, name="db")

FxOption = Annotated[
    Path | None,
    typer.Option(
        "--fx", help="FX rates TOML for valuing collateral (default: the shipped rates).", exists=True
    ),
]
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings", help="Clearing settings TOML (default: shipped).", exists=True, dir_okay=False
    ),
]
AccountOption = Annotated[str, typer.Option("--account", help="Account id.")]


# ---------------------------------------------------------------- helpers shared by the admin, eod and export commands


async def open_db(url: str, *, create: bool = False) -> AsyncEngine:
    """The gateway database of ``--db`` (checked first: see ``kit.check_db_url``), schema upgraded."""
    return await open_database(url, create=create)


def party_ids(values: list[str], scheme: str, option: str = "--party") -> tuple[str, ...]:
    """The party ids typed, each checked against ``scheme`` (LEIs by default; see ``--party-scheme``)."""
    from gateway.domain.identifiers import PartyIdScheme, parse_party_id

    parsed = PartyIdScheme.parse(scheme, "--party-scheme")
    return tuple(parse_party_id(v, parsed, option) for v in values)


def currency_arg(value: str, option: str) -> str:
    """``value`` if it is an ISO 4217 currency code in use (REF_UNKNOWN_CURRENCY naming ``option``)."""
    from gateway.domain.currencies import parse_currency

    return parse_currency(value, option)


PartySchemeOption = Annotated[
    str,
    typer.Option(
        "--party-scheme",
        help="Scheme of the party ids: 'lei' (ISO 17442, check digits verified) or the FpML partyIdScheme "
        "URI of another scheme, whose ids are taken as given.",
    ),
]


def emit(data: Any, as_json: bool, columns: list[str] | None = None) -> None:
    """Print ``data`` (a dict or a list of flat dicts) as JSON or as a table."""
    if as_json or columns is None:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    rows = data if isinstance(data, list) else [data]
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console(width=200).print(table)


def _cell(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return " ".join(f"{k}={x}" for k, x in v.items())
    return "" if v is None else str(v)


async def _admin(db: str, fx: Path | None = None) -> tuple[AsyncEngine, ReferenceData]:
    from gateway.admin.reference import ReferenceData
    from gateway.refdata.fx import FxRates

    rates = FxRates.load(fx)  # before the database: a bad file is reported without touching anything
    engine = await open_db(db)
    return engine, ReferenceData(engine, fx=rates)


# ---------------------------------------------------------------- participant


@participant_app.command("add")
def participant_add(
    member: Annotated[str, typer.Argument(help="Member id, e.g. BANKA.")],
    party: Annotated[
        list[str], typer.Option("--party", help="LEI, or a party id of --party-scheme (repeatable).")
    ],
    name: Annotated[str | None, typer.Option(help="Legal name.")] = None,
    comp_id: Annotated[
        list[str] | None, typer.Option("--comp-id", help="FIX SenderCompID (repeatable).")
    ] = None,
    house: Annotated[str, typer.Option(help="House account id.")] = "HOUSE",
    client: Annotated[
        list[str] | None, typer.Option("--client", help="Client account id (repeatable).")
    ] = None,
    base_currency: Annotated[str, typer.Option(help="Currency margin and collateral are valued in.")] = "AUD",
    tolerance: Annotated[
        Decimal | None,
        typer.Option(help="Tolerance limit (real-time registration limit); default: from the credit score."),
    ] = None,
    credit_score: Annotated[int, typer.Option(help="Internal credit score, 1 (best) to 10.")] = 5,
    settings: SettingsOption = None,
    party_scheme: PartySchemeOption = "lei",
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Onboard a clearing member with its house account and any client accounts."""
    parties = party_ids(party, party_scheme)
    currency_arg(base_currency, "--base-currency")
    if tolerance is not None:
        if tolerance < 0:
            raise refuse("--tolerance", f"must be zero or more, got {tolerance}")
        limit = tolerance
    else:
        from gateway.rules.settings import ClearingSettings

        with paths_as_options(_PARTICIPANT_OPTIONS):
            limit = ClearingSettings.load(settings).credit.tolerance_for(credit_score)

    async def body() -> dict[str, Any]:
        from gateway.admin.reference import member_to_dict
        from gateway.domain.enums import AccountType
        from gateway.refdata.model import Account, Member

        with paths_as_options(_PARTICIPANT_OPTIONS):
            m = Member(
                member_id=member,
                name=name or member,
                party_ids=parties,
                comp_ids=tuple(comp_id or ()),
                accounts=(
                    Account(member, house, AccountType.HOUSE, base_currency),
                    *(Account(member, c, AccountType.CLIENT, base_currency) for c in client or ()),
                ),
                base_currency=base_currency,
                tolerance_limit=limit,
                credit_score=credit_score,
            )
        engine, admin = await _admin(db)
        try:
            with paths_as_options(_PARTICIPANT_OPTIONS):
                return member_to_dict(await admin.add_participant(m))
        finally:
            await engine.dispose()

    args = {
        "member": member,
        "party": list(party),
        "party_scheme": party_scheme,
        "name": name,
        "comp_id": list(comp_id or ()),
        "house": house,
        "client": list(client or ()),
        "base_currency": base_currency,
        "tolerance": str(limit),
        "credit_score": credit_score,
    }
    _members([audited(db, operator, "participant add", args, body)], as_json, single=True)


_PARTICIPANT_OPTIONS = {
    "member_id": "MEMBER",
    "party_ids": "--party",
    "comp_ids": "--comp-id",
    "accounts": "--house/--client",
    "account_id": "--house/--client",
    "base_currency": "--base-currency",
    "tolerance_limit": "--tolerance",
    "credit_score": "--credit-score",
}


def _members(rows: list[dict[str, Any]], as_json: bool, *, single: bool = False) -> None:
    if not as_json:
        for r in rows:
            r["accounts"] = [f"{a['account']} ({a['type']}, {a['base_currency']})" for a in r["accounts"]]
    emit(rows[0] if single and as_json else rows, as_json, _MEMBER_COLUMNS)


_MEMBER_COLUMNS = [
    "member",
    "name",
    "status",
    "party_ids",
    "comp_ids",
    "accounts",
    "tolerance_limit",
    "credit_score",
    "overdue_calls",
]


@participant_app.command("list")
def participant_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Every clearing member; ``overdue_calls``: the margin calls it has overdue (the member is flagged)."""

    async def body() -> list[dict[str, Any]]:
        from gateway.admin.reference import member_to_dict
        from gateway.store.calls_repo import overdue_members

        engine, admin = await _admin(db)
        try:
            async with engine.connect() as conn:
                flagged = await overdue_members(conn)
            return [
                {**member_to_dict(m), "overdue_calls": flagged.get(m.member_id, [])}
                for m in await admin.list_participants()
            ]
        finally:
            await engine.dispose()

    _members(run(body), as_json)


@participant_app.command("add-account")
def participant_add_account(
    member: str,
    account: Annotated[str, typer.Argument(help="New account id.")],
    account_type: Annotated[str, typer.Option("--type", help="HOUSE or CLIENT.")] = "CLIENT",
    base_currency: Annotated[str | None, typer.Option(help="Default: the member's base currency.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Open another account (a new client, typically) for an existing member."""
    from gateway.domain.enums import AccountType

    if base_currency is not None:
        currency_arg(base_currency, "--base-currency")

    try:
        kind = AccountType(account_type.upper())
    except ValueError:
        raise typer.BadParameter("HOUSE or CLIENT", param_hint="--type") from None

    async def body() -> dict[str, Any]:
        from gateway.admin.reference import member_to_dict

        engine, admin = await _admin(db)
        try:
            return member_to_dict(await admin.add_account(member, account, kind, base_currency))
        finally:
            await engine.dispose()

    args = {"member": member, "account": account, "type": kind.value, "base_currency": base_currency}
    _members([audited(db, operator, "participant add-account", args, body)], as_json, single=True)


@participant_app.command("suspend")
def participant_suspend(
    member: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False, operator: OperatorOption = None
) -> None:
    """Suspend a member: its new trades are refused (ELIG_MEMBER_SUSPENDED)."""
    _status(member, db, as_json, operator, suspend=True)


@participant_app.command("reactivate")
def participant_reactivate(
    member: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False, operator: OperatorOption = None
) -> None:
    """Make a suspended member active again."""
    _status(member, db, as_json, operator, suspend=False)


def _status(member: str, db: str, as_json: bool, operator: str | None, *, suspend: bool) -> None:
    async def body() -> dict[str, Any]:
        from gateway.admin.reference import member_to_dict

        engine, admin = await _admin(db)
        try:
            m = await (admin.suspend(member) if suspend else admin.reactivate(member))
            return member_to_dict(m)
        finally:
            await engine.dispose()

    command = "participant suspend" if suspend else "participant reactivate"
    emit(audited(db, operator, command, {"member": member}, body), as_json, ["member", "name", "status"])


# ---------------------------------------------------------------- collateral

_COLLATERAL_COLUMNS = [
    "member",
    "account",
    "base_currency",
    "collateral_value",
    "margin",
    "reserved",
    "excess",
    "holdings",
]


def _show_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if not as_json:
        for r in rows:
            r["holdings"] = [holding_text(h) for h in r["holdings"]]
    emit(rows, as_json, _COLLATERAL_COLUMNS)


def holding_text(h: dict[str, Any]) -> str:
    """``AUD 50,000,000`` for cash; ``AU000XCLWAB3 100,000 @ 99.2 AUD, haircut 3%`` for a security."""
    quantity, price, haircut = (
        Decimal(str(h["quantity"])),
        Decimal(str(h["price"])),
        Decimal(str(h["haircut"])),
    )
    amount = f"{quantity:,f}".rstrip("0").rstrip(".") if "." in f"{quantity:f}" else f"{quantity:,f}"
    if h.get("kind") == "CASH" or (h["asset"] == h.get("currency") and price == 1):
        text = f"{h['asset']} {amount}"
    else:
        text = f"{h['asset']} {amount} @ {price.normalize():f} {h.get('currency', '')}".rstrip()
    if haircut:
        text += f", haircut {(haircut * 100).normalize():f}%"
    return text


_OPTIONS = {"member": "--member", "account": "--account"}


def _member(member: str | None, positional: str | None) -> str:
    value: str = pick("--member", member, "MEMBER (positional)", positional, required=True)
    return value


def _holding(
    cash: Decimal | None,
    security: str | None,
    quantity: Decimal | None,
    price: Decimal | None,
    haircut: Decimal | None,
    currency: str,
    settings: Path | None,
) -> Any:
    """The holding the options describe; a bad value is refused naming the option that carried it. A
    security's haircut is the one given, else the eligible-collateral table's (``security_holding``)."""
    from gateway.admin.reference import security_holding
    from gateway.domain.errors import GatewayError, InputRejected, Issue
    from gateway.refdata.model import AssetKind, Holding
    from gateway.rules.collateral import check_haircut
    from gateway.rules.settings import ClearingSettings

    if (cash is None) == (security is None):
        usage("--cash/--security", "give either --cash AMOUNT or --security ISIN --quantity N --price P")
    if haircut is not None:
        check_haircut(haircut, "--haircut")
    if cash is not None:
        positive(cash, "--cash")
        options = {"quantity": "--cash", "currency": "--currency", "asset_id": "--currency"}
    else:
        if quantity is None or price is None:
            usage("--security", "a security needs --quantity and --price")
        positive(quantity, "--quantity")
        positive(price, "--price")
        options = {"quantity": "--quantity", "currency": "--currency", "asset_id": "--security"}
    options |= {"price": "--price", "haircut": "--haircut"}
    try:
        if cash is not None:
            return Holding(currency, AssetKind.CASH, currency, cash, Decimal(1), haircut or Decimal(0))
        assert security is not None
        assert quantity is not None
        assert price is not None
        eligible = ClearingSettings.load(settings).collateral
        return security_holding(security, currency, quantity, price, haircut, eligible)
    except GatewayError as exc:
        renamed = [
            Issue(i.code, options.get(i.path.rsplit(".", 1)[-1], i.path), i.message) for i in exc.issues
        ]
        raise InputRejected(renamed) from None


@collateral_app.command("lodge", cls=KitCommand)
def collateral_lodge(
    member_arg: MemberArgAlias = None,
    member: MemberOption = None,
    account: AccountOption = "HOUSE",
    cash: Annotated[Decimal | None, typer.Option(help="Cash amount (with --currency).")] = None,
    security: Annotated[
        str | None, typer.Option(help="ISIN of a security (with --quantity, --price).")
    ] = None,
    quantity: Annotated[Decimal | None, typer.Option(help="Units of the security.")] = None,
    price: Annotated[Decimal | None, typer.Option(help="Price per unit of the security.")] = None,
    haircut: Annotated[
        Decimal | None,
        typer.Option(
            help="Haircut as a fraction in [0, 1), e.g. 0.02. A security without one takes the eligible-"
            "collateral table's (settings [collateral.eligible]); cash defaults to 0."
        ),
    ] = None,
    currency: Annotated[str, typer.Option(help="Currency of the cash or of the security's price.")] = "AUD",
    db: DbOption = DEFAULT_DB,
    fx: FxOption = None,
    settings: SettingsOption = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Lodge cash or a security; trades pending for collateral are checked again."""
    member_id = _member(member, member_arg)
    currency_arg(currency, "--currency")
    holding = _holding(cash, security, quantity, price, haircut, currency, settings)

    async def body() -> list[dict[str, Any]]:
        engine, admin = await _admin(db, fx)
        try:
            with paths_as_options(_OPTIONS):
                return [(await admin.lodge(member_id, account, holding)).to_dict()]
        finally:
            await engine.dispose()

    args = {
        "member": member_id,
        "account": account,
        "asset": holding.asset_id,
        "kind": holding.kind.value,
        "currency": holding.currency,
        "quantity": str(holding.quantity),
        "price": str(holding.price),
        "haircut": str(holding.haircut),
    }
    _show_rows(audited(db, operator, "collateral lodge", args, body), as_json)


@collateral_app.command("withdraw", cls=KitCommand)
def collateral_withdraw(
    member_arg: MemberArgAlias = None,
    member: MemberOption = None,
    account: AccountOption = "HOUSE",
    cash: Annotated[Decimal | None, typer.Option(help="Cash amount to withdraw (with --currency).")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the cash.")] = "AUD",
    security: Annotated[str | None, typer.Option(help="ISIN of the security (with --quantity).")] = None,
    quantity: Annotated[Decimal | None, typer.Option(help="Units of the security to withdraw.")] = None,
    asset: Annotated[
        str | None, typer.Option(hidden=True, help="Old form: a currency or an ISIN, with --quantity.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    fx: FxOption = None,
    as_json: JsonOption = False,
    operator: OperatorOption = None,
) -> None:
    """Withdraw collateral; refused (RISK_INSUFFICIENT_COLLATERAL) if margin would be left uncovered."""
    member_id = _member(member, member_arg)
    if sum(x is not None for x in (cash, security, asset)) != 1:
        usage("--cash/--security", "give either --cash AMOUNT --currency CCY or --security ISIN --quantity N")
    if cash is not None:
        asset_id, amount = currency, positive(cash, "--cash")
    else:
        if quantity is None:
            usage("--quantity", "how many units to withdraw: --quantity N")
        asset_id, amount = cast(str, security or asset), positive(quantity, "--quantity")

    async def body() -> list[dict[str, Any]]:
        engine, admin = await _admin(db, fx)
        try:
            with paths_as_options(_OPTIONS):
                return [(await admin.withdraw(member_id, account, asset_id, amount)).to_dict()]
        finally:
            await engine.dispose()

    args = {"member": member_id, "account": account, "asset": asset_id, "quantity": str(amount)}
    _show_rows(audited(db, operator, "collateral withdraw", args, body), as_json)


@collateral_app.command("show", cls=KitCommand)
def collateral_show(
    member_arg: MemberArgAlias = None,
    member: MemberOption = None,
    account: Annotated[str | None, typer.Option(help="One account (default: all of the member's).")] = None,
    db: DbOption = DEFAULT_DB,
    fx: FxOption = None,
    as_json: JsonOption = False,
) -> None:
    """Collateral after haircuts, margin requirement and excess per account, in the account's base currency."""
    member_id = _member(member, member_arg)

    async def body() -> list[dict[str, Any]]:
        engine, admin = await _admin(db, fx)
        try:
            with paths_as_options(_OPTIONS):
                return [s.to_dict() for s in await admin.show(member_id, account)]
        finally:
            await engine.dispose()

    _show_rows(run(body), as_json)


# ---------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(
    db: DbOption = DEFAULT_DB, as_json: JsonOption = False, operator: OperatorOption = None
) -> None:
    """Create or upgrade the schema to the latest migration (the service also does this at start)."""

    async def body() -> dict[str, str]:
        engine = await open_db(db, create=True)
        await engine.dispose()
        return {"db": db, "schema": "up to date"}

    emit(audited(db, operator, "db upgrade", {}, body, create=True), as_json, ["db", "schema"])


# ---------------------------------------------------------------- bench


@bench_app.command("clearing")
def bench_clearing(
    trades: Annotated[int, typer.Option(help="Trades in the batch (submit all, then clear all).")] = 500,
    latency_trades: Annotated[int, typer.Option(help="Trades submitted and cleared one at a time.")] = 100,
    members: Annotated[int, typer.Option(help="Clearing members trading with each other.")] = 8,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: a temporary SQLite file).")
    ] = None,
    market_data: MarketDataOption = None,
    market: MarketAlias = None,
) -> None:
    """Clearing throughput and single-trade latency with the real risk engine; prints JSON.

    Without --market-data: synthetic market data."""
    if trades < 1 or latency_trades < 0 or members < 2:
        raise typer.BadParameter("need trades >= 1, latency-trades >= 0, members >= 2")
    market_dir = pick("--market-data", market_data, "--market", market)

    if db is not None:
        check_db_url(db, create=True)  # the benchmark creates its database

    async def body() -> dict[str, Any]:
        from tools.bench.clearing import run_bench

        return await run_bench(
            trades=trades, latency_trades=latency_trades, members=members, db_url=db, market_dir=market_dir
        )

    emit(run(body), True)


# ---------------------------------------------------------------- trades (operations views)

trade_app = sub_app("Submitted trades: status history and work queues.")
app.add_typer(trade_app, name="trade")


@trade_app.command("show")
def trade_show(
    submission: Annotated[str | None, typer.Argument(help="Submission id, e.g. S0000000042.")] = None,
    source: Annotated[str | None, typer.Option(help="Trade source (with --trade-id).")] = None,
    trade_id: Annotated[
        str | None, typer.Option("--trade-id", help="The source's trade id: every version.")
    ] = None,
    ccp_trade_id: Annotated[
        str | None,
        typer.Option(
            "--ccp-trade-id", help="A CCP trade id of the trade (any side, before or after an amendment)."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Every status of a submission (or of every version of a source trade), with time and reasons, and
    every lifecycle event taken on it (an amendment: the CCP trade ids it replaced, and by which)."""
    given = [x for x in (submission, trade_id, ccp_trade_id) if x is not None]
    if len(given) != 1 or (trade_id is not None and source is None):
        raise typer.BadParameter("give a submission id, or --source and --trade-id, or --ccp-trade-id")

    async def body() -> list[dict[str, Any]]:
        from gateway.domain.errors import InputRejected
        from gateway.domain.reasons import ReasonCode
        from gateway.domain.workflow import parse_submission_ref
        from gateway.store import cleared_repo, clearing_repo, status_repo
        from gateway.store.engine import reading

        engine = await open_db(db)
        try:
            async with reading(engine) as conn:
                if submission is not None:
                    row_id = parse_submission_ref(submission)
                    if row_id is None or await clearing_repo.get(conn, row_id) is None:
                        raise InputRejected.of(
                            ReasonCode.FIX_UNKNOWN_TRADE, "submission", f"no submission {submission!r}"
                        )
                    ids = [row_id]
                elif ccp_trade_id is not None:
                    found = await cleared_repo.submission_of(conn, ccp_trade_id)
                    if found is None:
                        raise InputRejected.of(
                            ReasonCode.FIX_UNKNOWN_TRADE, "ccp_trade_id", f"no cleared trade {ccp_trade_id!r}"
                        )
                    ids = [found]
                else:
                    assert source is not None
                    assert trade_id is not None
                    ids = [s.id for s in await clearing_repo.versions(conn, source, trade_id)]
                    if not ids:
                        raise InputRejected.of(
                            ReasonCode.FIX_UNKNOWN_TRADE, "trade_id", f"no trade {trade_id!r} from {source!r}"
                        )
                out = []
                for row_id in ids:
                    for u in await status_repo.history(conn, row_id):
                        out.append(
                            {
                                "submission": u.submission_id,
                                "trade_id": u.trade.identifiers.source_trade_id,
                                "version": u.trade.identifiers.source_version,
                                "sequence": u.sequence,
                                "status": u.status.value,
                                "at": u.at.isoformat(),
                                "business_date": None
                                if u.clearing_business_date is None
                                else u.clearing_business_date.isoformat(),
                                "ccp_trade_ids": list(u.ccp_trade_ids),
                                "reasons": [i.to_dict() for i in u.reasons],
                                "event": None if u.event is None else _event_fields(u),
                            }
                        )
                return out
        finally:
            await engine.dispose()

    rows = run(body)
    if not as_json:
        for r in rows:
            r["reasons"] = [f"{i['code']} at {i['path']}: {i['message']}" for i in r["reasons"]]
            event = r["event"]
            r["event"] = "" if event is None else _event_text(event)
    emit(
        rows,
        as_json,
        [
            "submission",
            "version",
            "sequence",
            "status",
            "at",
            "business_date",
            "ccp_trade_ids",
            "event",
            "reasons",
        ],
    )


def _event_fields(update: StatusUpdate) -> dict[str, Any]:
    """A lifecycle event a status tells of: which, from which message, and its effect when confirmed."""
    note = update.event
    assert note is not None
    effect = note.effect
    fee = note.terms.fee
    return {
        "kind": note.terms.kind.value,
        "message_id": update.in_reply_to,
        "outcome": note.outcome.value,
        "notional_before": None if effect is None else str(effect.notional_before),
        "notional_after": None if effect is None else str(effect.notional_after),
        "currency": None if effect is None else effect.currency,
        "fee": None if fee is None else f"{fee.amount.amount} {fee.amount.currency}",
        # an amendment confirmed: the CCP trade ids it replaced (the status's own ids replace them)
        "replaced": None if effect is None or effect.replaced is None else list(effect.replaced),
        "replaced_by": None if effect is None or effect.replaced is None else list(note.ccp_trade_ids),
    }


def _event_text(event: dict[str, Any]) -> str:
    text = f"{event['kind']} {event['message_id']} {event['outcome'].lower()}"
    if event["notional_before"] is not None:
        text += f": {event['notional_before']} -> {event['notional_after']} {event['currency']}"
    if event["fee"] is not None:
        text += f", fee {event['fee']}"
    if event["replaced"] is not None:
        text += f"; {' and '.join(event['replaced'])} replaced by {' and '.join(event['replaced_by'])}"
    return text


@trade_app.command("list")
def trade_list(
    stage: Annotated[
        list[str] | None,
        typer.Option(
            help="RECEIVED, QUEUED_HOURS, QUEUED_BACKLOAD, PENDING_COLLATERAL, CLEARED, REJECTED, WITHDRAWN."
        ),
    ] = None,
    member: Annotated[
        str | None, typer.Option("--member", help="Trades with this member on either side.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Trades from this source.")] = None,
    business_date: Annotated[str | None, typer.Option("--date", help="Business date, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Submitted trades by stage (the work queues: pending for collateral, queued, backloads ...)."""
    from datetime import date as date_type

    from gateway.domain.workflow import Stage

    try:
        stages = [Stage(s.upper()) for s in stage or ()]
    except ValueError:
        raise typer.BadParameter(
            f"one of {', '.join(s.value for s in Stage)}", param_hint="--stage"
        ) from None
    try:
        day = None if business_date is None else date_type.fromisoformat(business_date)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date: {business_date!r}", param_hint="--date") from None

    async def body() -> list[dict[str, Any]]:
        from gateway.admin.reference import known_member
        from gateway.store import clearing_repo, status_repo
        from gateway.store.engine import reading

        engine = await open_db(db)
        try:
            if member is not None:
                from gateway.admin.reference import ReferenceData

                with paths_as_options(
                    {"member": "--member"}
                ):  # a mistyped member: refused, not an empty list
                    await ReferenceData(engine).get(member)
            async with reading(engine) as conn:
                if member is not None:
                    await known_member(conn, member, "--member")
                found = await clearing_repo.search(
                    conn, source=source, stages=stages, member_id=member, business_date=day, limit=limit
                )
                out = []
                for s in found:
                    last = await status_repo.latest_update(conn, s.id)
                    out.append(
                        {
                            "submission": s.ref,
                            "source": s.source,
                            "trade_id": s.source_trade_id,
                            "version": s.source_version,
                            "members": list(s.members),
                            "stage": s.stage.value,
                            "status": s.status.value,
                            "business_date": None if s.business_date is None else s.business_date.isoformat(),
                            "since": last.at.isoformat(),
                            "reasons": [i.code.value for i in last.reasons],
                        }
                    )
                return out
        finally:
            await engine.dispose()

    emit(
        run(body),
        as_json,
        [
            "submission",
            "source",
            "trade_id",
            "version",
            "members",
            "stage",
            "business_date",
            "since",
            "reasons",
        ],
    )
