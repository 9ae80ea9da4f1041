"""An economic amendment of a cleared trade: the rules, the new CCP trade ids and the effect. Pure (no I/O).

An amendment (FpML ``amendment``: the trade as amended, naming the cleared trade) is checked in this order,
every failed rule naming its own reason:

1. the trade is live, and the request comes from a source that may send its events, naming both original
   counterparties (``lifecycle.not_live``, ``lifecycle.who_asks``);
2. the amended trade is eligible as a registration checks it (``gateway.rules``: its dates, the product
   table's scope, both parties members with their accounts) and keeps the cleared trade's product class
   (LIFE_PRODUCT_CLASS_CHANGED) and both members in the same accounts (LIFE_MEMBERS_CHANGED);
3. margin: on each member's account the old cleared trade is taken out and the new one added; an increase
   of the requirement beyond excess collateral + tolerance refuses it (RISK_INSUFFICIENT_COLLATERAL).

The effect: the old sides TERMINATED (notional zero), the amended trade novated into two new sides whose
CCP trade ids derive from the submission and the amendment's place among the trade's amendments
(``{prefix}-{business date}-{submission:08d}-A{n}-1`` and ``-2``): a registration's ids end in ``-1`` or
``-2`` right after the submission number, so the two never meet, and ``n`` grows under the trade's lock.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from gateway.clearing.lifecycle import LiveTrade, not_live, who_asks
from gateway.clearing.novation import cleared_row, novate, position_terms
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import Issue
from gateway.domain.events import EventEffect, EventTerms, SideState, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import ClearedRow

ZERO = Decimal(0)
_AMENDED = re.compile(r"-A(\d+)-[12]$")


def generation(ccp_trade_id: str) -> int:
    """0 for the sides a registration novated, ``n`` for the sides of the trade's n-th amendment."""
    found = _AMENDED.search(ccp_trade_id)
    return 0 if found is None else int(found.group(1))


def pairs(sides: Iterable[SideState]) -> list[tuple[SideState, SideState]]:
    """A submission's cleared sides as pairs (A-CCP, CCP-B), the registration's first, then each amendment's."""
    by_generation: dict[int, list[SideState]] = {}
    for side in sorted(sides, key=lambda s: s.ccp_trade_id):
        by_generation.setdefault(generation(side.ccp_trade_id), []).append(side)
    return [(g[0], g[1]) for _, g in sorted(by_generation.items()) if len(g) == 2]


def pair_named(sides: Iterable[SideState], ref: TradeRef) -> tuple[SideState, SideState] | None:
    """The pair an event names: the one holding the CCP trade id given, else the latest (the live one)."""
    found = pairs(sides)
    if ref.ccp_trade_id is not None:
        return next((p for p in found if ref.ccp_trade_id in (p[0].ccp_trade_id, p[1].ccp_trade_id)), None)
    return found[-1] if found else None


def pair_of_version(
    found: Sequence[tuple[SideState, SideState]], versions: Sequence[int], ref: TradeRef
) -> tuple[tuple[SideState, SideState] | None, Issue | None]:
    """The pair the source's trade id and version name (``found``: the trade's pairs, the registration's
    first, then each amendment's; ``versions``: the source's version of each), and, when that version was
    amended since, why it takes no event: the live trade is the latest amendment's. (None, None): no pair
    has that version."""
    named = [i for i, v in enumerate(versions[: len(found)]) if v == ref.version]
    if not named:
        return None, None
    pair = found[named[-1]]
    if named[-1] == len(found) - 1:
        return pair, None
    live = found[-1]
    return pair, Issue(
        ReasonCode.LIFE_TRADE_NOT_LIVE,
        "tradeIdentifier.versionedTradeId.version",
        f"version {ref.version} of source trade {ref.source_trade_id} was amended: the live trade is version "
        f"{versions[len(found) - 1]}, CCP trade ids {live[0].ccp_trade_id} and {live[1].ccp_trade_id}",
    )


def amended_ids(prefix: str, business_date: date, submission_id: int, ordinal: int) -> tuple[str, str]:
    """The CCP trade ids of the trade's ``ordinal``-th amendment (1-based)."""
    if ordinal < 1:
        raise ValueError(f"an amendment's ordinal starts at 1, not {ordinal}")
    stem = f"{prefix}-{business_date:%Y%m%d}-{submission_id:08d}-A{ordinal}"
    return f"{stem}-1", f"{stem}-2"


