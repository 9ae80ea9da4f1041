"""Lifecycle events on a cleared trade: the rules, as values in and a decision out. Pure (no I/O).

A de-clear (the trade taken out of clearing, back to the two members bilaterally) is checked by rules 1
and 2 below, then margin: both members' requirement without the trade must stay covered by their
collateral (``still_covered``: excess collateral after the removal not below zero; the tolerance does not
count). Its effect: both sides DEREGISTERED, their notional kept as it was.

A reference update (non-economic: a party's own trade id) is checked by rules 1 and 2, and each new id
must belong to one of the trade's members (ELIG_UNKNOWN_PARTY); no margin is checked. Its effect: that
member's side carries the new id in place of the party's earlier ones.

An increase (a larger notional on the same terms) is checked by rules 1 to 3 (its outstanding notional
must exceed the live one: LIFE_NOTIONAL_NOT_LARGER, and be the live notional plus the change), then margin
as registration checks it: the added part, as each member holds it, must fit in the account's headroom.

A termination (full, or partial as a reduced notional, with an optional fee) is checked in this order,
every failed rule naming its own reason:

1. the trade is live: both member sides CLEARED and not past maturity (LIFE_TRADE_NOT_LIVE);
2. who asks: the trade's own source, or an active approved trade source (LIFE_SOURCE_NOT_APPROVED, the
   registration trust rule of docs/SECURITY.md), naming both original counterparties (LIFE_ONE_SIDED);
3. the economics: no negative amount (LIFE_NEGATIVE_AMOUNT), the notional amounts in the trade's
   currency (LIFE_CURRENCY_MISMATCH), change + outstanding = the live notional
   (LIFE_NOTIONAL_INCONSISTENT), a partial termination leaving less than the live notional
   (LIFE_NOTIONAL_NOT_SMALLER);
4. no termination on a business day on which the trade has a scheduled payment: the trade's schedule
   resolved as the pricer resolves it (``gateway.risk.resolve``; LIFE_PAYMENT_DATE_BLACKOUT);
5. margin: taking the terminated part out of each member's account changes its P&L vector; an increase
   of the requirement beyond excess collateral + tolerance refuses the event (the registration credit
   rule, ``gateway.clearing.credit.decide``, RISK_INSUFFICIENT_COLLATERAL).

The effect: each side's notional becomes the outstanding one (its streams and notional steps scaled by
the same factor), or zero with status TERMINATED for a full termination.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.clearing.credit import CreditPosition
from gateway.clearing.novation import position_terms
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import Issue
from gateway.domain.events import EventEffect, EventKind, EventTerms, SideState
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.domain.values import Step
from gateway.risk.resolve import resolve

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LiveTrade:
    """A cleared trade as an event finds it: who submitted it and its two member sides (A-CCP, CCP-B)."""

    source: str
    sides: tuple[SideState, SideState]

    @property
    def notional(self) -> Decimal:
        return self.sides[0].notional

    @property
    def currency(self) -> str:
        return self.sides[0].trade.currency

    @property
    def member_parties(self) -> tuple[str, str]:
        return self.sides[0].party_id, self.sides[1].party_id


def not_live(live: LiveTrade, business_date: date) -> Issue | None:
    """Why the trade takes no event any more (terminated, de-cleared, matured), or None when it is live."""
    for side in live.sides:
        if side.status is not PositionStatus.CLEARED:
            return Issue(
                ReasonCode.LIFE_TRADE_NOT_LIVE,
                "tradeIdentifier",
                f"cleared trade {side.ccp_trade_id} is {side.status.value.lower()}",
            )
        if side.trade.maturity_date < business_date:
            return Issue(
                ReasonCode.LIFE_TRADE_NOT_LIVE,
                "tradeIdentifier",
                f"cleared trade {side.ccp_trade_id} matured on {side.trade.maturity_date}",
            )
    return None


def who_asks(terms: EventTerms, live: LiveTrade, *, source: str, source_approved: bool) -> list[Issue]:
    """The trade's own source, or an active approved source; naming both original counterparties."""
    issues = []
    if source != live.source and not source_approved:
        issues.append(
            Issue(
                ReasonCode.LIFE_SOURCE_NOT_APPROVED,
                "header.sentBy",
                f"{source} is neither the trade's source ({live.source}) nor an active approved trade source",
            )
        )
    missing = [p for p in live.member_parties if p not in terms.parties]
    if missing:
        issues.append(
            Issue(
                ReasonCode.LIFE_ONE_SIDED,
                "party",
                f"the request does not name {', '.join(missing)}: both original counterparties must agree",
            )
        )
    return issues


