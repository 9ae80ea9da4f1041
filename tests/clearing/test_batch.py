"""The clearing pass decides due submissions in batches: one transaction per batch, each trade on its own.

A trade that fails its own decision is refused alone; a batch that cannot be written is rolled back whole
and taken again one trade at a time; a crash in the middle of the writes leaves nothing of the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import OperationalError

from gateway.clearing import clearing_pass
from gateway.clearing.credit import MarginImpact
from gateway.domain.enums import AccountType
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Trade
from gateway.domain.workflow import ClearedRow, Stage, parse_submission_ref
from gateway.store import cleared_repo
from gateway.store import tables as t
from tests.clearing.conftest import World, aud_irs
from tests.clearing.doubles import LinearMargin


async def rows(w: World, table: Table) -> int:
    async with w.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def stages(w: World) -> dict[str, str]:
    async with w.engine.connect() as conn:
        result = await conn.execute(select(t.submissions.c.source_trade_id, t.submissions.c.stage))
        return {r.source_trade_id: r.stage for r in result}


async def last_status(w: World, submission_id: str) -> tuple[S, list[R]]:
    last = (await w.service.history(submission_id))[-1]
    return last.status, [i.code for i in last.reasons]


class FaultyMargin(LinearMargin):
    """A margin model with a defect on one trade id (a bug, not an unpriceable trade)."""

    def __init__(self, faulty: str) -> None:
        super().__init__()
        self.faulty = faulty

    def margin_impact(
        self,
        trade: Trade,
        party_id: str,
        base_currency: str,
        pnl_before: bytes | None,
        as_of: date,
        account_type: AccountType = AccountType.HOUSE,
    ) -> MarginImpact:
        if trade.identifiers.source_trade_id == self.faulty:
            raise ZeroDivisionError("defect in the margin model")
        return super().margin_impact(trade, party_id, base_currency, pnl_before, as_of, account_type)


def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the pass falls back to one trade per transaction."""

    async def forbidden(_service: object, row_id: int) -> bool:
        raise AssertionError(f"submission {row_id} was taken alone: the batch did not commit")

    monkeypatch.setattr(clearing_pass, "process_one", forbidden)


