"""``margin.csv``: per account and currency, the initial margin the day's reports took (in the account's
base currency, 0 in its other currencies), the day's variation margin, the cumulative VM balance and the
day's price alignment interest (+: paid to the member)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.reports.kind import ReportKind, Row, Scope
from gateway.store import tables as t

COLUMNS = (
    "business_date",
    "member",
    "account",
    "currency",
    "initial_margin",
    "variation_margin",
    "vm_balance",
    "pai",
)

_Key = tuple[str, str]  # (account, currency)
_ZERO = Decimal(0)


async def rows(conn: AsyncConnection, scope: Scope) -> list[Row]:
    m, v, p = t.margin_history.c, t.variation_margin.c, t.price_alignment_interest.c
    d, member = scope.business_date, scope.member_id
    im: dict[_Key, Decimal] = {}
    for r in await conn.execute(
        select(m.account_id, m.currency, m.initial_margin).where(m.business_date == d, m.member_id == member)
    ):
        im[(r.account_id, r.currency)] = r.initial_margin
    vm: dict[_Key, Decimal] = {}
    balance: dict[_Key, Decimal] = {}
    for x in await conn.execute(
        select(v.account_id, v.currency, v.business_date, v.vm).where(
            v.member_id == member, v.business_date <= d
        )
    ):  # summed here: exact on SQLite too, whose columns hold text
        key = (x.account_id, x.currency)
        balance[key] = balance.get(key, _ZERO) + x.vm
        if x.business_date == d:
            vm[key] = vm.get(key, _ZERO) + x.vm
    pai: dict[_Key, Decimal] = {}
    for y in await conn.execute(
        select(p.account_id, p.currency, p.amount).where(p.business_date == d, p.member_id == member)
    ):
        pai[(y.account_id, y.currency)] = y.amount
    keys = sorted(set(im) | set(vm) | set(balance) | set(pai))
    return [
        (
            d,
            member,
            account,
            currency,
            im.get((account, currency), _ZERO),
            vm.get((account, currency), _ZERO),
            balance.get((account, currency), _ZERO),
            pai.get((account, currency), _ZERO),
        )
        for account, currency in keys
    ]


KIND = ReportKind("margin", COLUMNS, rows)
