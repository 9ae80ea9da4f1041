"""The lifecycle rules (gateway/clearing/lifecycle.py): values in, decision out, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.clearing import lifecycle
from gateway.clearing.credit import CreditPosition
from gateway.clearing.lifecycle import LiveTrade
from gateway.clearing.novation import novate, position_terms
from gateway.domain.enums import PositionStatus
from gateway.domain.events import EventKind, EventTerms, Fee, Money, NotionalChange, SideState, TradeRef
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party, PartyTradeId, Trade
from gateway.domain.values import Step
from tests.clearing.conftest import TODAY, aud_irs
from tests.strategies import LEI_A, LEI_B

CCP = Party("CCPLEI0000000000CCP0")
IDS = ("CCP-20260107-00000001-1", "CCP-20260107-00000001-2")
FIRST_COUPON = date(2026, 7, 9)  # the floating leg's first payment (6M from 9 January, TARGET days)


def live(
    trade: Trade | None = None, *, status: PositionStatus = PositionStatus.CLEARED, source: str = "MW"
) -> LiveTrade:
    trade = trade or aud_irs()
    sides = []
    for ccp_id, cleared, (member, party) in zip(
        IDS, novate(trade, CCP, IDS), (("BANKA", LEI_A), ("BANKB", LEI_B)), strict=True
    ):
        notional = position_terms(cleared, party).notional
        sides.append(SideState(ccp_id, 1, member, "HOUSE", party, notional, status, cleared))
    return LiveTrade(source, (sides[0], sides[1]))


def terms(
    outstanding: str = "6000000",
    change: str | None = None,
    *,
    currency: str = "AUD",
    effective: date = date(2026, 1, 12),
    parties: tuple[str, ...] = (LEI_A, LEI_B),
    fee: Fee | None = None,
) -> EventTerms:
    left = Decimal(outstanding)
    moved = Decimal(change) if change is not None else Decimal(10_000_000) - left
    return EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id=IDS[0]),
        parties=parties,
        agreement_date=TODAY,
        effective_date=effective,
        notional=NotionalChange(Money(moved, currency), Money(left, currency)),
        fee=fee,
    )


def check(t: EventTerms, trade: LiveTrade | None = None, **kw: object) -> list[R]:
    trade = trade or live()
    args: dict[str, object] = {
        "source": "MW",
        "source_approved": False,
        "business_date": TODAY,
        "payment_dates": lifecycle.scheduled_payment_dates(trade.sides[0].trade),
    }
    args.update(kw)
    return [i.code for i in lifecycle.check_termination(t, trade, **args)]  # type: ignore[arg-type]


def test_a_partial_and_a_full_termination_of_a_live_trade_pass_every_rule() -> None:
    assert check(terms("6000000")) == []
    assert check(terms("0")) == []
    fee = Fee(LEI_A, LEI_B, Money(Decimal("2500.00"), "AUD"))
    assert check(terms("6000000", fee=fee)) == []


@pytest.mark.parametrize("status", [PositionStatus.TERMINATED, PositionStatus.MATURED])
def test_a_trade_that_is_not_live_is_refused_for_that_alone(status: PositionStatus) -> None:
    # the request is wrong in other ways too: they are not worth telling of a trade that is gone
    bad = terms("12000000", currency="USD", parties=(LEI_A,))
    assert check(bad, live(status=status)) == [R.LIFE_TRADE_NOT_LIVE]


def test_a_trade_past_its_maturity_is_not_live_even_before_end_of_day_marks_it() -> None:
    trade = live()
    assert check(terms(), trade, business_date=trade.sides[0].trade.maturity_date) == []
    after = date(trade.sides[0].trade.maturity_date.year, 12, 31)
    assert check(terms(), trade, business_date=after) == [R.LIFE_TRADE_NOT_LIVE]


def test_another_source_may_act_only_when_it_is_an_approved_source() -> None:
    assert check(terms(), source="SEF1") == [R.LIFE_SOURCE_NOT_APPROVED]
    assert check(terms(), source="SEF1", source_approved=True) == []


def test_both_original_counterparties_must_be_named() -> None:
    assert check(terms(parties=(LEI_A,))) == [R.LIFE_ONE_SIDED]
    assert check(terms(parties=(LEI_B, "OTHER", LEI_A))) == []


def test_negative_amounts_are_refused_each_naming_its_field() -> None:
    fee = Fee(LEI_A, LEI_B, Money(Decimal("-1"), "AUD"))
    issues = lifecycle.check_termination(
        terms("-1", "10000001", fee=fee),
        live(),
        source="MW",
        source_approved=False,
        business_date=TODAY,
        payment_dates=(),
    )
    assert [(i.code, i.path) for i in issues] == [
        (R.LIFE_NEGATIVE_AMOUNT, "outstandingNotionalAmount"),
        (R.LIFE_NEGATIVE_AMOUNT, "payment.paymentAmount"),
    ]


def test_amounts_in_another_currency_are_refused() -> None:
    assert check(terms(currency="USD")) == [R.LIFE_CURRENCY_MISMATCH, R.LIFE_CURRENCY_MISMATCH]


@pytest.mark.parametrize("outstanding", ["10000000", "12000000"])
def test_a_partial_termination_must_leave_less_than_the_live_notional(outstanding: str) -> None:
    assert check(terms(outstanding, "0")) == [R.LIFE_NOTIONAL_NOT_SMALLER]


def test_change_and_outstanding_must_add_up_to_the_live_notional() -> None:
    assert check(terms("6000000", "3000000")) == [R.LIFE_NOTIONAL_INCONSISTENT]
    assert check(terms("0", "9000000")) == [R.LIFE_NOTIONAL_INCONSISTENT]


def test_no_termination_on_a_day_the_trade_pays() -> None:
    assert FIRST_COUPON in lifecycle.scheduled_payment_dates(aud_irs())
    assert check(terms(effective=FIRST_COUPON)) == [R.LIFE_PAYMENT_DATE_BLACKOUT]
    assert check(terms(effective=date(2026, 7, 10))) == []


def test_a_partial_termination_scales_both_sides_and_every_stream() -> None:
    trade = live()
    sides, effect = lifecycle.terminated(trade, terms("6000000"))
    assert (effect.notional_before, effect.notional_after, effect.currency) == (
        Decimal(10_000_000),
        Decimal(6_000_000),
        "AUD",
    )
    for before, after in zip(trade.sides, sides, strict=True):
        assert after.status is PositionStatus.CLEARED
        assert after.notional == Decimal(6_000_000)
        assert [s.notional for s in after.trade.streams] == [Decimal(6_000_000)] * 2
        assert after.trade.parties == before.trade.parties
        assert after.trade.identifiers == before.trade.identifiers


def test_a_full_termination_leaves_no_notional_and_the_last_terms() -> None:
    trade = live()
    sides, effect = lifecycle.terminated(trade, terms("0"))
    assert effect.notional_after == 0
    assert all(s.status is PositionStatus.TERMINATED and s.notional == 0 for s in sides)
    assert [s.trade for s in sides] == [s.trade for s in trade.sides]


def test_resizing_an_amortising_trade_scales_its_steps_in_proportion() -> None:
    base = aud_irs()
    stepped = replace(
        base,
        streams=tuple(
            replace(s, notional_steps=(Step(date(2028, 1, 9), Decimal(5_000_000)),)) for s in base.streams
        ),
    )
    half = lifecycle.resized(stepped, Decimal(5_000_000), Decimal(10_000_000))
    assert [(s.notional, s.notional_steps[0].value) for s in half.streams] == [
        (Decimal(5_000_000), Decimal(2_500_000))
    ] * 2
    with pytest.raises(ValueError, match="positive notional"):
        lifecycle.resized(stepped, Decimal(0), Decimal(10_000_000))


def test_the_part_taken_away_is_valued_from_the_ccps_side() -> None:
    side = live().sides[0]
    assert lifecycle.counterparty_of(side) == CCP.party_id
    assert lifecycle.removed_part(side, Decimal(4_000_000)).notional == Decimal(4_000_000)
    assert lifecycle.removed_part(side, Decimal(10_000_000)) is side.trade


def declear(parties: tuple[str, ...] = (LEI_A, LEI_B)) -> EventTerms:
    return replace(terms(parties=parties), kind=EventKind.DECLEAR, notional=None)


def test_a_declear_needs_a_live_trade_and_both_counterparties_and_nothing_about_amounts() -> None:
    args = {"source": "MW", "source_approved": False, "business_date": TODAY}
    assert lifecycle.check_declear(declear(), live(), **args) == []  # type: ignore[arg-type]
    codes = [i.code for i in lifecycle.check_declear(declear((LEI_B,)), live(), **args)]  # type: ignore[arg-type]
    assert codes == [R.LIFE_ONE_SIDED]
    gone = lifecycle.check_declear(declear(), live(status=PositionStatus.DEREGISTERED), **args)  # type: ignore[arg-type]
    assert [i.code for i in gone] == [R.LIFE_TRADE_NOT_LIVE]
    # a termination that lost its amounts is refused, not guessed
    assert [i.code for i in lifecycle.economics(declear(), live())] == [R.FPML_MISSING_FIELD]


def test_a_declear_takes_the_whole_trade_and_keeps_its_terms() -> None:
    trade = live()
    sides, effect = lifecycle.applied(trade, declear())
    assert [(s.status, s.notional) for s in sides] == [(PositionStatus.DEREGISTERED, Decimal(10_000_000))] * 2
    assert [s.trade for s in sides] == [s.trade for s in trade.sides]
    assert (effect.notional_before, effect.notional_after) == (Decimal(10_000_000), Decimal(0))
    assert lifecycle.ends_the_trade(declear())
    assert lifecycle.removed_notional(declear(), trade.sides[0]) == Decimal(10_000_000)
    assert lifecycle.removed_notional(terms("6000000"), trade.sides[0]) == Decimal(4_000_000)
    assert not lifecycle.ends_the_trade(terms("6000000"))
    assert lifecycle.ends_the_trade(terms("0"))


def test_after_a_declear_the_margin_must_be_covered_by_collateral_alone() -> None:
    position = CreditPosition(
        collateral_value=Decimal(300_000),
        margin=Decimal(0),
        reserved=Decimal(100_000),
        tolerance_limit=Decimal(10_000_000),
        tolerance_used=Decimal(0),
    )
    assert lifecycle.still_covered("BANKA", "HOUSE", position, Decimal(200_000)) is None
    short = lifecycle.still_covered("BANKA", "HOUSE", position, Decimal(250_000))
    assert short is not None
    assert (short.code, short.path) == (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]")
    assert "short by 50000.00" in short.message


def increase(outstanding: str, change: str) -> EventTerms:
    return replace(
        terms(),
        kind=EventKind.INCREASE,
        notional=NotionalChange(Money(Decimal(change), "AUD"), Money(Decimal(outstanding), "AUD")),
    )


def test_an_increase_must_leave_a_larger_notional_that_adds_up() -> None:
    args = {"source": "MW", "source_approved": False, "business_date": TODAY}
    ok = lifecycle.check_increase(increase("15000000", "5000000"), live(), **args)  # type: ignore[arg-type]
    assert ok == []
    same = lifecycle.check_increase(increase("10000000", "0"), live(), **args)  # type: ignore[arg-type]
    assert [i.code for i in same] == [R.LIFE_NOTIONAL_NOT_LARGER]
    off = lifecycle.check_increase(increase("15000000", "4000000"), live(), **args)  # type: ignore[arg-type]
    assert [i.code for i in off] == [R.LIFE_NOTIONAL_INCONSISTENT]
    gone = lifecycle.check_increase(
        increase("15000000", "5000000"), live(status=PositionStatus.TERMINATED), **args
    )  # type: ignore[arg-type]
    assert [i.code for i in gone] == [R.LIFE_TRADE_NOT_LIVE]


def test_an_increase_scales_both_sides_up_and_is_valued_from_the_members_side() -> None:
    trade = live()
    sides, effect = lifecycle.applied(trade, increase("15000000", "5000000"))
    assert [(s.status, s.notional) for s in sides] == [(PositionStatus.CLEARED, Decimal(15_000_000))] * 2
    assert (effect.notional_before, effect.notional_after) == (Decimal(10_000_000), Decimal(15_000_000))
    part, viewer = lifecycle.margin_view(increase("15000000", "5000000"), trade.sides[0])
    assert (part.notional, viewer) == (Decimal(5_000_000), LEI_A)
    part, viewer = lifecycle.margin_view(terms("6000000"), trade.sides[0])
    assert (part.notional, viewer) == (Decimal(4_000_000), CCP.party_id)


def reference_update(*new: PartyTradeId) -> EventTerms:
    return replace(terms(), kind=EventKind.REFERENCE_UPDATE, notional=None, party_trade_ids=new)


def test_a_reference_update_changes_only_its_members_own_id() -> None:
    trade = live()
    args = {"source": "MW", "source_approved": False, "business_date": TODAY}
    update = reference_update(PartyTradeId(LEI_B, "B-NEW", "urn:bank-b"))
    assert lifecycle.check_reference_update(update, trade, **args) == []  # type: ignore[arg-type]
    sides, effect = lifecycle.applied(trade, update)
    assert sides[0] == trade.sides[0]
    b_ids = sides[1].trade.identifiers.party_trade_ids
    assert [p.trade_id for p in b_ids if p.party_id == LEI_B] == ["B-NEW"]
    assert [p.party_id for p in b_ids if p.party_id != LEI_B] == [CCP.party_id]  # the CCP's id is kept
    assert sides[1].trade.streams == trade.sides[1].trade.streams
    assert effect.notional_before == effect.notional_after == Decimal(10_000_000)
    stranger = reference_update(PartyTradeId("SOMEONE", "X-1"))
    issues = lifecycle.check_reference_update(stranger, trade, **args)  # type: ignore[arg-type]
    assert [(i.code, i.path) for i in issues] == [
        (R.ELIG_UNKNOWN_PARTY, "tradeReferenceInformation.partyTradeIdentifier[0]")
    ]