def economics(terms: EventTerms, live: LiveTrade) -> list[Issue]:
    """The termination's amounts against the live trade: signs, currency, and that they add up."""
    if terms.notional is None:
        return [
            Issue(
                ReasonCode.FPML_MISSING_FIELD,
                "changeInNotionalAmount",
                "a termination gives the change and the outstanding notional",
            )
        ]
    change, outstanding = terms.notional.change, terms.notional.outstanding
    issues = []
    amounts = [
        ("changeInNotionalAmount", change.amount),
        ("outstandingNotionalAmount", outstanding.amount),
    ]
    if terms.fee is not None:
        amounts.append(("payment.paymentAmount", terms.fee.amount.amount))
    for path, amount in amounts:
        if amount < 0:
            issues.append(Issue(ReasonCode.LIFE_NEGATIVE_AMOUNT, path, f"{amount} is negative"))
    for path, money in (("changeInNotionalAmount", change), ("outstandingNotionalAmount", outstanding)):
        if money.currency != live.currency:
            issues.append(
                Issue(
                    ReasonCode.LIFE_CURRENCY_MISMATCH,
                    f"{path}.currency",
                    f"{money.currency} is not the trade's currency {live.currency}",
                )
            )
    if issues:
        return issues
    if terms.kind is EventKind.INCREASE:
        if outstanding.amount <= live.notional:
            issues.append(
                Issue(
                    ReasonCode.LIFE_NOTIONAL_NOT_LARGER,
                    "outstandingNotionalAmount",
                    f"outstanding notional {outstanding.amount} is not larger than the live notional {live.notional}",
                )
            )
        elif live.notional + change.amount != outstanding.amount:
            issues.append(
                Issue(
                    ReasonCode.LIFE_NOTIONAL_INCONSISTENT,
                    "changeInNotionalAmount",
                    f"live notional {live.notional} + change {change.amount} is not the outstanding "
                    f"{outstanding.amount}",
                )
            )
        return issues
    if outstanding.amount > 0 and outstanding.amount >= live.notional:
        issues.append(
            Issue(
                ReasonCode.LIFE_NOTIONAL_NOT_SMALLER,
                "outstandingNotionalAmount",
                f"outstanding notional {outstanding.amount} is not smaller than the live notional {live.notional}",
            )
        )
    elif change.amount + outstanding.amount != live.notional:
        issues.append(
            Issue(
                ReasonCode.LIFE_NOTIONAL_INCONSISTENT,
                "changeInNotionalAmount",
                f"change {change.amount} + outstanding {outstanding.amount} is not the live notional "
                f"{live.notional}",
            )
        )
    return issues


def scheduled_payment_dates(trade: Trade) -> frozenset[date]:
    """Every date on which ``trade`` pays (coupons and principal), its schedule resolved as the pricer
    resolves it. Raises ``GatewayError`` (RISK_*) for terms the pricer cannot resolve."""
    resolved = resolve(trade)
    ordinals: set[int] = set()
    for leg in resolved.legs:
        ordinals.update(int(d) for d in leg.pay)
        ordinals.update(int(d) for d in leg.principal_dates)
    return frozenset(date.fromordinal(o) for o in ordinals)


def blackout(terms: EventTerms, payment_dates: Iterable[date]) -> Issue | None:
    """A termination effective on a day the trade pays is refused."""
    if terms.effective_date in set(payment_dates):
        return Issue(
            ReasonCode.LIFE_PAYMENT_DATE_BLACKOUT,
            "effectiveDate",
            f"the trade has a scheduled payment on {terms.effective_date}: no termination on that day",
        )
    return None


