"""Reference data administration: onboard and suspend members, lodge and withdraw collateral.

Used by ``clearing-gateway participant|collateral`` and by the running service. A lodgement flags the
member's trades pending for collateral for a re-check (picked up by the clearing service's next pass);
a withdrawal that would leave an account's margin uncovered is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.clock import Clock, SystemClock
from gateway.domain.currencies import parse_currency
from gateway.domain.enums import AccountType
from gateway.domain.errors import InputRejected, NotEligible
from gateway.domain.identifiers import parse_isin
from gateway.domain.reasons import ReasonCode
from gateway.refdata.fx import FxRates
from gateway.refdata.model import Account, AssetKind, Holding, Member, MemberStatus
from gateway.rules.collateral import EligibleCollateral, check_haircut
from gateway.store import clearing_repo, events_repo, refdata_repo
from gateway.store.engine import reading


@dataclass(frozen=True, slots=True)
class AccountCollateral:
    """An account's collateral and what it covers, in the account's base currency."""

    member_id: str
    account_id: str
    base_currency: str
    holdings: tuple[Holding, ...]
    collateral_value: Decimal  # after haircuts
    margin: Decimal
    reserved: Decimal

    @property
    def excess(self) -> Decimal:
        return self.collateral_value - self.margin - self.reserved

    def to_dict(self) -> dict[str, Any]:
        return {
            "member": self.member_id,
            "account": self.account_id,
            "base_currency": self.base_currency,
            "collateral_value": str(round(self.collateral_value, 2)),
            "margin": str(round(self.margin, 2)),
            "reserved": str(round(self.reserved, 2)),
            "excess": str(round(self.excess, 2)),
            "holdings": [
                {
                    "asset": h.asset_id,
                    "kind": h.kind.value,
                    "currency": h.currency,
                    "quantity": str(h.quantity),
                    "price": str(h.price),
                    "haircut": str(h.haircut),
                    "value_after_haircut": str(round(h.collateral_value, 2)),
                }
                for h in self.holdings
            ],
        }


def member_to_dict(m: Member) -> dict[str, Any]:
    return {
        "member": m.member_id,
        "name": m.name,
        "status": m.status.value,
        "party_ids": list(m.party_ids),
        "comp_ids": list(m.comp_ids),
        "accounts": [
            {"account": a.account_id, "type": a.account_type.value, "base_currency": a.base_currency}
            for a in m.accounts
        ],
        "base_currency": m.base_currency,
        "tolerance_limit": str(m.tolerance_limit),
        "credit_score": m.credit_score,
    }


class ReferenceData:
    """The admin API over members, accounts and collateral."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock | None = None,
        fx: FxRates | None = None,
        on_lodged: Callable[[], None] | None = None,
        eligible: EligibleCollateral | None = None,
    ) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.fx = fx or FxRates.load()
        self.on_lodged = on_lodged
        self._eligible = eligible

    @property
    def eligible(self) -> EligibleCollateral:
        """The eligible-collateral haircuts (the shipped settings' unless given)."""
        if self._eligible is None:
            from gateway.rules.settings import ClearingSettings

            self._eligible = ClearingSettings.load().collateral
        return self._eligible

    # ------------------------------------------------------------ members

    async def add_participant(self, member: Member) -> Member:
        async with self.engine.begin() as conn:
            if await refdata_repo.get_member(conn, member.member_id) is not None:
                raise InputRejected.of(
                    ReasonCode.REF_ALREADY_EXISTS, "member", f"member {member.member_id} already exists"
                )
            taken = await refdata_repo.taken_identifiers(conn, member)
            if taken:
                raise InputRejected.of(
                    ReasonCode.REF_ALREADY_EXISTS,
                    "member",
                    f"already registered to another member: {', '.join(taken)}",
                )
            await refdata_repo.insert_member(conn, member, self.clock.now())
        return member

    async def list_participants(self) -> list[Member]:
        async with reading(self.engine) as conn:
            return await refdata_repo.list_members(conn)

    async def get(self, member_id: str) -> Member:
        async with reading(self.engine) as conn:
            return await self._member(conn, member_id)

    async def member_for_party(self, party_id: str) -> Member | None:
        async with reading(self.engine) as conn:
            return (await refdata_repo.members_by_party(conn, [party_id])).get(party_id)

    async def member_for_comp_id(self, comp_id: str) -> Member | None:
        """The member a FIX session's SenderCompID belongs to."""
        async with reading(self.engine) as conn:
            for m in await refdata_repo.list_members(conn):
                if comp_id in m.comp_ids:
                    return m
        return None

    async def add_account(
        self, member_id: str, account_id: str, account_type: AccountType, base_currency: str | None = None
    ) -> Member:
        """Open another account for a member; a member has at most one house account."""
        async with self.engine.begin() as conn:
            m = await self._member(conn, member_id)
            if m.account(account_id) is not None:
                raise InputRejected.of(
                    ReasonCode.REF_ALREADY_EXISTS,
                    "account",
                    f"member {member_id} already has account {account_id}",
                )
            if account_type is AccountType.HOUSE and m.house_account is not None:
                raise InputRejected.of(
                    ReasonCode.REF_ALREADY_EXISTS,
                    "account",
                    f"member {member_id} already has house account {m.house_account.account_id}",
                )
            account = Account(member_id, account_id, account_type, base_currency or m.base_currency)
            await refdata_repo.insert_accounts(conn, [account])
            return await self._member(conn, member_id)

    async def suspend(self, member_id: str) -> Member:
        return await self._set_status(member_id, MemberStatus.SUSPENDED)

    async def reactivate(self, member_id: str) -> Member:
        return await self._set_status(member_id, MemberStatus.ACTIVE)

    async def _set_status(self, member_id: str, status: MemberStatus) -> Member:
        async with self.engine.begin() as conn:
            if not await refdata_repo.set_status(conn, member_id, status, self.clock.now()):
                raise InputRejected.of(ReasonCode.REF_UNKNOWN_MEMBER, "member", f"no member {member_id!r}")
            return await self._member(conn, member_id)

    async def _member(self, conn: AsyncConnection, member_id: str) -> Member:
        return await known_member(conn, member_id)

    async def _account(self, conn: AsyncConnection, member_id: str, account_id: str) -> Account:
        return account_of(await self._member(conn, member_id), account_id)

    async def account(self, member_id: str, account_id: str) -> Account:
        """The member's account; REF_UNKNOWN_MEMBER or REF_UNKNOWN_ACCOUNT when either does not exist."""
        async with reading(self.engine) as conn:
            return await self._account(conn, member_id, account_id)

    # ------------------------------------------------------------ collateral

    def security(
        self, isin: str, currency: str, quantity: Decimal, price: Decimal, haircut: Decimal | None
    ) -> Holding:
        """A security line to lodge, its haircut the one given or this service's eligible-collateral one."""
        return security_holding(isin, currency, quantity, price, haircut, self.eligible)

    async def lodge(self, member_id: str, account_id: str, holding: Holding) -> AccountCollateral:
        """Add ``holding`` to the account (a security's price and haircut become the lodged ones)."""
        if holding.quantity <= 0:
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "quantity", "lodge a positive quantity")
        if holding.kind is AssetKind.SECURITY:
            parse_isin(holding.asset_id, "--security")
        async with self.engine.begin() as conn:
            summary = await self.lodge_in(conn, member_id, account_id, holding)
        if self.on_lodged is not None:
            self.on_lodged()
        return summary

    async def lodge_in(
        self, conn: AsyncConnection, member_id: str, account_id: str, holding: Holding
    ) -> AccountCollateral:
        """``lodge`` inside the caller's transaction (a margin call settled with what it lodges); the caller
        wakes the clearing pass (``on_lodged``) once it has committed."""
        if holding.quantity <= 0:
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "quantity", "lodge a positive quantity")
        now = self.clock.now()
        account = await self._account(conn, member_id, account_id)
        # Flag the member's pending trades first: the pipeline locks a submission before any account,
        # and taking locks in the same order keeps a lodgement from deadlocking with a novation.
        await clearing_repo.flag_recheck(conn, member_id)
        await events_repo.flag_recheck(conn, member_id)
        await refdata_repo.lock_account(conn, member_id, account_id)
        current = {h.asset_id: h for h in await refdata_repo.holdings(conn, member_id, account_id)}
        held = current.get(holding.asset_id)
        if held is not None and (held.kind is not holding.kind or held.currency != holding.currency):
            raise InputRejected.of(
                ReasonCode.REF_INVALID_INPUT,
                "asset",
                f"{holding.asset_id} is held as {held.kind.value} in {held.currency}",
            )
        total = holding.quantity + (held.quantity if held is not None else Decimal(0))
        line = Holding(
            holding.asset_id, holding.kind, holding.currency, total, holding.price, holding.haircut
        )
        self.fx.convert(Decimal(1), holding.currency, account.base_currency)  # refuse an unvalued currency
        await refdata_repo.put_holding(conn, member_id, account_id, line, holding.quantity, now)
        return await self._summary(conn, account)

    async def withdraw(
        self, member_id: str, account_id: str, asset_id: str, quantity: Decimal
    ) -> AccountCollateral:
        """Take ``quantity`` of ``asset_id`` out, unless that leaves the account's margin uncovered."""
        if quantity <= 0:
            raise InputRejected.of(ReasonCode.REF_INVALID_INPUT, "quantity", "withdraw a positive quantity")
        now = self.clock.now()
        async with self.engine.begin() as conn:
            account = await self._account(conn, member_id, account_id)
            await refdata_repo.lock_account(conn, member_id, account_id)
            risk = await refdata_repo.get_risk(conn, member_id, account_id, lock=True)
            current = {h.asset_id: h for h in await refdata_repo.holdings(conn, member_id, account_id)}
            held = current.get(asset_id)
            if held is None or held.quantity < quantity:
                raise InputRejected.of(
                    ReasonCode.REF_INSUFFICIENT_HOLDING,
                    "quantity",
                    f"account {member_id}/{account_id} holds {held.quantity if held else 0} of {asset_id}, "
                    f"cannot withdraw {quantity}",
                )
            line = Holding(
                held.asset_id, held.kind, held.currency, held.quantity - quantity, held.price, held.haircut
            )
            after = [line if h.asset_id == asset_id else h for h in current.values()]
            value_after = self.fx.value(after, account.base_currency)
            reserved = await refdata_repo.reserved(conn, member_id, account_id)
            if value_after < risk.margin + reserved:
                raise NotEligible.of(
                    ReasonCode.RISK_INSUFFICIENT_COLLATERAL,
                    "quantity",
                    f"withdrawal would leave margin uncovered: collateral after withdrawal {value_after:.2f} "
                    f"{account.base_currency} < margin {risk.margin:.2f} + reserved {reserved:.2f}",
                )
            await refdata_repo.put_holding(conn, member_id, account_id, line, -quantity, now)
            return await self._summary(conn, account)

    async def show(self, member_id: str, account_id: str | None = None) -> list[AccountCollateral]:
        async with reading(self.engine) as conn:
            m = await self._member(conn, member_id)
            accounts = (
                m.accounts if account_id is None else (await self._account(conn, member_id, account_id),)
            )
            return [await self._summary(conn, a) for a in accounts]

    async def _summary(self, conn: AsyncConnection, account: Account) -> AccountCollateral:
        holdings = tuple(await refdata_repo.holdings(conn, account.member_id, account.account_id))
        risk = await refdata_repo.get_risk(conn, account.member_id, account.account_id)
        return AccountCollateral(
            member_id=account.member_id,
            account_id=account.account_id,
            base_currency=account.base_currency,
            holdings=holdings,
            collateral_value=self.fx.value(holdings, account.base_currency),
            margin=risk.margin,
            reserved=await refdata_repo.reserved(conn, account.member_id, account.account_id),
        )


