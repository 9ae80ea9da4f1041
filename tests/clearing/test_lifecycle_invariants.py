"""Invariants of any sequence of terminations, increases and amendments, on the memory store: the CCP book
stays flat, no notional goes below zero, and each member's position is its trade's notional less the changes
of the events confirmed (an amendment replacing the trade's sides by new ones on new CCP trade ids)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.admin.reference import cash
from gateway.clearing.lifecycle import resized
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.clearing import Channel, EventRequest, Submission
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus
from gateway.domain.trade import Trade
from gateway.store.memory import MemoryClearingStore
from tests.clearing.conftest import OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.clearing.test_trade_amendments import amendment, with_rate
from tests.clearing.test_trade_events import increase, termination
from tests.strategies import LEI_A, LEI_B

MILLION = Decimal(1_000_000)
TRADES = (aud_irs("T0"), aud_irs("T1", fixed_payer=LEI_B), aud_irs("T2", years=7))

# (which trade, outstanding notional in millions after the event: below the live one a termination (0: full),
# above it an increase; name it by its B side; an amendment instead: to that notional (at least 1m) and a new
# fixed rate, named by its B side or else by the source's trade id)
steps = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 25), st.booleans(), st.booleans()), max_size=10)


def ccp_flows(trades: list[Trade], ccp: str) -> dict[tuple[object, ...], Decimal]:
    """Per stream shape: what the CCP receives minus what it pays, over the live cleared trades."""
    net: dict[tuple[object, ...], Decimal] = defaultdict(Decimal)
    for trade in trades:
        for s in trade.streams:
            key = (s.currency, s.floating_index, s.fixed_rate, s.effective_date, s.termination_date)
            net[key] += s.notional if s.receiver == ccp else -s.notional if s.payer == ccp else 0
    return net


async def _run(sequence: list[tuple[int, int, bool, bool]]) -> None:
    store = MemoryClearingStore()
    store.add_member(member("BANKA", LEI_A))
    store.add_member(member("BANKB", LEI_B))
    for m in ("BANKA", "BANKB"):
        store.lodge(m, "HOUSE", cash("AUD", Decimal(1_000_000_000)))
    svc = ClearingService(None, LinearMargin(), clock=FixedClock(OPEN_NOW), store=store)
    pairs = []
    for n, trade in enumerate(TRADES):
        receipt = await svc.submit(Submission(Channel.MQTT_FPML, "MW", f"M{n}", OPEN_NOW, trade))
        await svc.drain()
        ids = (await svc.history(receipt.submission_id))[-1].ccp_trade_ids
        pairs.append((ids[0], ids[1]))
    live = {ccp_id: Decimal(10_000_000) for pair in pairs for ccp_id in pair}
    for n, (index, millions, by_b, amend) in enumerate(sequence):
        a_id, b_id = pairs[index]
        outstanding = millions * MILLION
        named = b_id if by_b else a_id
        if amend:
            size = max(outstanding, MILLION)
            trade = TRADES[index]
            amended = with_rate(resized(trade, size, trade.notional), f"0.0{n % 9 + 1}")
            terms = amendment(amended, ccp_id=b_id if by_b else None)
            updates = await svc.submit_event(EventRequest(Channel.MQTT_FPML, "MW", f"E{n}", OPEN_NOW, terms))
            note = updates[-1].event
            if updates[-1].status is S.CLEARED and note is not None:
                live[a_id] = live[b_id] = Decimal(0)
                pairs[index] = note.ccp_trade_ids
                live.update(dict.fromkeys(note.ccp_trade_ids, size))
            continue
        if outstanding > live[a_id] > 0:
            terms = increase(named, int(outstanding), live=int(live[a_id]))
        else:
            terms = termination(named, int(outstanding), live=int(live[a_id]))
        updates = await svc.submit_event(EventRequest(Channel.MQTT_FPML, "MW", f"E{n}", OPEN_NOW, terms))
        if updates[-1].status is S.CLEARED:
            live[a_id] = live[b_id] = outstanding
    live_trades = []
    owner: dict[str, str] = {}
    async with store.read() as uow:
        for a_id, _ in pairs:
            row_id = await uow.cleared.submission_of(a_id)
            assert row_id is not None
            for side in await uow.cleared.sides(row_id):
                owner[side.ccp_trade_id] = side.member_id
                assert side.notional >= 0
                assert side.notional == live[side.ccp_trade_id]
                assert (side.status is PositionStatus.TERMINATED) == (side.notional == 0)
                if side.status is PositionStatus.CLEARED:
                    live_trades.append(side.trade)
                    assert {s.notional for s in side.trade.streams} == {side.notional}
    assert all(v == 0 for v in ccp_flows(live_trades, svc.ccp.party_id).values())
    for m in ("BANKA", "BANKB"):
        positions = {p.trade_id: p.notional for p in await svc.positions(m, None, TODAY)}
        assert positions == {k: v for k, v in live.items() if v > 0 and owner[k] == m}


@settings(max_examples=30, deadline=None)
@given(sequence=steps)
# an amendment by source id, another by the new B side, then a full termination of the amended trade
@example(sequence=[(0, 12, False, True), (0, 3, True, True), (0, 0, True, False), (1, 20, True, False)])
def test_after_any_terminations_increases_and_amendments_the_book_is_flat_and_no_notional_is_negative(
    sequence: list[tuple[int, int, bool, bool]],
) -> None:
    asyncio.run(_run(sequence))
