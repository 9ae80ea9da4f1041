"""The CCP book is always flat: for any set of novated trades, the CCP's positions net to zero."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.clearing.novation import novate, position_terms
from gateway.domain import codec
from gateway.domain.trade import Party, Trade
from gateway.store import tables as t
from tests.clearing.conftest import World, aud_irs
from tests.strategies import LEI_A, LEI_B, irs_trades

CCP = Party("CCP", name="Central Counterparty")
Key = tuple[str, str, object, object, object]


def ccp_signed_flows(trades: Iterable[Trade]) -> dict[Key, Decimal]:
    """Per stream shape (currency, index or fixed, dates): what the CCP receives minus what it pays."""
    net: dict[Key, Decimal] = defaultdict(Decimal)
    for trade in trades:
        for s in trade.streams:
            key: Key = (
                s.currency,
                s.floating_index or "FIXED",
                s.fixed_rate,
                s.effective_date,
                s.termination_date,
            )
            if s.payer == CCP.party_id:
                net[key] -= s.notional
            elif s.receiver == CCP.party_id:
                net[key] += s.notional
    return net


@settings(max_examples=40, deadline=None)
@given(st.lists(irs_trades(), min_size=1, max_size=6))
def test_novation_leaves_the_ccp_flat_for_any_trades(trades: list[Trade]) -> None:
    cleared = [c for i, tr in enumerate(trades) for c in novate(tr, CCP, (f"C{i}-1", f"C{i}-2"))]
    assert all(v == 0 for v in ccp_signed_flows(cleared).values())
    for original, (a_ccp, ccp_b) in zip(trades, zip(cleared[0::2], cleared[1::2], strict=True), strict=True):
        a, b = original.parties
        # each member keeps its side of the original economics
        assert position_terms(a_ccp, a.party_id) == position_terms(original, a.party_id)
        assert position_terms(ccp_b, b.party_id) == position_terms(original, b.party_id)
        # and the CCP holds both sides: it pays on one cleared trade what it receives on the other
        assert position_terms(a_ccp, CCP.party_id).direction != position_terms(ccp_b, CCP.party_id).direction


_ids = itertools.count(1)
sizes = st.integers(min_value=1, max_value=500).map(lambda n: Decimal(n) * 1_000_000)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(sizes, st.sampled_from([LEI_A, LEI_B]), st.integers(1, 30)), min_size=1, max_size=4)
)
async def test_stored_ccp_book_nets_to_zero(
    make_world: Callable[..., World], deals: list[tuple[Decimal, str, int]]
) -> None:
    w = make_world()
    if not await w.refdata.list_participants():
        await w.onboard(collateral=Decimal(10) ** 12)
    for notional, payer, years in deals:
        n = next(_ids)  # unique across examples, which share the database
        trade = aud_irs(f"H{n}", notional=notional, fixed_payer=payer, years=years)
        await w.service.submit(w.submission(trade, message_id=f"HM{n}"))
    assert await w.service.drain() == len(deals)
    async with w.engine.connect() as conn:
        rows = (await conn.execute(select(t.cleared_trades.c.trade_json))).scalars().all()
    stored = [codec.loads(r) for r in rows]
    assert len(stored) % 2 == 0
    assert all(v == 0 for v in ccp_signed_flows(stored).values())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trade=irs_trades())
async def test_any_trade_gets_a_reasoned_answer_never_an_internal_error(world: World, trade: Trade) -> None:
    from gateway.domain.enums import ClearingStatusCode as S
    from gateway.domain.reasons import ReasonCode

    n = next(_ids)
    receipt = await world.service.submit(world.submission(trade, message_id=f"P{n}"))
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status in {S.CLEARED, S.REJECTED, S.PENDING, S.RECEIVED}
    assert ReasonCode.INTERNAL_ERROR not in {i.code for i in last.reasons}
    if last.status in {S.REJECTED, S.PENDING}:
        assert last.reasons
    if last.status is S.CLEARED:
        assert last.cleared is not None
