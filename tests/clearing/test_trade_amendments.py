"""Economic amendments of cleared trades through the clearing service, on the memory store, SQLite and
PostgreSQL (the desk and its stores are tests/clearing/test_trade_events.py's).

A confirmed amendment terminates both old sides and novates the amended trade into two new sides with new
CCP trade ids, the accounts' margin following (the linear stand-in: 250,000 per 10m 5y A$ swap and side).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus, ProductClass
from gateway.domain.errors import GatewayError
from gateway.domain.events import EventKind, EventOutcome, EventTerms, TradeRef
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Trade
from gateway.domain.workflow import parse_submission_ref
from gateway.rules.settings import ShortfallAction
from tests.clearing.conftest import TODAY, aud_irs
from tests.clearing.test_trade_events import IM_10M_5Y, OpenDesk, backend, open_desk, termination
from tests.strategies import LEI_A, LEI_B

__all__ = ["backend", "open_desk"]  # the fixtures, shared with the terminations' tests

AMENDED_ID = re.compile(r"^CCP-20260107-\d{8}-A(\d+)-[12]$")


def with_rate(trade: Trade, rate: str) -> Trade:
    """``trade`` with its fixed rate changed."""
    streams = tuple(
        s if s.fixed_rate is None else dataclasses.replace(s, fixed_rate=Decimal(rate)) for s in trade.streams
    )
    return dataclasses.replace(trade, streams=streams)


def amendment(
    trade: Trade, *, ccp_id: str | None = None, parties: tuple[str, ...] = (LEI_A, LEI_B)
) -> EventTerms:
    """The amendment to ``trade``, naming the cleared trade by a CCP trade id or by the source's own id."""
    ref = (
        TradeRef(ccp_trade_id=ccp_id)
        if ccp_id
        else TradeRef(source_trade_id=trade.identifiers.source_trade_id)
    )
    return EventTerms(
        kind=EventKind.AMENDMENT,
        trade=ref,
        parties=parties,
        agreement_date=TODAY,
        effective_date=date(2026, 1, 12),
        notional=None,
        amended=trade,
    )


