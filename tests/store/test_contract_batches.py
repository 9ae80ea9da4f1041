"""The store's batch writes a compression run uses, on the memory store, SQLite and PostgreSQL: every side
of the trades named in one read, events stored many at a time with their ids in order, their statuses
appended with each submission's sequence moving on, and sides updated together."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gateway.clearing.ports import ClearingStore
from gateway.domain.clearing import DeliveryChannel, NewEvent
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus
from gateway.domain.events import EventEffect, EventOutcome
from gateway.domain.workflow import EventStatuses, Stage, Transition
from tests.clearing.conftest import TODAY, aud_irs
from tests.store.test_contract import (
    AT,
    TO_A,
    TO_A_FIX,
    _event_request,
    backend,
    cleared_rows,
    new,
    one,
    store,
)

__all__ = ["backend", "store"]


async def _cleared(store: ClearingStore, trade_id: str, prefix: str) -> int:
    row = await one(store, new(aud_irs(trade_id), f"M-{trade_id}"))
    async with store.begin() as uow:
        await uow.statuses.received([(row, AT, [])])
        await uow.cleared.insert([(row.id, r) for r in cleared_rows(row.trade, prefix)], {row.id: TODAY}, AT)
        ids = (f"{prefix}-1", f"{prefix}-2")
        await uow.statuses.write([Transition(row, Stage.CLEARED, AT, AT, TODAY, False, S.CLEARED, (), ids)])
    return row.id


async def test_the_sides_of_the_named_trades_are_read_together(store: ClearingStore) -> None:
    first = await _cleared(store, "T1", "CCP-A")
    second = await _cleared(store, "T2", "CCP-B")
    await _cleared(store, "T3", "CCP-C")  # not named: not read
    async with store.begin() as uow:
        found = await uow.cleared.sides_named(["CCP-B-2", "CCP-A-1", "CCP-NONE", "CCP-A-2"], lock=True)
    assert [(s.submission_id, s.ccp_trade_id, s.member_id) for s in found] == [
        (first, "CCP-A-1", "BANKA"),
        (first, "CCP-A-2", "BANKB"),
        (second, "CCP-B-1", "BANKA"),
        (second, "CCP-B-2", "BANKB"),
    ]


async def test_events_and_their_statuses_are_stored_many_at_a_time(store: ClearingStore) -> None:
    rows = [await _cleared(store, f"T{n}", f"CCP-{n}") for n in (1, 2)]
    async with store.begin() as uow:
        sides = await uow.cleared.sides_named(["CCP-1-1", "CCP-2-1"])
        ended = [
            replace(s, notional=Decimal(0), status=PositionStatus.TERMINATED)
            for s in sides
            if s.member_id == "BANKA"
        ]
        await uow.cleared.update_sides(ended)
        subs = await uow.submissions.get_many(rows)
        new_events = [
            NewEvent(
                _event_request(f"EVT-{n}", 0),
                row_id,
                EventOutcome.CONFIRMED,
                (f"CCP-{n}-1", f"CCP-{n}-2"),
                (sides[2 * (n - 1)].trade, sides[2 * n - 1].trade),
                EventEffect(Decimal(10_000_000), Decimal(0), "AUD"),
                AT,
            )
            for n, row_id in zip((1, 2), rows, strict=True)
        ]
        stored = await uow.events.insert_many(new_events)
        both = [(S.RECEIVED, ()), (S.CLEARED, ())]
        await uow.statuses.record_events(
            [
                EventStatuses(subs[0], stored[0], both, AT, [TO_A, TO_A_FIX]),
                EventStatuses(subs[1], stored[1], both, AT, [TO_A]),
                # a second event on the first trade in the same batch follows its first event's statuses
                EventStatuses(subs[0], stored[0], [(S.CLEARED, ())], AT, []),
            ]
        )
    assert [e.message_id for e in stored] == ["EVT-1", "EVT-2"]
    assert stored[0].note.event_id < stored[1].note.event_id
    async with store.read() as uow:
        assert [await uow.events.find("SEF1", f"EVT-{n}") for n in (1, 2)] == stored
        history = await uow.statuses.history(rows[0])
        other = await uow.statuses.history(rows[1])
        owed = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        fix = await uow.statuses.pending(DeliveryChannel.FIX, 10)
        after = await uow.cleared.sides_named(["CCP-1-1", "CCP-2-1"])
        subs_after = await uow.submissions.get_many(rows)
    assert [(u.sequence, u.status, u.event is not None) for u in history] == [
        (1, S.RECEIVED, False),
        (2, S.CLEARED, False),
        (3, S.RECEIVED, True),
        (4, S.CLEARED, True),
        (5, S.CLEARED, True),
    ]
    assert [u.sequence for u in other] == [1, 2, 3, 4]
    assert [s.last_sequence for s in subs_after] == [5, 4]
    assert [s.status for s in subs_after] == [S.CLEARED, S.CLEARED]  # the trades' own status stays
    assert [(i.recipient, i.update.submission_id, i.update.status) for i in owed] == [
        ("BANKA", subs[0].ref, S.RECEIVED),
        ("BANKA", subs[0].ref, S.CLEARED),
        ("BANKA", subs[1].ref, S.RECEIVED),
        ("BANKA", subs[1].ref, S.CLEARED),
    ]
    assert [(i.recipient, i.update.status) for i in fix] == [
        ("BANKA_FIX", S.RECEIVED),
        ("BANKA_FIX", S.CLEARED),
    ]
    assert [(s.ccp_trade_id, s.status, s.notional) for s in after if s.member_id == "BANKA"] == [
        ("CCP-1-1", PositionStatus.TERMINATED, Decimal(0)),
        ("CCP-2-1", PositionStatus.TERMINATED, Decimal(0)),
    ]
    assert [(s.ccp_trade_id, s.status) for s in after if s.member_id == "BANKB"] == [
        ("CCP-1-2", PositionStatus.CLEARED),
        ("CCP-2-2", PositionStatus.CLEARED),
    ]