async def known_member(conn: AsyncConnection, member_id: str, path: str = "member") -> Member:
    """The member ``member_id``; REF_UNKNOWN_MEMBER at ``path`` if there is none (never an empty answer)."""
    m = await refdata_repo.get_member(conn, member_id)
    if m is None:
        raise InputRejected.of(
            ReasonCode.REF_UNKNOWN_MEMBER,
            path,
            f"no member {member_id!r}: check the id (clearing-gateway participant list)",
        )
    return m


def account_of(member: Member, account_id: str) -> Account:
    """``member``'s account ``account_id``; REF_UNKNOWN_ACCOUNT naming the member and its accounts if none."""
    found = member.account(account_id)
    if found is None:
        raise InputRejected.of(
            ReasonCode.REF_UNKNOWN_ACCOUNT,
            "--account",
            f"member {member.member_id} has no account {account_id!r}; its accounts: "
            f"{', '.join(a.account_id for a in member.accounts)}",
        )
    return found


def security_holding(
    isin: str,
    currency: str,
    quantity: Decimal,
    price: Decimal,
    haircut: Decimal | None,
    eligible: EligibleCollateral,
) -> Holding:
    """A security line to lodge: its ISIN checked, its haircut the one given or ``eligible``'s.

    Refused: not an ISIN (REF_INVALID_ISIN), a currency not in ISO 4217 (REF_UNKNOWN_CURRENCY), a haircut
    outside [0, 1), and a security with no haircut given and none configured (REF_HAIRCUT_REQUIRED).
    """
    parse_isin(isin, "--security")
    parse_currency(currency, "--currency")
    if haircut is None:
        haircut = eligible.haircut_for(isin)
        if haircut is None:
            raise InputRejected.of(
                ReasonCode.REF_HAIRCUT_REQUIRED,
                "--haircut",
                f"{isin} is not in the eligible-collateral table ([collateral.eligible] of the clearing "
                "settings, by ISIN or country prefix): give its haircut with --haircut",
            )
    check_haircut(haircut, "--haircut")
    return Holding(isin, AssetKind.SECURITY, currency, quantity, price, haircut)


def cash(currency: str, amount: Decimal) -> Holding:
    return Holding(currency, AssetKind.CASH, currency, amount)


__all__ = [
    "AccountCollateral",
    "ReferenceData",
    "account_of",
    "cash",
    "known_member",
    "member_to_dict",
    "security_holding",
]
