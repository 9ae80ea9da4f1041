"""Terminations of cleared trades through the clearing service, on the memory store, SQLite and PostgreSQL.

The service decides and stores an event in one unit of work: the cleared sides, both accounts' risk, the
event with its effect and its statuses (acknowledgement, then confirmed or refused) owed to the requesting
source and both members. The margin model is the linear stand-in of tests/clearing/doubles.py: a 10m 5y
A$ swap carries 250,000 of initial margin on each side.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.clearing import Channel, DeliveryChannel, EventRequest, StatusUpdate, Submission
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import GatewayError
from gateway.domain.events import EventKind, EventOutcome, EventTerms, Fee, Money, NotionalChange, TradeRef
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import PartyTradeId, Trade
from gateway.domain.workflow import parse_submission_ref
from gateway.rules.settings import ClearingSettings, ShortfallAction
from gateway.store import create_engine
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from gateway.store.memory import MemoryClearingStore
from gateway.store.tables import metadata
from tests.clearing.conftest import OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B

IM_10M_5Y = Decimal(250_000)


@dataclass
class Desk:
    """The service on one store, with a way to clear trades and send events as the source MARKITWIRE."""

    svc: ClearingService
    store: MemoryClearingStore | SqlClearingStore
    refdata: ReferenceData | None = None  # the admin API lodging collateral (the SQL stores)
    n: int = 0

    async def lodge(self, member_id: str, amount: Decimal) -> None:
        """Lodge cash as the admin API does (``clearing-gateway collateral lodge``)."""
        if self.refdata is None:
            assert isinstance(self.store, MemoryClearingStore)
            self.store.lodge(member_id, "HOUSE", cash("AUD", amount))
        else:
            await self.refdata.lodge(member_id, "HOUSE", cash("AUD", amount))

    async def clear(self, trade: Trade) -> tuple[str, tuple[str, str]]:
        self.n += 1
        sub = Submission(Channel.MQTT_FPML, "MARKITWIRE", f"M-{self.n}", OPEN_NOW, trade, correlation_id="C")
        receipt = await self.svc.submit(sub)
        await self.svc.drain()
        last = (await self.svc.history(receipt.submission_id))[-1]
        assert last.status is S.CLEARED, last.reasons
        return receipt.submission_id, (last.ccp_trade_ids[0], last.ccp_trade_ids[1])

    async def event(
        self, terms: EventTerms, *, source: str = "MARKITWIRE", message_id: str | None = None
    ) -> list[StatusUpdate]:
        self.n += 1
        request = EventRequest(
            Channel.MQTT_FPML,
            source,
            message_id or f"EVT-{self.n}",
            OPEN_NOW,
            terms,
            correlation_id=f"EC-{self.n}",
            raw=b"<requestConfirmation/>",
        )
        return await self.svc.submit_event(request)

    async def notionals(self, member_id: str) -> dict[str, Decimal]:
        return {p.trade_id: p.notional for p in await self.svc.positions(member_id, None, TODAY)}

    async def margin(self, member_id: str) -> Decimal:
        async with self.store.read() as uow:
            return (await uow.accounts.risk(member_id, "HOUSE")).margin


def termination(
    ccp_id: str,
    outstanding: int,
    *,
    live: int = 10_000_000,
    fee: Fee | None = None,
    effective: date = date(2026, 1, 12),
) -> EventTerms:
    return EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id=ccp_id),
        parties=(LEI_A, LEI_B),
        agreement_date=TODAY,
        effective_date=effective,
        notional=NotionalChange(
            Money(Decimal(live - outstanding), "AUD"), Money(Decimal(outstanding), "AUD")
        ),
        fee=fee,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """'memory', or the URL of a migrated, empty database (a copy of the SQLite template, or PostgreSQL)."""
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_session_url")
    return url


@pytest.fixture
async def open_desk(backend: str) -> AsyncIterator[Callable[..., Awaitable[Desk]]]:
    """A factory: ``await open_desk(collateral_a)`` -> a Desk with BANKA and BANKB, B with 100m AUD."""
    engines = []

    async def make(
        collateral_a: Decimal = Decimal(100_000_000), on_shortfall: ShortfallAction = ShortfallAction.PEND
    ) -> Desk:
        clock = FixedClock(OPEN_NOW)
        loaded = ClearingSettings.load()
        settings = replace(loaded, credit=replace(loaded.credit, on_shortfall=on_shortfall))
        a, b = member("BANKA", LEI_A), member("BANKB", LEI_B)
        if backend == "memory":
            memory = MemoryClearingStore()
            for m in (a, b):
                memory.add_member(m)
            memory.lodge("BANKA", "HOUSE", cash("AUD", collateral_a))
            memory.lodge("BANKB", "HOUSE", cash("AUD", Decimal(100_000_000)))
            return Desk(
                ClearingService(None, LinearMargin(), clock=clock, settings=settings, store=memory), memory
            )
        engine = create_engine(backend)
        engines.append(engine)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                for table in reversed(metadata.sorted_tables):
                    await conn.execute(table.delete())
        refdata = ReferenceData(engine, clock=clock)
        for m in (a, b):
            await refdata.add_participant(m)
        await refdata.lodge("BANKA", "HOUSE", cash("AUD", collateral_a))
        await refdata.lodge("BANKB", "HOUSE", cash("AUD", Decimal(100_000_000)))
        store = SqlClearingStore(engine)
        svc = ClearingService(engine, LinearMargin(), clock=clock, settings=settings, store=store)
        return Desk(svc, store, refdata)

    yield make
    for engine in engines:
        await engine.dispose()


OpenDesk = Callable[..., Awaitable[Desk]]


async def test_a_partial_termination_with_a_fee_reduces_both_sides_and_the_margin(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk()
    ref, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    assert await desk.margin("BANKA") == IM_10M_5Y
    fee = Fee(LEI_A, LEI_B, Money(Decimal("1250.50"), "AUD"), date(2026, 1, 14))
    updates = await desk.event(termination(a_id, 6_000_000, fee=fee))
    assert [u.status for u in updates] == [S.RECEIVED, S.CLEARED]
    note = updates[-1].event
    assert note is not None
    assert note.outcome is EventOutcome.CONFIRMED
    assert note.effect is not None
    assert (note.effect.notional_before, note.effect.notional_after) == (
        Decimal(10_000_000),
        Decimal(6_000_000),
    )
    assert [s.notional for tr in note.cleared for s in tr.streams] == [Decimal(6_000_000)] * 4
    # both members' positions are the reduced trade, and each account's margin follows it
    assert await desk.notionals("BANKA") == {a_id: Decimal(6_000_000)}
    assert await desk.notionals("BANKB") == {b_id: Decimal(6_000_000)}
    assert await desk.margin("BANKA") == Decimal(150_000)
    assert await desk.margin("BANKB") == Decimal(150_000)
    # the trade's history tells of the event after its registration; a repeat of the registration request
    # is still answered with the registration's own last status
    history = await desk.svc.history(ref)
    assert [(u.status, u.event is not None) for u in history] == [
        (S.RECEIVED, False),
        (S.CLEARED, False),
        (S.RECEIVED, True),
        (S.CLEARED, True),
    ]
    async with desk.store.read() as uow:
        row_id = parse_submission_ref(ref)
        assert row_id is not None
        latest = await uow.statuses.latest(row_id)
    assert latest.status is S.CLEARED
    assert latest.event is None
    # the event's statuses are owed on MQTT to the source and to both members, in order; never on FIX
    owed = [
        (i.recipient, i.update.status, i.update.in_reply_to)
        for i in await desk.svc.pending(DeliveryChannel.MQTT, 100)
        if i.update.event is not None
    ]
    assert owed == [
        ("MARKITWIRE", S.RECEIVED, "EVT-2"),
        ("BANKA", S.RECEIVED, "EVT-2"),
        ("BANKB", S.RECEIVED, "EVT-2"),
        ("MARKITWIRE", S.CLEARED, "EVT-2"),
        ("BANKA", S.CLEARED, "EVT-2"),
        ("BANKB", S.CLEARED, "EVT-2"),
    ]
    assert all(i.update.event is None for i in await desk.svc.pending(DeliveryChannel.FIX, 100))


async def test_a_full_termination_ends_the_trade_and_a_second_one_is_refused_as_not_live(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk()
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    updates = await desk.event(termination(b_id, 0))
    assert updates[-1].status is S.CLEARED
    assert await desk.notionals("BANKA") == {}
    assert await desk.notionals("BANKB") == {}
    assert await desk.margin("BANKA") == 0
    async with desk.store.read() as uow:
        row_id = await uow.cleared.submission_of(a_id)
        assert row_id is not None
        sides = await uow.cleared.sides(row_id)
    assert [(s.status, s.notional) for s in sides] == [(PositionStatus.TERMINATED, Decimal(0))] * 2
    again = await desk.event(termination(a_id, 0))
    assert [u.status for u in again] == [S.RECEIVED, S.REJECTED]
    assert [i.code for i in again[-1].reasons] == [R.LIFE_TRADE_NOT_LIVE]


async def test_the_source_may_name_the_trade_by_its_own_trade_id(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    named = replace(termination(a_id, 4_000_000), trade=TradeRef(source_trade_id="T1", version=1))
    assert (await desk.event(named))[-1].status is S.CLEARED
    assert await desk.notionals("BANKA") == {a_id: Decimal(4_000_000)}
    # another source's trade id space is its own: the same id names nothing there
    with pytest.raises(GatewayError) as caught:
        await desk.event(named, source="SEF1")
    assert caught.value.code is R.LIFE_TRADE_UNKNOWN


async def test_an_unknown_trade_is_refused_before_anything_is_stored(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    await desk.clear(aud_irs("T1"))
    before = len(await desk.svc.pending(DeliveryChannel.MQTT, 100))
    with pytest.raises(GatewayError) as caught:
        await desk.event(termination("CCP-20260107-99999999-1", 0))
    assert caught.value.code is R.LIFE_TRADE_UNKNOWN
    assert "CCP-20260107-99999999-1" in caught.value.issues[0].message
    assert len(await desk.svc.pending(DeliveryChannel.MQTT, 100)) == before


async def test_a_repeated_event_is_answered_again_and_applied_once(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    first = await desk.event(termination(a_id, 6_000_000), message_id="EVT-X")
    await desk.svc.mark_delivered([i.id for i in await desk.svc.pending(DeliveryChannel.MQTT, 100)])
    again = await desk.event(termination(a_id, 6_000_000), message_id="EVT-X")
    assert [(u.status, u.sequence) for u in again] == [(first[-1].status, first[-1].sequence)]
    assert await desk.notionals("BANKA") == {a_id: Decimal(6_000_000)}
    owed = await desk.svc.pending(DeliveryChannel.MQTT, 100)
    assert [(i.recipient, i.update.status) for i in owed] == [("MARKITWIRE", S.CLEARED)]


async def test_a_termination_that_raises_a_members_margin_beyond_its_headroom_is_refused(
    open_desk: OpenDesk,
) -> None:
    """Bank A's two trades offset; ending one leaves the other's margin, more than A can cover."""
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.REFUSE)
    _, (t1_a, _) = await desk.clear(aud_irs("T1"))
    await desk.clear(aud_irs("T2", fixed_payer=LEI_B))
    assert await desk.margin("BANKA") == 0
    # a pre-trade check on another order takes most of A's headroom (250,000 reserved of 300,000)
    decision = await desk.svc.credit_check("BANKA", "HOUSE", aud_irs("T3"), "ORD-1")
    assert decision.approved
    refused = await desk.event(termination(t1_a, 0))
    assert [u.status for u in refused] == [S.RECEIVED, S.REJECTED]
    assert [(i.code, i.path) for i in refused[-1].reasons] == [
        (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]")
    ]
    assert (await desk.notionals("BANKA"))[t1_a] == Decimal(10_000_000)
    assert await desk.margin("BANKA") == 0
    # once the order's reservation is released, the same termination fits
    await desk.svc.release_credit("BANKA", "ORD-1")
    assert (await desk.event(termination(t1_a, 0)))[-1].status is S.CLEARED
    assert await desk.margin("BANKA") == IM_10M_5Y


async def test_refusals_name_their_rule_and_change_nothing(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    cases = {
        R.LIFE_NOTIONAL_NOT_SMALLER: termination(a_id, 10_000_000),
        R.LIFE_NOTIONAL_INCONSISTENT: replace(
            termination(a_id, 6_000_000),
            notional=NotionalChange(Money(Decimal(1), "AUD"), Money(Decimal(6_000_000), "AUD")),
        ),
        R.LIFE_CURRENCY_MISMATCH: replace(
            termination(a_id, 0),
            notional=NotionalChange(Money(Decimal(10_000_000), "USD"), Money(Decimal(0), "AUD")),
        ),
        R.LIFE_NEGATIVE_AMOUNT: termination(a_id, 0, fee=Fee(LEI_A, LEI_B, Money(Decimal(-5), "AUD"))),
        R.LIFE_PAYMENT_DATE_BLACKOUT: termination(a_id, 0, effective=date(2026, 7, 9)),
        R.LIFE_ONE_SIDED: replace(termination(a_id, 0), parties=(LEI_B,)),
    }
    for code, terms in cases.items():
        updates = await desk.event(terms)
        assert updates[-1].status is S.REJECTED, code
        assert updates[-1].event is not None
        assert updates[-1].event.outcome is EventOutcome.REFUSED
        assert code in [i.code for i in updates[-1].reasons], (code, updates[-1].reasons)
    other = await desk.event(termination(a_id, 0), source="SEF1")
    assert [i.code for i in other[-1].reasons] == [R.LIFE_SOURCE_NOT_APPROVED]
    assert await desk.notionals("BANKA") == {a_id: Decimal(10_000_000)}
    assert await desk.margin("BANKA") == IM_10M_5Y


async def test_every_event_is_a_row_with_its_effect(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    fee = Fee(LEI_A, LEI_B, Money(Decimal("99.99"), "AUD"))
    await desk.event(termination(a_id, 6_000_000, fee=fee), message_id="EVT-ROW")
    await desk.event(termination(a_id, 6_000_000, live=6_000_000), message_id="EVT-REFUSED")
    if isinstance(desk.store, MemoryClearingStore):
        async with desk.store.read() as uow:
            stored = [await uow.events.find("MARKITWIRE", m) for m in ("EVT-ROW", "EVT-REFUSED")]
        assert [s.note.outcome for s in stored if s] == [EventOutcome.CONFIRMED, EventOutcome.REFUSED]
        return
    async with desk.store.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    t.trade_events.c.message_id,
                    t.trade_events.c.kind,
                    t.trade_events.c.outcome,
                    t.trade_events.c.notional_before,
                    t.trade_events.c.notional_after,
                    t.trade_events.c.fee_amount,
                ).order_by(t.trade_events.c.id)
            )
        ).all()
        told = (
            await conn.execute(select(func.count()).where(t.status_history.c.event_id.is_not(None)))
        ).scalar_one()
    assert [tuple(r) for r in rows] == [
        ("EVT-ROW", "Termination", "CONFIRMED", Decimal(10_000_000), Decimal(6_000_000), Decimal("99.99")),
        ("EVT-REFUSED", "Termination", "REFUSED", None, None, None),
    ]
    assert told == 4


def declear(ccp_id: str, parties: tuple[str, ...] = (LEI_A, LEI_B)) -> EventTerms:
    return replace(
        termination(ccp_id, 0), kind=EventKind.DECLEAR, notional=None, parties=parties, reason="Bilateral"
    )


async def test_a_declear_takes_the_trade_out_of_clearing_for_both_members(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    updates = await desk.event(declear(b_id))
    assert [u.status for u in updates] == [S.RECEIVED, S.CLEARED]
    note = updates[-1].event
    assert note is not None
    assert note.effect is not None
    assert (note.effect.notional_before, note.effect.notional_after) == (Decimal(10_000_000), Decimal(0))
    async with desk.store.read() as uow:
        row_id = await uow.cleared.submission_of(a_id)
        assert row_id is not None
        sides = await uow.cleared.sides(row_id)
    assert [(s.status, s.notional) for s in sides] == [(PositionStatus.DEREGISTERED, Decimal(10_000_000))] * 2
    assert await desk.notionals("BANKA") == {}
    assert await desk.notionals("BANKB") == {}
    assert await desk.margin("BANKA") == 0
    assert await desk.margin("BANKB") == 0
    again = await desk.event(termination(a_id, 0))
    assert [i.code for i in again[-1].reasons] == [R.LIFE_TRADE_NOT_LIVE]


async def test_a_declear_is_refused_when_a_members_margin_would_not_stay_covered(open_desk: OpenDesk) -> None:
    """Bank A's two trades offset; without one, the other's margin is more than A's free collateral. A
    de-clear never waits for collateral, though the settings let other events wait."""
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.PEND)
    _, (t1_a, _) = await desk.clear(aud_irs("T1"))
    await desk.clear(aud_irs("T2", fixed_payer=LEI_B))
    assert (await desk.svc.credit_check("BANKA", "HOUSE", aud_irs("T3"), "ORD-1")).approved
    refused = await desk.event(declear(t1_a))
    assert [(i.code, i.path) for i in refused[-1].reasons] == [
        (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]")
    ]
    assert (await desk.notionals("BANKA"))[t1_a] == Decimal(10_000_000)
    await desk.svc.release_credit("BANKA", "ORD-1")
    assert (await desk.event(declear(t1_a)))[-1].status is S.CLEARED
    assert await desk.margin("BANKA") == IM_10M_5Y
    # once out of clearing the trade takes no more events
    after = await desk.event(declear(t1_a))
    assert [i.code for i in after[-1].reasons] == [R.LIFE_TRADE_NOT_LIVE]


def increase(ccp_id: str, outstanding: int, live: int = 10_000_000) -> EventTerms:
    return replace(
        termination(ccp_id, 0),
        kind=EventKind.INCREASE,
        notional=NotionalChange(
            Money(Decimal(outstanding - live), "AUD"), Money(Decimal(outstanding), "AUD")
        ),
    )


async def test_an_increase_raises_both_sides_and_is_credit_checked_like_registration(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.REFUSE)
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    # another 10m would need another 250,000 of Bank A's margin: 50,000 of headroom is left
    refused = await desk.event(increase(a_id, 20_000_000))
    assert [(i.code, i.path) for i in refused[-1].reasons] == [
        (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]")
    ]
    assert await desk.notionals("BANKA") == {a_id: Decimal(10_000_000)}
    # 2m more needs 50,000: it fits exactly
    confirmed = await desk.event(increase(b_id, 12_000_000))
    assert confirmed[-1].status is S.CLEARED
    assert await desk.notionals("BANKA") == {a_id: Decimal(12_000_000)}
    assert await desk.notionals("BANKB") == {b_id: Decimal(12_000_000)}
    assert await desk.margin("BANKA") == Decimal(300_000)
    not_larger = await desk.event(increase(a_id, 12_000_000, live=12_000_000))
    assert [i.code for i in not_larger[-1].reasons] == [R.LIFE_NOTIONAL_NOT_LARGER]


async def test_a_reference_update_gives_a_member_its_new_id_without_a_margin_check(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk(collateral_a=Decimal(250_000))
    _, (a_id, _) = await desk.clear(aud_irs("T1"))
    # Bank A has no headroom left: a non-economic change is not credit checked
    update = replace(
        termination(a_id, 0),
        kind=EventKind.REFERENCE_UPDATE,
        notional=None,
        party_trade_ids=(PartyTradeId(LEI_A, "A-BOOK-77", "urn:bank-a:book"),),
    )
    confirmed = await desk.event(update)
    assert confirmed[-1].status is S.CLEARED
    async with desk.store.read() as uow:
        row_id = await uow.cleared.submission_of(a_id)
        assert row_id is not None
        sides = await uow.cleared.sides(row_id)
    own = [p.trade_id for p in sides[0].trade.identifiers.party_trade_ids if p.party_id == LEI_A]
    assert own == ["A-BOOK-77"]
    assert [s.notional for s in sides] == [Decimal(10_000_000)] * 2
    assert await desk.margin("BANKA") == IM_10M_5Y
    stranger = replace(update, party_trade_ids=(PartyTradeId("5493001KJTIIGC8Y1R12", "C-1"),))
    refused = await desk.event(stranger)
    assert [i.code for i in refused[-1].reasons] == [R.ELIG_UNKNOWN_PARTY]


async def _short_termination(desk: Desk) -> tuple[str, str, list[StatusUpdate]]:
    """Bank A's two offsetting trades, most of its headroom reserved, then a full termination of one:
    A's requirement would rise by 250,000 with 50,000 of headroom left. (submission ref, A's id, statuses)"""
    ref, (t1_a, _) = await desk.clear(aud_irs("T1"))
    await desk.clear(aud_irs("T2", fixed_payer=LEI_B))
    assert (await desk.svc.credit_check("BANKA", "HOUSE", aud_irs("T3"), "ORD-1")).approved
    return ref, t1_a, await desk.event(termination(t1_a, 0), message_id="EVT-SHORT")


async def _event_statuses(desk: Desk, ref: str) -> list[tuple[S, list[R]]]:
    return [
        (u.status, [i.code for i in u.reasons]) for u in await desk.svc.history(ref) if u.event is not None
    ]


async def test_a_termination_short_of_collateral_waits_and_clears_once_collateral_is_lodged(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.PEND)
    ref, t1_a, waiting = await _short_termination(desk)
    assert [u.status for u in waiting] == [S.RECEIVED, S.PENDING]
    assert [(i.code, i.path) for i in waiting[-1].reasons] == [
        (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]")
    ]
    assert waiting[-1].event is not None
    assert waiting[-1].event.outcome is EventOutcome.PENDING
    # nothing changed while it waits; a pass without a lodgement leaves it waiting, without a new status
    assert (await desk.notionals("BANKA"))[t1_a] == Decimal(10_000_000)
    assert await desk.margin("BANKA") == 0
    await desk.svc.drain()
    assert await _event_statuses(desk, ref) == [
        (S.RECEIVED, []),
        (S.PENDING, [R.RISK_INSUFFICIENT_COLLATERAL]),
    ]
    # a lodgement too small leaves it waiting still
    await desk.lodge("BANKA", Decimal(100_000))
    await desk.svc.drain()
    assert len(await _event_statuses(desk, ref)) == 2
    await desk.svc.mark_delivered([i.id for i in await desk.svc.pending(DeliveryChannel.MQTT, 100)])
    # enough collateral: the next pass confirms it, to the source and both members
    await desk.lodge("BANKA", Decimal(200_000))
    await desk.svc.drain()
    assert await _event_statuses(desk, ref) == [
        (S.RECEIVED, []),
        (S.PENDING, [R.RISK_INSUFFICIENT_COLLATERAL]),
        (S.CLEARED, []),
    ]
    assert t1_a not in await desk.notionals("BANKA")
    assert await desk.margin("BANKA") == IM_10M_5Y
    owed = [(i.recipient, i.update.status) for i in await desk.svc.pending(DeliveryChannel.MQTT, 100)]
    assert sorted(owed) == [("BANKA", S.CLEARED), ("BANKB", S.CLEARED), ("MARKITWIRE", S.CLEARED)]
    async with desk.store.read() as uow:
        stored = await uow.events.find("MARKITWIRE", "EVT-SHORT")
        waiting_now = await uow.events.pending(flagged_only=False)
    assert stored is not None
    assert stored.note.outcome is EventOutcome.CONFIRMED
    assert stored.note.effect is not None
    assert stored.note.effect.notional_after == 0
    assert waiting_now == []
    # the same request again is answered with its last status, and changes nothing
    again = await desk.event(termination(t1_a, 0), message_id="EVT-SHORT")
    assert [u.status for u in again] == [S.CLEARED]


async def test_a_termination_still_short_at_end_of_day_is_refused_and_changes_nothing(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.PEND)
    ref, t1_a, waiting = await _short_termination(desk)
    assert waiting[-1].status is S.PENDING
    report = await desk.svc.end_of_day(TODAY)
    assert report.failures == ()
    assert any(r.startswith("event ") for r in report.refused)
    statuses = await _event_statuses(desk, ref)
    assert statuses[-1] == (S.REJECTED, [R.LIFE_NOT_REGISTERED_BY_EOD, R.RISK_INSUFFICIENT_COLLATERAL])
    assert (await desk.notionals("BANKA"))[t1_a] == Decimal(10_000_000)
    async with desk.store.read() as uow:
        stored = await uow.events.find("MARKITWIRE", "EVT-SHORT")
    assert stored is not None
    assert stored.note.outcome is EventOutcome.REFUSED
    assert stored.note.effect is None
    # decided once: a lodgement afterwards does not bring it back
    await desk.lodge("BANKA", Decimal(1_000_000))
    await desk.svc.drain()
    assert len(await _event_statuses(desk, ref)) == len(statuses)


async def test_an_increase_short_of_collateral_waits_when_the_settings_say_so(open_desk: OpenDesk) -> None:
    desk = await open_desk(collateral_a=Decimal(300_000), on_shortfall=ShortfallAction.PEND)
    ref, (a_id, _) = await desk.clear(aud_irs("T1"))
    waiting = await desk.event(increase(a_id, 20_000_000))
    assert [u.status for u in waiting] == [S.RECEIVED, S.PENDING]
    assert await desk.notionals("BANKA") == {a_id: Decimal(10_000_000)}
    await desk.lodge("BANKA", Decimal(200_000))
    await desk.svc.drain()
    assert (await _event_statuses(desk, ref))[-1] == (S.CLEARED, [])
    assert await desk.notionals("BANKA") == {a_id: Decimal(20_000_000)}
    assert await desk.margin("BANKA") == 2 * IM_10M_5Y


async def test_positions_carry_each_sides_last_event_its_date_and_the_original_notional(
    open_desk: OpenDesk,
) -> None:
    desk = await open_desk()
    _, (a_id, b_id) = await desk.clear(aud_irs("T1"))
    _, (k_id, _) = await desk.clear(aud_irs("T2"))
    assert (await desk.event(termination(a_id, 6_000_000)))[-1].status is S.CLEARED
    shown = {p.trade_id: p for m in ("BANKA", "BANKB") for p in await desk.svc.positions(m, None, TODAY)}
    for ccp_id in (a_id, b_id):
        p = shown[ccp_id]
        assert (p.notional, p.original_notional) == (Decimal(6_000_000), Decimal(10_000_000))
        assert (p.last_event, p.last_event_date) == ("Termination", TODAY)
    untouched = shown[k_id]
    assert (untouched.last_event, untouched.last_event_date) == (None, None)
    assert untouched.original_notional == Decimal(10_000_000)
    # a refused event leaves no mark
    refused = await desk.event(termination(k_id, 10_000_000))
    assert refused[-1].status is S.REJECTED
    assert {p.trade_id: p.last_event for p in await desk.svc.positions("BANKA", None, TODAY)}[k_id] is None
