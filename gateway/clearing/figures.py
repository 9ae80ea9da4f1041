"""The figures a credit decision is taken on, for one account: collateral after haircuts, margin,
reservations and the member's tolerance, all in the account's base currency. Pure.

``overrides`` are the accounts' risk states a clearing pass has decided so far (in place of the stored
margins); the pool cap limits a member's tolerance to a share of all active members' limits, each converted
to the member's base currency before they are added.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from gateway.clearing.credit import CreditPosition, effective_tolerance
from gateway.refdata.figures import MemberFigures, RiskRow
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Member


def fixed_figures(
    fx: FxRates, member: Member, account_id: str, figures: MemberFigures
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Collateral after haircuts and reservations of each of the member's accounts, in the currency
    of ``account_id``."""
    target = member.account(account_id)
    assert target is not None
    values: dict[str, Decimal] = {}
    reserves: dict[str, Decimal] = {}
    for acct in member.accounts:
        a, base, to = acct.account_id, acct.base_currency, target.base_currency
        values[a] = fx.convert(fx.value(figures.holdings.get(a, []), base), base, to)
        reserves[a] = fx.convert(figures.reserved.get(a, Decimal(0)), base, to)
    return values, reserves


def pool_in(fx: FxRates, pool: Mapping[str, Decimal], currency: str) -> Decimal:
    """The pool of tolerance limits (summed per base currency) as one amount in ``currency``, at ``fx``."""
    return sum((fx.convert(amount, ccy, currency) for ccy, amount in pool.items()), Decimal(0))


def credit_position(
    fx: FxRates,
    pool_cap: Decimal,
    member: Member,
    account_id: str,
    figures: MemberFigures,
    overrides: Mapping[str, RiskRow | None],
    pool: Mapping[str, Decimal],
    fixed: tuple[dict[str, Decimal], dict[str, Decimal]] | None = None,
) -> CreditPosition:
    """The figures of one account and of its member's tolerance, in the account's base currency
    (``overrides``: risk states decided in this pass, by account id, in place of the stored margins)."""
    values, reserves = fixed or fixed_figures(fx, member, account_id, figures)
    margins: dict[str, Decimal] = {}
    target = member.account(account_id)
    assert target is not None
    for acct in member.accounts:
        a, base, to = acct.account_id, acct.base_currency, target.base_currency
        override = overrides.get(a)
        margin = override.margin if override is not None else figures.margins.get(a, Decimal(0))
        margins[a] = fx.convert(margin, base, to)
    # tolerance in use: the member's requirement that its collateral does not cover, over all accounts
    used = sum((max(margins[a] + reserves[a] - values[a], Decimal(0)) for a in values), Decimal(0))
    limit = Decimal(0)
    if member.tolerance_limit > 0:
        limit = fx.convert(
            effective_tolerance(member.tolerance_limit, pool_in(fx, pool, member.base_currency), pool_cap),
            member.base_currency,
            target.base_currency,
        )
    return CreditPosition(values[account_id], margins[account_id], reserves[account_id], limit, used)