def next_ordinal(sides: Iterable[SideState]) -> int:
    """The ordinal the trade's next amendment takes."""
    return max((generation(s.ccp_trade_id) for s in sides), default=0) + 1


def check_amendment(
    terms: EventTerms,
    live: LiveTrade,
    *,
    source: str,
    source_approved: bool,
    business_date: date,
    eligibility: Sequence[Issue],
    accounts: Mapping[str, tuple[str, str]] | None,
) -> list[Issue]:
    """Every rule but margin. ``eligibility``: the registration rules' issues with the amended trade;
    ``accounts``: its parties resolved to (member, account), None when they could not be."""
    gone = not_live(live, business_date)
    if gone is not None:
        return [gone]
    issues = who_asks(terms, live, source=source, source_approved=source_approved)
    if terms.amended is None:
        return [
            *issues,
            Issue(
                ReasonCode.FPML_MISSING_FIELD, "amendment.trade", "an amendment carries the trade as amended"
            ),
        ]
    issues += eligibility
    before = live.sides[0].trade.product
    if terms.amended.product is not before:
        issues.append(
            Issue(
                ReasonCode.LIFE_PRODUCT_CLASS_CHANGED,
                "amendment.trade.product",
                f"the cleared trade is {before.value}; an amendment may not make it {terms.amended.product.value}",
            )
        )
    if accounts is not None:
        issues += members_kept(live, accounts)
    return issues


def members_kept(live: LiveTrade, accounts: Mapping[str, tuple[str, str]]) -> list[Issue]:
    """Both sides stay with the same member parties, members and accounts."""
    issues = []
    for index, (party_id, (member_id, account_id)) in enumerate(accounts.items()):
        side = next((s for s in live.sides if s.party_id == party_id), None)
        if side is None:
            issues.append(
                Issue(
                    ReasonCode.LIFE_MEMBERS_CHANGED,
                    f"amendment.trade.parties[{index}]",
                    f"{party_id} is not a party of the cleared trade ({' and '.join(live.member_parties)})",
                )
            )
        elif (side.member_id, side.account_id) != (member_id, account_id):
            issues.append(
                Issue(
                    ReasonCode.LIFE_MEMBERS_CHANGED,
                    f"amendment.trade.parties[{index}].account",
                    f"{party_id} clears the trade in {side.member_id}/{side.account_id}, "
                    f"not {member_id}/{account_id}",
                )
            )
    return issues


def novated_amendment(amended: Trade, ccp: Party, ids: tuple[str, str], live: LiveTrade) -> dict[str, Trade]:
    """The amended trade's two cleared trades, by the member party each is with (ids in the amended trade's
    party order, as a registration gives them)."""
    cleared = novate(amended, ccp, ids)
    return {party.party_id: trade for party, trade in zip(amended.parties, cleared, strict=True)}


def margin_parts(side: SideState, new: Trade) -> list[tuple[Trade, str]]:
    """What the amendment does to the member's account, each part with whose view it is valued: the old
    cleared trade taken out (added as the CCP holds it), then the new one added as the member holds it."""
    ccp = next(p.party_id for p in side.trade.parties if p.party_id != side.party_id)
    return [(side.trade, ccp), (new, side.party_id)]


def amended(
    live: LiveTrade, new: Mapping[str, Trade]
) -> tuple[tuple[SideState, SideState], list[ClearedRow], EventEffect]:
    """The old sides TERMINATED, the new sides' rows (A-CCP first, as their ids), and the effect."""
    old = tuple(dataclasses.replace(s, notional=ZERO, status=PositionStatus.TERMINATED) for s in live.sides)
    rows = []
    for side in live.sides:
        trade = new[side.party_id]  # a cleared trade's own id is its CCP trade id
        rows.append(
            cleared_row(
                trade, trade.identifiers.source_trade_id, side.member_id, side.account_id, side.party_id
            )
        )
    rows.sort(key=lambda r: r.ccp_trade_id)
    first = position_terms(new[live.sides[0].party_id], live.sides[0].party_id)
    effect = EventEffect(
        live.notional,
        first.notional,
        first.currency,
        replaced=(live.sides[0].ccp_trade_id, live.sides[1].ccp_trade_id),
    )
    return (old[0], old[1]), rows, effect
