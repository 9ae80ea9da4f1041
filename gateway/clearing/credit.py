"""The credit check: does a trade's incremental initial margin fit in the member's headroom? Pure.

Headroom of an account = its excess collateral (collateral after haircuts, minus margin requirement and
pre-trade reservations) plus what is left of the member's tolerance limit; the tolerance in use is the
member's margin not covered by collateral, over all its accounts. The limit itself is capped at a fraction
of the pool of all active members' limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from gateway.clearing.ports import CreditDecision
from gateway.domain.enums import AccountType
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MarginImpact:
    """What adding a trade does to an account's initial margin (amounts in the account's base currency)."""

    incremental_margin: Decimal
    margin_after: Decimal
    pnl_after: bytes  # the account portfolio's scenario P&L vector after the trade, encoded by the checker


class CreditChecker(Protocol):
    """Margin model used by the credit check; the production implementation is backed by ``gateway.risk``."""

    def margin_impact(
        self,
        trade: Trade,
        party_id: str,
        base_currency: str,
        pnl_before: bytes | None,
        as_of: date,
        account_type: AccountType = AccountType.HOUSE,
    ) -> MarginImpact:
        """Incremental IM of ``trade`` seen from ``party_id`` on a portfolio whose P&L vector is ``pnl_before``.

        Raises ``GatewayError`` (``RISK_UNPRICEABLE``, ``MD_*``) when the trade cannot be valued.
        """
        ...


@runtime_checkable
class BatchPricing(Protocol):
    """Optional for a ``CreditChecker``: price a batch of new trades at once before their ``margin_impact``.

    The clearing pass calls ``prepare`` on a worker thread (one at a time), while the event loop goes on.
    """

    def prepare(self, items: Sequence[tuple[Trade, AccountType]]) -> None: ...


@dataclass(frozen=True, slots=True)
class CreditPosition:
    """The figures a decision is taken on, in the account's base currency."""

    collateral_value: Decimal  # account collateral after haircuts
    margin: Decimal  # account's current requirement
    reserved: Decimal  # account's open pre-trade reservations
    tolerance_limit: Decimal  # member's limit, already capped by the pool
    tolerance_used: Decimal  # member's requirement not covered by collateral, all accounts

    @property
    def excess(self) -> Decimal:
        return self.collateral_value - self.margin - self.reserved

    @property
    def headroom(self) -> Decimal:
        return max(self.excess, ZERO) + max(self.tolerance_limit - self.tolerance_used, ZERO)


def effective_tolerance(limit: Decimal, pool: Decimal, cap: Decimal) -> Decimal:
    """A member's tolerance limit after the pool cap."""
    return min(limit, pool * cap)


def decide(member: str, account: str, incremental: Decimal, pos: CreditPosition) -> CreditDecision:
    """Approve when the incremental margin fits in the headroom; a trade that reduces margin always fits."""
    headroom = pos.headroom
    if incremental <= headroom:
        return CreditDecision(True, member, account, incremental, headroom)
    shortfall = incremental - headroom
    issue = Issue(
        ReasonCode.RISK_INSUFFICIENT_COLLATERAL,
        f"member[{member}].account[{account}]",
        f"incremental initial margin {incremental:.2f} exceeds headroom {headroom:.2f} "
        f"(excess collateral {pos.excess:.2f}, tolerance unused "
        f"{max(pos.tolerance_limit - pos.tolerance_used, ZERO):.2f}); short by {shortfall:.2f}",
    )
    return CreditDecision(False, member, account, incremental, headroom, shortfall, (issue,))