async def test_a_bad_trade_in_a_batch_is_refused_alone_and_the_others_clear(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.service.credit = FaultyMargin("T3")
    receipts = [await world.service.submit(world.submission(aud_irs(f"T{n}"))) for n in range(1, 6)]
    bad_currency = await world.service.submit(world.submission(aud_irs("T6", index="USD-LIBOR-BBA")))
    no_fallback(monkeypatch)

    assert await world.service.drain() == 6

    outcomes = [await last_status(world, r.submission_id) for r in receipts]
    assert outcomes[2] == (S.REJECTED, [R.INTERNAL_ERROR])
    assert [o for i, o in enumerate(outcomes) if i != 2] == [(S.CLEARED, [])] * 4
    status, codes = await last_status(world, bad_currency.submission_id)
    assert status is S.REJECTED
    assert codes
    assert R.INTERNAL_ERROR not in codes
    assert await rows(world, t.cleared_trades) == 8
    async with world.engine.connect() as conn:
        risk = {
            (r.member_id, r.account_id): r.trade_count for r in await conn.execute(select(t.account_risk))
        }
    assert risk == {("BANKA", "HOUSE"): 4, ("BANKB", "HOUSE"): 4}  # the refused trade left no margin


async def test_trades_on_one_account_compound_within_a_batch(
    make_world, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    await w.onboard(collateral=Decimal(300_000))
    # 10m x 5y: PV01 5,000, worst loss 250,000 each: the collateral covers one trade, not two
    first = await w.service.submit(w.submission(aud_irs("T1")))
    second = await w.service.submit(w.submission(aud_irs("T2")))
    no_fallback(monkeypatch)

    assert await w.service.drain() == 2

    assert await last_status(w, first.submission_id) == (S.CLEARED, [])
    status, codes = await last_status(w, second.submission_id)
    assert status is S.PENDING
    assert codes == [R.RISK_INSUFFICIENT_COLLATERAL, R.RISK_INSUFFICIENT_COLLATERAL]
    async with w.engine.connect() as conn:
        risk = {
            (r.member_id, r.account_id): (r.margin, r.trade_count)
            for r in await conn.execute(select(t.account_risk))
        }
    assert risk == {("BANKA", "HOUSE"): (Decimal(250_000), 1), ("BANKB", "HOUSE"): (Decimal(250_000), 1)}


async def test_a_version_decided_earlier_in_the_batch_counts_for_a_later_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await world.service.submit(world.submission(aud_irs("T1", version=1)))
    new = await world.service.submit(world.submission(aud_irs("T1", version=2)))  # no correction flag
    no_fallback(monkeypatch)

    assert await world.service.drain() == 2

    # version 1 meets a newer version in progress; version 2 then meets only a refused version 1
    assert await last_status(world, old.submission_id) == (S.REJECTED, [R.ELIG_STALE_VERSION])
    assert await last_status(world, new.submission_id) == (S.CLEARED, [])


async def test_a_crash_mid_batch_leaves_nothing_and_the_trades_stay_due(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipts = [await world.service.submit(world.submission(aud_irs(f"T{n}"))) for n in range(1, 5)]
    real = cleared_repo.insert_cleared_many

    async def killed_after_writing(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)  # the cleared trades are written ...
        raise asyncio.CancelledError  # ... and the process is stopped before the batch commits

    monkeypatch.setattr(cleared_repo, "insert_cleared_many", killed_after_writing)
    with pytest.raises(asyncio.CancelledError):
        await world.service.drain()

    assert await rows(world, t.cleared_trades) == 0
    assert await rows(world, t.account_risk) == 0
    assert await rows(world, t.status_history) == 4  # the Received statuses only
    assert set((await stages(world)).values()) == {Stage.RECEIVED.value}
    for r in receipts:
        assert [u.status for u in await world.service.history(r.submission_id)] == [S.RECEIVED]

    monkeypatch.setattr(cleared_repo, "insert_cleared_many", real)  # restarted
    assert await world.service.drain() == 4
    assert await rows(world, t.cleared_trades) == 8
    for r in receipts:
        assert [u.status for u in await world.service.history(r.submission_id)] == [S.RECEIVED, S.CLEARED]


async def test_a_batch_that_cannot_be_written_is_retried_one_trade_at_a_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipts = [await world.service.submit(world.submission(aud_irs(f"T{n}"))) for n in range(1, 5)]
    poisoned = parse_submission_ref(receipts[1].submission_id)
    real = cleared_repo.insert_cleared_many

    async def failing_for_one(
        conn: Any, cleared: Sequence[tuple[int, ClearedRow]], *args: Any, **kwargs: Any
    ) -> None:
        await real(conn, cleared, *args, **kwargs)
        if any(submission_id == poisoned for submission_id, _ in cleared):
            raise OperationalError("INSERT INTO cleared_trades", {}, Exception("disk I/O error"))

    monkeypatch.setattr(cleared_repo, "insert_cleared_many", failing_for_one)
    assert await world.service.drain() == 3  # the poisoned one is left for the next pass

    assert [await last_status(world, r.submission_id) for r in receipts] == [
        (S.CLEARED, []),
        (S.RECEIVED, []),
        (S.CLEARED, []),
        (S.CLEARED, []),
    ]
    assert await rows(world, t.cleared_trades) == 6

    monkeypatch.setattr(cleared_repo, "insert_cleared_many", real)
    assert await world.service.drain() == 1
    assert await last_status(world, receipts[1].submission_id) == (S.CLEARED, [])
    assert await rows(world, t.cleared_trades) == 8


async def test_a_repeat_in_the_same_batch_window_never_novates_twice(world: World) -> None:
    sub = world.submission(aud_irs("T1"), message_id="M-1")
    first = await world.service.submit(sub)
    again = await world.service.submit(sub)  # redelivered before the pass
    same_trade = await world.service.submit(world.submission(aud_irs("T1"), message_id="M-2"))
    assert again.submission_id == first.submission_id == same_trade.submission_id
    assert again.status is S.RECEIVED

    assert await world.service.drain() == 1
    assert await rows(world, t.submissions) == 1
    assert await rows(world, t.cleared_trades) == 2
    repeat = await world.service.submit(sub)
    assert repeat.status is S.CLEARED
    assert repeat.submission_id == first.submission_id


async def test_outbox_read_from_memory_equals_the_outbox_read_from_the_store(world: World) -> None:
    from gateway.clearing.ports import DeliveryChannel
    from gateway.clearing.service import ClearingService
    from gateway.store.clearing_store import SqlClearingStore

    for n in range(1, 4):
        await world.service.submit(world.submission(aud_irs(f"T{n}")))
    await world.service.drain()
    fresh = ClearingService(
        world.engine, world.margin, clock=world.clock, store=SqlClearingStore(world.engine)
    )  # remembers nothing
    for channel in (DeliveryChannel.MQTT, DeliveryChannel.FIX):
        remembered = await world.service.pending(channel, 100)
        stored = await fresh.pending(channel, 100)
        assert remembered == stored
        assert any(item.update.cleared is not None for item in stored)