async def test_an_amended_fixed_rate_replaces_both_sides_under_new_ccp_trade_ids(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    ref, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    updates = await desk.event(amendment(with_rate(aud_irs("T1", version=2), "0.0410")))
    assert [u.status for u in updates] == [S.RECEIVED, S.CLEARED], updates[-1].reasons
    note = updates[-1].event
    assert note is not None
    assert note.effect is not None
    assert note.outcome is EventOutcome.CONFIRMED
    new_a, new_b = note.ccp_trade_ids
    assert [AMENDED_ID.match(i) is not None for i in (new_a, new_b)] == [True, True]
    assert {new_a, new_b}.isdisjoint({a_id, b_id})
    assert note.effect.replaced == (a_id, b_id)
    assert (note.effect.notional_before, note.effect.notional_after) == (Decimal(10_000_000),) * 2
    assert {s.fixed_rate for t in note.cleared for s in t.streams if s.fixed_rate is not None} == {
        Decimal("0.0410")
    }
    # positions show the new trade only, each member its own side; the margin is unchanged (same risk)
    assert await desk.notionals("BANKA") == {new_a: Decimal(10_000_000)}
    assert await desk.notionals("BANKB") == {new_b: Decimal(10_000_000)}
    [position] = await desk.svc.positions("BANKA", None, TODAY)
    assert position.fixed_rate == Decimal("0.0410")
    assert (position.last_event, position.last_event_date) == ("Amendment", TODAY)
    assert position.original_notional == Decimal(10_000_000)
    assert await desk.margin("BANKA") == IM_10M_5Y
    assert await desk.margin("BANKB") == IM_10M_5Y
    row_id = parse_submission_ref(ref)
    assert row_id is not None
    async with desk.store.read() as uow:
        sides = await uow.cleared.sides(row_id)
        stored = await uow.events.find("MARKITWIRE", "EVT-2")
    assert {s.ccp_trade_id: s.status for s in sides} == {
        a_id: PositionStatus.TERMINATED,
        b_id: PositionStatus.TERMINATED,
        new_a: PositionStatus.CLEARED,
        new_b: PositionStatus.CLEARED,
    }
    assert stored is not None
    assert stored.note.effect == note.effect
    # the old ids take no event any more; the new ones do, and a second amendment gets its own ids
    old = await desk.event(termination(a_id, 0))
    assert [i.code for i in old[-1].reasons] == [R.LIFE_TRADE_NOT_LIVE]
    again = await desk.event(amendment(with_rate(aud_irs("T1", version=3), "0.0395"), ccp_id=new_b))
    assert again[-1].status is S.CLEARED, again[-1].reasons
    assert again[-1].event is not None
    assert [AMENDED_ID.match(i).group(1) for i in again[-1].event.ccp_trade_ids] == ["2", "2"]  # type: ignore[union-attr]
    final = await desk.event(termination(again[-1].event.ccp_trade_ids[0], 0))
    assert final[-1].status is S.CLEARED, final[-1].reasons
    assert await desk.notionals("BANKA") == {}
    assert await desk.margin("BANKA") == Decimal(0)


async def test_an_amendment_raising_the_margin_beyond_the_collateral_is_refused_and_changes_nothing(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk(Decimal(300_000), on_shortfall=ShortfallAction.REFUSE)
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    bigger = aud_irs("T1", notional=Decimal(20_000_000), version=2)
    updates = await desk.event(amendment(bigger))
    assert [u.status for u in updates] == [S.RECEIVED, S.REJECTED]
    assert [i.code for i in updates[-1].reasons] == [R.RISK_INSUFFICIENT_COLLATERAL]
    assert "BANKA" in updates[-1].reasons[0].path
    assert await desk.notionals("BANKA") == {a_id: Decimal(10_000_000)}
    assert await desk.notionals("BANKB") == {b_id: Decimal(10_000_000)}
    assert await desk.margin("BANKA") == IM_10M_5Y


async def test_an_amendment_to_another_product_class_or_other_members_is_refused_naming_the_rule(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk()
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    other_class = dataclasses.replace(aud_irs("T1", version=2), product=ProductClass.OIS)
    refused = await desk.event(amendment(other_class))
    assert refused[-1].status is S.REJECTED
    assert R.LIFE_PRODUCT_CLASS_CHANGED in [i.code for i in refused[-1].reasons]
    parties = aud_irs("T1").parties
    moved = dataclasses.replace(
        aud_irs("T1", version=2), parties=(dataclasses.replace(parties[0], account="CLIENT1"), parties[1])
    )
    moved_refusal = await desk.event(amendment(moved))
    assert moved_refusal[-1].status is S.REJECTED
    assert [i.code for i in moved_refusal[-1].reasons] == [R.LIFE_MEMBERS_CHANGED]
    assert "BANKA/HOUSE, not BANKA/CLIENT1" in moved_refusal[-1].reasons[0].message
    one_sided = await desk.event(amendment(with_rate(aud_irs("T1", version=2), "0.05"), parties=(LEI_A,)))
    assert [i.code for i in one_sided[-1].reasons] == [R.LIFE_ONE_SIDED]
    assert await desk.notionals("BANKA") == {a_id: Decimal(10_000_000)}


def by_source(trade_id: str, version: int | None, outstanding: int, *, live: int = 10_000_000) -> EventTerms:
    """A termination naming the trade by the source's own trade id (and version)."""
    return dataclasses.replace(
        termination("unused", outstanding, live=live),
        trade=TradeRef(source_trade_id=trade_id, version=version),
    )


async def test_after_an_amendment_the_source_trade_id_names_the_amended_trade_and_an_old_version_is_refused(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk()
    await desk.clear(aud_irs("T1"))
    amended = await desk.event(amendment(with_rate(aud_irs("T1", version=2), "0.0410")))
    assert amended[-1].event is not None
    new_a, new_b = amended[-1].event.ccp_trade_ids
    # the version the amendment replaced: refused as not live, naming the live version and its ids
    old = await desk.event(by_source("T1", 1, 6_000_000))
    assert [u.status for u in old] == [S.RECEIVED, S.REJECTED]
    [issue] = old[-1].reasons
    assert (issue.code, issue.path) == (R.LIFE_TRADE_NOT_LIVE, "tradeIdentifier.versionedTradeId.version")
    assert "version 1 of source trade T1 was amended" in issue.message
    assert f"version 2, CCP trade ids {new_a} and {new_b}" in issue.message
    assert await desk.notionals("BANKA") == {new_a: Decimal(10_000_000)}
    # the amended version by its number, and the trade id alone, both name the live (amended) trade
    by_version = await desk.event(by_source("T1", 2, 6_000_000))
    assert by_version[-1].status is S.CLEARED, by_version[-1].reasons
    assert await desk.notionals("BANKA") == {new_a: Decimal(6_000_000)}
    by_id = await desk.event(by_source("T1", None, 2_000_000, live=6_000_000))
    assert by_id[-1].status is S.CLEARED, by_id[-1].reasons
    assert await desk.notionals("BANKA") == {new_a: Decimal(2_000_000)}
    # a version the trade never had is no cleared trade
    with pytest.raises(GatewayError) as caught:
        await desk.event(by_source("T1", 7, 1_000_000, live=2_000_000))
    assert caught.value.issues[0].code is R.LIFE_TRADE_UNKNOWN
    assert await desk.notionals("BANKA") == {new_a: Decimal(2_000_000)}
