"""The demo's lifecycle phase as planned (pure) and as judged: each event on a trade the day cleared, the
sizes adding up from one event to the next, and a result that is not the intended one caught."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway.domain.events import EventKind
from gateway.domain.messages import LifecycleRequest
from gateway.formats.fpml.read import parse_fpml
from tools.demo.lifecycle_day import (
    AMENDED_RATE_STEP,
    FEE_AUD,
    INCREASE_AUD,
    EventIntent,
    EventOutcome,
    TooFewTrades,
    lifecycle_events,
)
from tools.demo.lifecycle_phase import EventResult, request
from tools.demo.scenario import ab_trades

DAY = date(2026, 1, 7)
AT = datetime(2026, 1, 7, 0, 30, tzinfo=UTC)


def test_each_event_names_a_cleared_trade_by_its_source_id_and_both_of_its_parties() -> None:
    cleared = ab_trades(DAY, 5, seed=3, prefix="MW")
    events = lifecycle_events(cleared, DAY)
    assert [e.intent for e in events] == list(EventIntent)
    by_id = {t.identifiers.source_trade_id: t for t in cleared}
    for e in events:
        assert e.trade is by_id[e.trade_id]
        assert e.terms.trade.source_trade_id == e.trade_id
        assert set(e.terms.parties) == {p.party_id for p in e.trade.parties}
        assert e.terms.effective_date == DAY
    # five trades: each event its own (the amendment the partly terminated one), the refused repeat on the
    # fully terminated one
    assert len({e.trade_id for e in events}) == 5
    full, again = events[4], events[5]
    assert again.trade_id == full.trade_id
    assert (again.expected, again.expected_code) == (EventOutcome.REFUSED, "LIFE_TRADE_NOT_LIVE")
    assert all(e.expected is EventOutcome.CONFIRMED for e in events if e is not again)


def test_the_amounts_add_up_to_the_live_notional_and_the_partial_termination_carries_its_fee() -> None:
    cleared = ab_trades(DAY, 5, seed=3, prefix="MW")
    partial, increase, reference, amendment, full, _, declear = lifecycle_events(cleared, DAY)
    assert partial.terms.notional is not None
    assert partial.terms.fee is not None
    assert partial.terms.notional.change.amount + partial.terms.notional.outstanding.amount == (
        partial.notional_before
    )
    assert 0 < partial.expected_notional_after < partial.notional_before
    assert partial.terms.fee.amount.amount == FEE_AUD
    assert increase.terms.kind is EventKind.INCREASE
    assert increase.expected_notional_after == increase.notional_before + INCREASE_AUD
    assert reference.expected_notional_after == reference.notional_before
    assert [p.party_id for p in reference.terms.party_trade_ids] == [reference.trade.parties[0].party_id]
    # the amendment: the trade's next version on its live notional, its fixed rate 25bp higher
    assert amendment.terms.kind is EventKind.AMENDMENT
    assert amendment.trade is partial.trade
    amended = amendment.terms.amended
    assert amended is not None
    assert amended.identifiers.source_version == amendment.trade.identifiers.source_version + 1
    assert amended.notional == amendment.notional_before == partial.expected_notional_after
    assert amendment.expected_notional_after == amendment.notional_before
    rates = [
        (s.fixed_rate, t.fixed_rate)
        for s, t in zip(amendment.trade.streams, amended.streams, strict=True)
        if s.fixed_rate is not None and t.fixed_rate is not None
    ]
    assert [new - old for old, new in rates] == [AMENDED_RATE_STEP]
    ((old, new),) = rates
    assert amendment.described == f"economic amendment: fixed rate {old:.4%} -> {new:.4%}"
    assert full.terms.notional is not None
    assert full.terms.notional.outstanding.amount == 0
    assert (declear.terms.kind, declear.expected_notional_after) == (EventKind.DECLEAR, Decimal(0))


def test_two_cleared_trades_carry_every_event_each_finding_the_notional_the_one_before_left() -> None:
    first, second = ab_trades(DAY, 2, seed=3, prefix="MW")
    events = lifecycle_events([first, second], DAY)
    on_first = [e for e in events if e.trade is first]
    assert [e.intent for e in on_first] == [
        EventIntent.PARTIAL,
        EventIntent.INCREASE,
        EventIntent.REFERENCE,
        EventIntent.AMENDMENT,
        EventIntent.DECLEAR,
    ]
    for before, after in itertools.pairwise(on_first):
        assert after.notional_before == before.expected_notional_after
    assert {e.trade_id for e in events if e.intent in (EventIntent.FULL, EventIntent.AGAIN)} == {
        second.identifiers.source_trade_id
    }


def test_a_day_with_one_cleared_trade_is_told_it_is_too_few() -> None:
    with pytest.raises(TooFewTrades, match="needs 2 cleared trades"):
        lifecycle_events(ab_trades(DAY, 1, seed=3, prefix="MW"), DAY)


def _result(outcome: EventOutcome, codes: tuple[str, ...], after: Decimal | None, index: int) -> EventResult:
    event = lifecycle_events(ab_trades(DAY, 5, seed=3, prefix="MW"), DAY)[index]
    return EventResult(event, outcome, codes, (), after, None)


def test_an_event_is_as_intended_only_with_its_outcome_its_reason_and_the_notional_it_left() -> None:
    partial = lifecycle_events(ab_trades(DAY, 5, seed=3, prefix="MW"), DAY)[0]
    kept = partial.expected_notional_after
    assert _result(EventOutcome.CONFIRMED, (), kept, 0).intended
    assert not _result(EventOutcome.CONFIRMED, (), kept + 1, 0).intended
    assert not _result(EventOutcome.REFUSED, ("LIFE_NOTIONAL_INCONSISTENT",), None, 0).intended
    assert not _result(EventOutcome.NO_ANSWER, (), None, 0).intended
    assert _result(EventOutcome.REFUSED, ("LIFE_TRADE_NOT_LIVE",), None, 5).intended
    assert not _result(EventOutcome.REFUSED, ("LIFE_ONE_SIDED",), None, 5).intended
    assert not _result(EventOutcome.CONFIRMED, (), Decimal(0), 5).intended


def test_each_request_reads_back_through_the_gateway_as_the_event_it_asks_for() -> None:
    for event in lifecycle_events(ab_trades(DAY, 5, seed=3, prefix="MW"), DAY):
        parsed = parse_fpml(request(event, source="MARKITWIRE", at=AT)).message
        assert isinstance(parsed, LifecycleRequest), event.intent
        assert parsed.correlation_id == event.message_id
        if event.intent is not EventIntent.AMENDMENT:
            assert parsed.terms == event.terms, event.intent
            continue
        # an amendment reads back as the trade as amended (the source's party among the message's parties)
        asked, read = event.terms.amended, parsed.terms.amended
        assert asked is not None
        assert read is not None
        assert (parsed.terms.kind, parsed.terms.trade) == (event.terms.kind, event.terms.trade)
        assert set(event.terms.parties) <= set(parsed.terms.parties)
        assert read.identifiers.source_version == asked.identifiers.source_version
        assert read.notional == asked.notional
        assert [s.fixed_rate for s in read.streams] == [s.fixed_rate for s in asked.streams]


def test_the_demo_is_not_as_intended_when_one_event_is_not() -> None:
    from pathlib import Path

    from tools.demo.runner import DemoReport

    kept = lifecycle_events(ab_trades(DAY, 5, seed=3, prefix="MW"), DAY)[0].expected_notional_after
    good = _result(EventOutcome.CONFIRMED, (), kept, 0)
    refused = _result(EventOutcome.REFUSED, ("LIFE_NOTIONAL_INCONSISTENT",), None, 0)

    def report(*events: EventResult) -> DemoReport:
        return DemoReport(DAY, Path("var/demo"), (), (), Path("positions.csv"), 0, 1.0, events=events)

    assert report(good).as_intended
    assert not report(good, refused).as_intended
