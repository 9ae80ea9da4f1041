"""Two-sided reporting, the pure part: is the counterparty's own report the alleged trade?"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from gateway.clearing.affirmation import counterparty, differences, with_side
from gateway.domain.trade import Party, PartyTradeId, TradeIdentifiers
from tests.clearing.conftest import LEI_C, aud_irs
from tests.strategies import LEI_A, LEI_B


def test_the_same_trade_reported_by_the_other_side_differs_in_nothing() -> None:
    alleged = aud_irs("A-1")
    own = dataclasses.replace(
        aud_irs("B-1"),  # its own trade id, accounts and party trade ids do not matter
        parties=(Party(LEI_A), Party(LEI_B, account="CLIENT1")),
        identifiers=TradeIdentifiers("B-1", 3, uti="X", party_trade_ids=(PartyTradeId(LEI_B, "B-1"),)),
    )
    assert differences(alleged, own) == []


def test_each_differing_term_is_named_with_both_values() -> None:
    alleged = aud_irs("A-1")
    own = aud_irs("B-1", notional=Decimal(20_000_000), years=7)
    found = differences(alleged, own)
    assert "streams[0].notional (10000000 / 20000000)" in found
    assert "streams[1].notional (10000000 / 20000000)" in found
    assert any(d.startswith("streams[0].terminationDate (2031-01-09 / 2033-01-09") for d in found)


def test_the_legs_paid_the_other_way_round_are_a_direction_difference() -> None:
    assert differences(aud_irs("A-1"), aud_irs("B-1", fixed_payer=LEI_B)) == [
        "direction (payer and receiver of the streams)"
    ]


def test_another_party_is_named() -> None:
    other = aud_irs("B-1")
    other = dataclasses.replace(
        other,
        parties=(other.parties[0], Party(LEI_C)),
        streams=tuple(
            dataclasses.replace(
                s,
                payer=LEI_C if s.payer == LEI_B else s.payer,
                receiver=LEI_C if s.receiver == LEI_B else s.receiver,
            )
            for s in other.streams
        ),
    )
    assert differences(aud_irs("A-1"), other) == [f"parties ({LEI_A}, {LEI_C})"]


def test_the_counterparty_gives_its_own_side_only() -> None:
    alleged = dataclasses.replace(
        aud_irs("A-1"),
        parties=(Party(LEI_A, account="HOUSE"), Party(LEI_B)),
        identifiers=TradeIdentifiers(
            "A-1", 1, uti="U", party_trade_ids=(PartyTradeId(LEI_A, "A-1"), PartyTradeId(LEI_B, "GUESS"))
        ),
    )
    assert counterparty(alleged, LEI_A) == Party(LEI_B)
    assert counterparty(alleged, LEI_C) is None
    done = with_side(alleged, LEI_B, "CLIENT1", "B-9")
    assert done.parties == (Party(LEI_A, account="HOUSE"), Party(LEI_B, account="CLIENT1"))
    assert done.identifiers.party_trade_ids == (PartyTradeId(LEI_A, "A-1"), PartyTradeId(LEI_B, "B-9"))
    assert done.identifiers.uti == "U"
