"""The amendment rules (gateway/clearing/amendment.py): values in, decision out, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.clearing import amendment
from gateway.clearing.lifecycle import LiveTrade
from gateway.domain.enums import PositionStatus, ProductClass
from gateway.domain.errors import Issue
from gateway.domain.events import EventKind, EventTerms, TradeRef
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Trade
from tests.clearing.conftest import TODAY, aud_irs
from tests.clearing.test_lifecycle import CCP, IDS, live
from tests.strategies import LEI_A, LEI_B

KEPT = {LEI_A: ("BANKA", "HOUSE"), LEI_B: ("BANKB", "HOUSE")}


def amend(trade: Trade | None, *, parties: tuple[str, ...] = (LEI_A, LEI_B)) -> EventTerms:
    return EventTerms(
        kind=EventKind.AMENDMENT,
        trade=TradeRef(ccp_trade_id=IDS[0]),
        parties=parties,
        agreement_date=TODAY,
        effective_date=date(2026, 1, 12),
        notional=None,
        amended=trade,
    )


def check(
    t: EventTerms,
    trade: LiveTrade | None = None,
    *,
    eligibility: tuple[Issue, ...] = (),
    accounts: dict[str, tuple[str, str]] | None = KEPT,
    source: str = "MW",
) -> list[R]:
    issues = amendment.check_amendment(
        t,
        trade or live(),
        source=source,
        source_approved=False,
        business_date=TODAY,
        eligibility=eligibility,
        accounts=accounts,
    )
    return [i.code for i in issues]


def test_an_amendment_of_the_same_product_between_the_same_members_passes() -> None:
    assert check(amend(aud_irs(notional=Decimal(12_000_000), version=2))) == []


def test_each_failed_rule_names_its_reason() -> None:
    other_class = replace(aud_irs(version=2), product=ProductClass.OIS)
    assert check(amend(other_class)) == [R.LIFE_PRODUCT_CLASS_CHANGED]
    moved = {LEI_A: ("BANKA", "CLIENT1"), LEI_B: ("BANKB", "HOUSE")}
    assert check(amend(aud_irs(version=2)), accounts=moved) == [R.LIFE_MEMBERS_CHANGED]
    stranger = {"OTHERLEI000000000000": ("BANKC", "HOUSE"), LEI_B: ("BANKB", "HOUSE")}
    assert check(amend(aud_irs(version=2)), accounts=stranger) == [R.LIFE_MEMBERS_CHANGED]
    assert check(amend(aud_irs(version=2), parties=(LEI_B,))) == [R.LIFE_ONE_SIDED]
    assert check(amend(aud_irs(version=2)), source="OTHER") == [R.LIFE_SOURCE_NOT_APPROVED]
    scope = Issue(R.ELIG_PRODUCT_NOT_ELIGIBLE, "streams", "not cleared")
    assert check(amend(aud_irs(version=2)), eligibility=(scope,)) == [R.ELIG_PRODUCT_NOT_ELIGIBLE]
    assert check(amend(None)) == [R.FPML_MISSING_FIELD]


def test_a_trade_no_longer_live_is_refused_for_that_alone() -> None:
    gone = live(status=PositionStatus.TERMINATED)
    other_class = replace(aud_irs(version=2), product=ProductClass.OIS)
    assert check(amend(other_class), gone, accounts=None) == [R.LIFE_TRADE_NOT_LIVE]


def test_amended_ids_never_meet_a_registrations_and_grow_with_each_amendment() -> None:
    first = amendment.amended_ids("CCP", TODAY, 1, 1)
    assert first == ("CCP-20260107-00000001-A1-1", "CCP-20260107-00000001-A1-2")
    assert set(first).isdisjoint(IDS)
    assert [amendment.generation(i) for i in (*IDS, *first)] == [0, 0, 1, 1]
    assert amendment.generation(amendment.amended_ids("CCP", TODAY, 1, 12)[1]) == 12
    with pytest.raises(ValueError, match="starts at 1"):
        amendment.amended_ids("CCP", TODAY, 1, 0)


def test_the_pair_an_event_names_is_the_one_with_its_id_else_the_latest() -> None:
    before = live()
    ids = amendment.amended_ids("CCP", TODAY, 1, 1)
    new = amendment.novated_amendment(aud_irs(version=2), CCP, ids, before)
    old, rows, _ = amendment.amended(before, new)
    after = tuple(
        replace(old[0], ccp_trade_id=r.ccp_trade_id, status=PositionStatus.CLEARED, trade=r.trade)
        for r in rows
    )
    sides = [*after, *old]  # in no particular order
    assert amendment.next_ordinal(sides) == 2
    latest = amendment.pair_named(sides, TradeRef(source_trade_id="MW-1"))
    assert latest is not None
    assert [s.ccp_trade_id for s in latest] == list(ids)
    named_old = amendment.pair_named(sides, TradeRef(ccp_trade_id=IDS[1]))
    assert named_old is not None
    assert [s.ccp_trade_id for s in named_old] == list(IDS)
    assert amendment.pair_named(sides, TradeRef(ccp_trade_id="CCP-20260107-00000009-1")) is None


def test_the_effect_terminates_the_old_sides_and_novates_the_new_trade_on_the_new_ids() -> None:
    before = live()
    ids = amendment.amended_ids("CCP", TODAY, 1, 1)
    bigger = aud_irs(notional=Decimal(15_000_000), version=2)
    old, rows, effect = amendment.amended(before, amendment.novated_amendment(bigger, CCP, ids, before))
    assert [(s.status, s.notional) for s in old] == [(PositionStatus.TERMINATED, Decimal(0))] * 2
    assert [(r.ccp_trade_id, r.member_id, r.party_id, r.notional) for r in rows] == [
        (ids[0], "BANKA", LEI_A, Decimal(15_000_000)),
        (ids[1], "BANKB", LEI_B, Decimal(15_000_000)),
    ]
    assert [{p.party_id for p in r.trade.parties} for r in rows] == [
        {LEI_A, CCP.party_id},
        {LEI_B, CCP.party_id},
    ]
    assert (effect.notional_before, effect.notional_after, effect.replaced) == (
        Decimal(10_000_000),
        Decimal(15_000_000),
        IDS,
    )


def test_the_margin_takes_the_old_trade_out_as_the_ccp_holds_it_and_adds_the_new_as_the_member_does() -> None:
    side = live().sides[0]
    new = aud_irs(version=2)
    assert amendment.margin_parts(side, new) == [(side.trade, CCP.party_id), (new, LEI_A)]