def check_termination(
    terms: EventTerms,
    live: LiveTrade,
    *,
    source: str,
    source_approved: bool,
    business_date: date,
    payment_dates: Iterable[date],
) -> list[Issue]:
    """Every rule but margin, in order; a trade that is not live is refused for that alone."""
    gone = not_live(live, business_date)
    if gone is not None:
        return [gone]
    issues = who_asks(terms, live, source=source, source_approved=source_approved)
    issues += economics(terms, live)
    dark = blackout(terms, payment_dates)
    if dark is not None:
        issues.append(dark)
    return issues


def check_increase(
    terms: EventTerms, live: LiveTrade, *, source: str, source_approved: bool, business_date: date
) -> list[Issue]:
    """An increase's rules but margin: live, asked for both sides, amounts adding up to a larger notional."""
    gone = not_live(live, business_date)
    if gone is not None:
        return [gone]
    return who_asks(terms, live, source=source, source_approved=source_approved) + economics(terms, live)


def check_reference_update(
    terms: EventTerms, live: LiveTrade, *, source: str, source_approved: bool, business_date: date
) -> list[Issue]:
    """A reference update's rules: live, asked for both sides, every new id a member's of the trade."""
    gone = not_live(live, business_date)
    if gone is not None:
        return [gone]
    issues = who_asks(terms, live, source=source, source_approved=source_approved)
    members = live.member_parties
    for index, pti in enumerate(terms.party_trade_ids):
        if pti.party_id not in members:
            issues.append(
                Issue(
                    ReasonCode.ELIG_UNKNOWN_PARTY,
                    f"tradeReferenceInformation.partyTradeIdentifier[{index}]",
                    f"{pti.party_id} is not a member party of the trade: only its members' own ids change",
                )
            )
    return issues


def check_declear(
    terms: EventTerms, live: LiveTrade, *, source: str, source_approved: bool, business_date: date
) -> list[Issue]:
    """A de-clear's rules but margin: the trade is live, asked by a source that may, for both sides."""
    gone = not_live(live, business_date)
    if gone is not None:
        return [gone]
    return who_asks(terms, live, source=source, source_approved=source_approved)


def still_covered(
    member_id: str, account_id: str, position: CreditPosition, margin_after: Decimal
) -> Issue | None:
    """After a de-clear the account's requirement must be covered by its collateral (the tolerance, a
    registration allowance, does not count)."""
    excess = position.collateral_value - margin_after - position.reserved
    if excess >= 0:
        return None
    return Issue(
        ReasonCode.RISK_INSUFFICIENT_COLLATERAL,
        f"member[{member_id}].account[{account_id}]",
        f"without the trade the initial margin would be {margin_after:.2f}, not covered by collateral "
        f"{position.collateral_value:.2f} (reserved {position.reserved:.2f}); short by {-excess:.2f}",
    )


def removed_notional(terms: EventTerms, side: SideState) -> Decimal:
    """How much of a member's side the event takes out of its account: the change, or all of it."""
    if terms.kind is EventKind.TERMINATION and terms.notional is not None:
        return terms.notional.change.amount
    return side.notional


def margin_view(terms: EventTerms, side: SideState) -> tuple[Trade, str]:
    """What the event adds to the member's account, and from whose side it is valued: an increase adds
    the added part as the member holds it; a termination or de-clear takes a part away, which is adding it
    as the CCP holds it."""
    if terms.kind is EventKind.INCREASE and terms.notional is not None:
        return resized(side.trade, terms.notional.change.amount, side.notional), side.party_id
    return removed_part(side, removed_notional(terms, side)), counterparty_of(side)


def ends_the_trade(terms: EventTerms) -> bool:
    """Whether the event takes the whole trade off the account (a full termination, a de-clear)."""
    return terms.kind is EventKind.DECLEAR or (terms.notional is not None and terms.notional.full)


# ---------------------------------------------------------------- the effect


