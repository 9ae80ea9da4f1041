"""Group commit of concurrent submits: fewer transactions, the same answers, order and isolation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select

from gateway.clearing.ports import DeliveryChannel
from gateway.domain.enums import ClearingStatusCode as S
from gateway.store import clearing_repo as repo
from gateway.store import tables as t
from tests.clearing.conftest import World, aud_irs


def _count_commits(world: World) -> list[int]:
    commits = [0]

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    event.listen(world.engine.sync_engine, "commit", on_commit)
    return commits


async def test_concurrent_submits_share_transactions_and_each_gets_its_own_receipt(world: World) -> None:
    subs = [world.submission(aud_irs(f"G{i}"), message_id=f"GM{i}") for i in range(10)]
    commits = _count_commits(world)
    receipts = await asyncio.gather(*(world.service.submit(s) for s in subs))
    assert commits[0] < len(subs)  # grouped: one transaction no longer per submission
    assert [r.status for r in receipts] == [S.RECEIVED] * len(subs)
    assert [r.in_reply_to for r in receipts] == [s.message_id for s in subs]
    assert len({r.submission_id for r in receipts}) == len(subs)
    for r, s in zip(receipts, subs, strict=True):
        assert r.trade.identifiers.source_trade_id == s.trade.identifiers.source_trade_id
        assert [u.status for u in await world.service.history(r.submission_id)] == [S.RECEIVED]
    # each Received is owed to the source and both members on MQTT and to BANKA's CompID on FIX
    pending = await world.service.pending(DeliveryChannel.MQTT, 1000)
    assert [i.update.submission_id for i in pending][::3] == [r.submission_id for r in receipts]
    assert len(await world.service.pending(DeliveryChannel.FIX, 1000)) == len(subs)


async def test_a_group_with_a_repeat_and_a_correction_keeps_every_answer_and_order(world: World) -> None:
    first = world.submission(aud_irs("K1", version=1), message_id="K1-v1")
    other = world.submission(aud_irs("K2"), message_id="K2-v1")
    repeat = world.submission(aud_irs("K1", version=1), message_id="K1-v1")  # redelivery of ``first``
    correction = world.submission(aud_irs("K1", version=2), message_id="K1-v2", correction=True)
    blocker = world.submission(aud_irs("K0"), message_id="K0")
    # ``blocker`` holds the group lock while the four others queue, so they are stored as one group
    a0, a1, a2, a3, a4 = await asyncio.gather(
        world.service.submit(blocker),
        world.service.submit(first),
        world.service.submit(other),
        world.service.submit(repeat),
        world.service.submit(correction),
    )
    assert a1.submission_id == a3.submission_id  # the repeat is the stored submission, not a new one
    assert a3.status is S.RECEIVED
    assert len({a0.submission_id, a1.submission_id, a2.submission_id, a4.submission_id}) == 4
    assert [u.status for u in await world.service.history(a1.submission_id)] == [S.RECEIVED, S.WITHDRAWN]
    assert [u.status for u in await world.service.history(a4.submission_id)] == [S.RECEIVED]
    # the outbox owes the source v1's Received, again for the redelivery (a repeat is answered again on
    # MQTT), then its Withdrawn, then v2's Received
    source_items = [
        (i.update.submission_id, i.update.status)
        for i in await world.service.pending(DeliveryChannel.MQTT, 1000)
        if i.recipient == "MARKITWIRE" and i.update.submission_id in (a1.submission_id, a4.submission_id)
    ]
    assert source_items == [
        (a1.submission_id, S.RECEIVED),
        (a1.submission_id, S.RECEIVED),
        (a1.submission_id, S.WITHDRAWN),
        (a4.submission_id, S.RECEIVED),
    ]
    async with world.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.submissions))).scalar_one() == 4


async def test_one_failing_submission_fails_alone_and_the_rest_of_its_group_is_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = repo.insert_new

    async def insert_new(conn: Any, sub: Any, **kw: Any) -> Any:
        if sub.message_id == "BAD":
            raise RuntimeError("disk on fire")
        return await real(conn, sub, **kw)

    real_many = repo.insert_new_many

    async def insert_new_many(conn: Any, new: Any) -> Any:  # a group stored in one statement
        if any(n.sub.message_id == "BAD" for n in new):
            raise RuntimeError("disk on fire")
        return await real_many(conn, new)

    monkeypatch.setattr(repo, "insert_new", insert_new)
    monkeypatch.setattr(repo, "insert_new_many", insert_new_many)
    subs = [world.submission(aud_irs(f"F{i}"), message_id="BAD" if i == 2 else f"F{i}") for i in range(5)]
    results = await asyncio.gather(*(world.service.submit(s) for s in subs), return_exceptions=True)
    assert isinstance(results[2], RuntimeError)
    stored = [r for n, r in enumerate(results) if n != 2]
    assert all(not isinstance(r, BaseException) and r.status is S.RECEIVED for r in stored)
    async with world.engine.connect() as conn:
        ids = (await conn.execute(select(t.submissions.c.message_id))).scalars().all()
        history = (await conn.execute(select(func.count()).select_from(t.status_history))).scalar_one()
    assert sorted(ids) == ["F0", "F1", "F3", "F4"]
    assert history == 4
    # the stored ones clear as usual
    await world.service.drain()
    for r in stored:
        assert not isinstance(r, BaseException)
        assert [u.status for u in await world.service.history(r.submission_id)] == [S.RECEIVED, S.CLEARED]


async def test_a_group_without_corrections_is_inserted_in_one_statement_and_repeats_get_their_status(
    world: World,
) -> None:
    stored = await world.service.submit(world.submission(aud_irs("R1"), message_id="R1-m"))
    stored4 = await world.service.submit(world.submission(aud_irs("R4"), message_id="R4-m"))
    inserts = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSIONS"):
            inserts.append(statement)

    event.listen(world.engine.sync_engine, "before_cursor_execute", on_execute)
    blocker = world.submission(aud_irs("R0"), message_id="R0-m")
    group = [
        world.submission(aud_irs("R2"), message_id="R2-m"),
        world.submission(aud_irs("R1"), message_id="R1-m"),  # redelivery of the stored message
        world.submission(aud_irs("R4"), message_id="R4-other"),  # a stored trade version, another message
        world.submission(aud_irs("R3"), message_id="R3-m"),
    ]
    answers = await asyncio.gather(*(world.service.submit(s) for s in [blocker, *group]))
    new2, rep1, rep2, new3 = answers[1:]
    assert len(inserts) == 2  # the blocker alone, then the queued four in one statement
    assert rep1.submission_id == stored.submission_id
    assert rep2.submission_id == stored4.submission_id
    assert rep1.status is rep2.status is S.RECEIVED
    assert new2.status is new3.status is S.RECEIVED
    assert len({stored.submission_id, stored4.submission_id, new2.submission_id, new3.submission_id}) == 4
    assert [r.in_reply_to for r in (new2, new3)] == ["R2-m", "R3-m"]
    async with world.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.submissions))).scalar_one() == 5
        assert (await conn.execute(select(func.count()).select_from(t.status_history))).scalar_one() == 5
    # the source is owed one Received per stored submission, in the order they were stored, then each
    # repeat's status once more (the same answer again, on MQTT too)
    source_items = [
        i.update.submission_id
        for i in await world.service.pending(DeliveryChannel.MQTT, 1000)
        if i.recipient == "MARKITWIRE"
    ]
    order = [stored, stored4, answers[0], new2, new3, rep1, rep2]
    assert source_items == [a.submission_id for a in order]
