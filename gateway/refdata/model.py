"""Clearing members, their accounts and their collateral: immutable values, invariants checked on creation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gateway.domain.currencies import parse_currency
from gateway.domain.enums import AccountType
from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class AssetKind(StrEnum):
    CASH = "CASH"
    SECURITY = "SECURITY"


def _bad(path: str, message: str) -> InputRejected:
    return InputRejected([Issue(ReasonCode.REF_INVALID_INPUT, path, message)])


def check_currency(code: str, path: str) -> str:
    """``code`` if it is an ISO 4217 code in use (REF_UNKNOWN_CURRENCY at ``path`` otherwise)."""
    return parse_currency(code, path)


@dataclass(frozen=True, slots=True)
class Account:
    """A clearing account of a member: its house account or one client account."""

    member_id: str
    account_id: str
    account_type: AccountType
    base_currency: str

    def __post_init__(self) -> None:
        if not self.account_id.strip():
            raise _bad("account.account_id", "account id is empty")
        check_currency(self.base_currency, "account.base_currency")


@dataclass(frozen=True, slots=True)
class Member:
    """A clearing member: who it is on the wire (party ids, FIX CompIDs), its accounts and its credit terms."""

    member_id: str
    name: str
    party_ids: tuple[str, ...]  # LEIs / FpML party ids that identify the member in trades
    comp_ids: tuple[str, ...]  # FIX SenderCompIDs of its sessions
    accounts: tuple[Account, ...]
    status: MemberStatus = MemberStatus.ACTIVE
    base_currency: str = "AUD"
    tolerance_limit: Decimal = Decimal(0)  # CCP-assigned real-time registration limit
    credit_score: int = 5  # internal credit score, 1 (best) .. 10 (worst)

    def __post_init__(self) -> None:
        if not self.member_id.strip():
            raise _bad("member.member_id", "member id is empty")
        if not self.party_ids:
            raise _bad("member.party_ids", "a member needs at least one party id (LEI)")
        if any(not p.strip() for p in self.party_ids):
            raise _bad("member.party_ids", "empty party id")
        if not self.accounts:
            raise _bad("member.accounts", "a member needs at least one account")
        if len({a.account_id for a in self.accounts}) != len(self.accounts):
            raise _bad("member.accounts", "account ids repeat")
        for a in self.accounts:
            if a.member_id != self.member_id:
                raise _bad("member.accounts", f"account {a.account_id} belongs to {a.member_id}")
        check_currency(self.base_currency, "member.base_currency")
        if self.tolerance_limit < 0:
            raise _bad("member.tolerance_limit", "tolerance limit cannot be negative")
        if not 1 <= self.credit_score <= 10:
            raise _bad("member.credit_score", f"credit score {self.credit_score} is not within 1..10")

    @property
    def is_active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    def account(self, account_id: str) -> Account | None:
        for a in self.accounts:
            if a.account_id == account_id:
                return a
        return None

    @property
    def house_account(self) -> Account | None:
        for a in self.accounts:
            if a.account_type is AccountType.HOUSE:
                return a
        return None


@dataclass(frozen=True, slots=True)
class Holding:
    """One collateral line of an account: cash in a currency, or a security with its price and haircut."""

    asset_id: str  # the currency code for cash, the ISIN for a security
    kind: AssetKind
    currency: str
    quantity: Decimal  # cash amount, or units of the security
    price: Decimal = Decimal(1)  # per unit, in ``currency``
    haircut: Decimal = Decimal(0)  # fraction taken off the market value, 0 <= haircut < 1

    def __post_init__(self) -> None:
        check_currency(self.currency, "collateral.currency")
        if self.kind is AssetKind.CASH and self.asset_id != self.currency:
            raise _bad("collateral.asset_id", "a cash line is identified by its currency")
        if self.quantity < 0:
            raise _bad("collateral.quantity", f"quantity {self.quantity} is negative")
        if self.price <= 0:
            raise _bad("collateral.price", f"price {self.price} is not positive")
        if not Decimal(0) <= self.haircut < Decimal(1):
            raise _bad("collateral.haircut", f"haircut {self.haircut} is not within [0, 1)")

    @property
    def market_value(self) -> Decimal:
        return self.quantity * self.price

    @property
    def collateral_value(self) -> Decimal:
        """Value after haircut, in the holding's currency."""
        return self.market_value * (Decimal(1) - self.haircut)