def resized(trade: Trade, notional_after: Decimal, notional_before: Decimal) -> Trade:
    """``trade`` with every stream's notional (and notional step) scaled by after / before; a stream on
    the reference notional gets exactly ``notional_after``."""
    if notional_after <= 0:
        raise ValueError(f"a resized trade keeps a positive notional, not {notional_after}")

    def scale(value: Decimal) -> Decimal:
        if value == notional_before:
            return notional_after
        return value * notional_after / notional_before

    streams = tuple(
        dataclasses.replace(
            s,
            notional=scale(s.notional),
            notional_steps=tuple(Step(step.date, scale(step.value)) for step in s.notional_steps),
        )
        for s in trade.streams
    )
    return dataclasses.replace(trade, streams=streams)


def removed_part(side: SideState, change: Decimal) -> Trade:
    """The part of a member's cleared trade a termination takes away (the whole trade when it is all of it)."""
    if change >= side.notional:
        return side.trade
    return resized(side.trade, change, side.notional)


def counterparty_of(side: SideState) -> str:
    """The CCP's party in a member's cleared trade: taking the trade out of the member's portfolio adds
    it as the CCP sees it."""
    return next(p.party_id for p in side.trade.parties if p.party_id != side.party_id)


def declared(live: LiveTrade) -> tuple[tuple[SideState, SideState], EventEffect]:
    """Both sides after a de-clear (DEREGISTERED, terms and notional as they were) and its effect: nothing
    of the trade stays cleared."""
    a, b = (dataclasses.replace(side, status=PositionStatus.DEREGISTERED) for side in live.sides)
    return (a, b), EventEffect(live.notional, ZERO, live.currency)


def applied(live: LiveTrade, terms: EventTerms) -> tuple[tuple[SideState, SideState], EventEffect]:
    """Both sides after the event, and its effect."""
    if terms.kind is EventKind.DECLEAR:
        return declared(live)
    if terms.kind is EventKind.INCREASE:
        return increased(live, terms)
    if terms.kind is EventKind.REFERENCE_UPDATE:
        return referenced(live, terms)
    return terminated(live, terms)


def referenced(live: LiveTrade, terms: EventTerms) -> tuple[tuple[SideState, SideState], EventEffect]:
    """Each side with its member's new own ids in place of the earlier ones (economics unchanged)."""
    out = []
    for side in live.sides:
        new = tuple(p for p in terms.party_trade_ids if p.party_id == side.party_id)
        if not new:
            out.append(side)
            continue
        ids = side.trade.identifiers
        kept = tuple(p for p in ids.party_trade_ids if p.party_id != side.party_id)
        trade = dataclasses.replace(
            side.trade, identifiers=dataclasses.replace(ids, party_trade_ids=(*new, *kept))
        )
        out.append(dataclasses.replace(side, trade=trade))
    return (out[0], out[1]), EventEffect(live.notional, live.notional, live.currency)


def increased(live: LiveTrade, terms: EventTerms) -> tuple[tuple[SideState, SideState], EventEffect]:
    """Both sides on the larger notional, and the effect."""
    if terms.notional is None:
        raise ValueError("an increase without its notional change cannot be applied")
    sides = _resized_sides(live, terms.notional.outstanding.amount)
    return sides, EventEffect(live.notional, sides[0].notional, live.currency)


def _resized_sides(live: LiveTrade, after: Decimal) -> tuple[SideState, SideState]:
    out = []
    for side in live.sides:
        trade = resized(side.trade, after, side.notional)
        out.append(
            dataclasses.replace(side, notional=position_terms(trade, side.party_id).notional, trade=trade)
        )
    return out[0], out[1]


def terminated(live: LiveTrade, terms: EventTerms) -> tuple[tuple[SideState, SideState], EventEffect]:
    """Both sides after the termination, and its effect."""
    if terms.notional is None:
        raise ValueError("a termination without its notional change cannot be applied")
    after = terms.notional.outstanding.amount
    if after == 0:
        a, b = (
            dataclasses.replace(side, notional=ZERO, status=PositionStatus.TERMINATED) for side in live.sides
        )
        sides = (a, b)
    else:
        sides = _resized_sides(live, after)
    return sides, EventEffect(live.notional, sides[0].notional, live.currency)
