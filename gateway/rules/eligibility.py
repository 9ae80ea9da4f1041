"""Eligibility of a trade's parties: both sides are active clearing members with an account. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.refdata.model import Account, Member


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a trade resolved to the member and account that will face the CCP."""

    party_id: str
    member: Member
    account: Account


def resolve_sides(
    trade: Trade, members: Mapping[str, Member]
) -> tuple[tuple[Side, Side] | None, list[Issue]]:
    """Both sides resolved, or every reason why not. A party with no account named clears in its house account."""
    issues: list[Issue] = []
    sides: list[Side] = []
    for i, party in enumerate(trade.parties):
        path = f"parties[{i}]"
        member = members.get(party.party_id)
        if member is None:
            issues.append(
                Issue(
                    ReasonCode.ELIG_UNKNOWN_PARTY,
                    f"{path}.partyId",
                    f"{party.party_id} is not a clearing member",
                )
            )
            continue
        if not member.is_active:
            issues.append(
                Issue(
                    ReasonCode.ELIG_MEMBER_SUSPENDED,
                    f"{path}.partyId",
                    f"clearing member {member.member_id} ({party.party_id}) is {member.status.value.lower()}",
                )
            )
            continue
        account = member.account(party.account) if party.account else member.house_account
        if account is None:
            issues.append(
                Issue(
                    ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                    f"{path}.account",
                    f"member {member.member_id} has no account {party.account!r}"
                    if party.account
                    else f"member {member.member_id} has no house account",
                )
            )
            continue
        sides.append(Side(party.party_id, member, account))
    if (
        not issues
        and sides[0].member.member_id == sides[1].member.member_id
        and sides[0].account == sides[1].account
    ):
        issues.append(
            Issue(
                ReasonCode.ELIG_UNKNOWN_ACCOUNT,
                "parties[1].account",
                f"both sides are account {sides[0].account.account_id} of {sides[0].member.member_id}",
            )
        )
    if issues:
        return None, issues
    return (sides[0], sides[1]), []


def validate_dates(trade: Trade, business_date: date) -> list[Issue]:
    """Business validation the schema cannot do: a trade cannot be dated after the day it is registered."""
    if trade.trade_date > business_date:
        return [
            Issue(
                ReasonCode.FPML_DATE_ORDER,
                "tradeHeader.tradeDate",
                f"trade date {trade.trade_date} is after the business date {business_date}",
            )
        ]
    return []
