"""The clearing service on the in-memory store: the whole core behind its interfaces, with no database.

The same service code runs as on SQLite and PostgreSQL (tests/clearing/test_pipeline.py); only the store
differs, so what is decided and what is owed to whom must be the same.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.admin.reference import cash
from gateway.clearing.service import ClearingService
from gateway.clock import FixedClock
from gateway.domain.clearing import Channel, DeliveryChannel, Submission
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Trade
from gateway.store.memory import MemoryClearingStore
from tests.clearing.conftest import OPEN_NOW, TODAY, aud_irs, member
from tests.clearing.doubles import LinearMargin
from tests.strategies import LEI_A, LEI_B


def service(collateral: Decimal = Decimal(100_000_000)) -> tuple[ClearingService, MemoryClearingStore]:
    store = MemoryClearingStore()
    store.add_member(member("BANKA", LEI_A, ("BANKA_FIX",)))
    store.add_member(member("BANKB", LEI_B))
    for m in ("BANKA", "BANKB"):
        store.lodge(m, "HOUSE", cash("AUD", collateral))
    return ClearingService(None, LinearMargin(), clock=FixedClock(OPEN_NOW), store=store), store


def request(trade: Trade, message_id: str) -> Submission:
    return Submission(Channel.MQTT_FPML, "MARKITWIRE", message_id, OPEN_NOW, trade, correlation_id="C-1")


async def test_a_covered_trade_is_received_then_novated_and_both_sides_are_told() -> None:
    svc, _ = service()
    receipt = await svc.submit(request(aud_irs("T1"), "M-1"))
    assert receipt.status is S.RECEIVED
    assert await svc.drain() == 1
    history = await svc.history(receipt.submission_id)
    assert [u.status for u in history] == [S.RECEIVED, S.CLEARED]
    cleared = history[-1]
    assert cleared.ccp_trade_ids == ("CCP-20260107-00000001-1", "CCP-20260107-00000001-2")
    assert cleared.cleared is not None
    mqtt = await svc.pending(DeliveryChannel.MQTT, 100)
    assert [(i.recipient, i.update.status) for i in mqtt] == [
        ("MARKITWIRE", S.RECEIVED),
        ("BANKA", S.RECEIVED),
        ("BANKB", S.RECEIVED),
        ("MARKITWIRE", S.CLEARED),
        ("BANKA", S.CLEARED),
        ("BANKB", S.CLEARED),
    ]
    assert [(i.recipient, i.update.status) for i in await svc.pending(DeliveryChannel.FIX, 100)] == [
        ("BANKA_FIX", S.RECEIVED),
        ("BANKA_FIX", S.CLEARED),
    ]
    positions = await svc.positions("BANKB", None, TODAY)
    assert [(p.trade_id, p.direction) for p in positions] == [("CCP-20260107-00000001-2", "RECEIVE")]
    await svc.mark_delivered([i.id for i in mqtt])
    assert await svc.pending(DeliveryChannel.MQTT, 100) == []


async def test_a_repeat_gets_its_last_status_again_and_is_not_stored_twice() -> None:
    svc, _ = service()
    first = await svc.submit(request(aud_irs("T1"), "M-1"))
    await svc.drain()
    again = await svc.submit(request(aud_irs("T1"), "M-1"))
    assert (again.submission_id, again.status) == (first.submission_id, S.CLEARED)
    assert await svc.drain() == 0


async def test_short_of_collateral_waits_and_end_of_day_refuses_it() -> None:
    svc, _ = service(collateral=Decimal(1_000))
    receipt = await svc.submit(request(aud_irs("T1"), "M-1"))
    await svc.drain()
    (pending,) = (await svc.history(receipt.submission_id))[1:]
    assert pending.status is S.PENDING
    assert R.RISK_INSUFFICIENT_COLLATERAL in [i.code for i in pending.reasons]
    report = await svc.end_of_day(TODAY)
    assert report.refused == (receipt.submission_id,)
    last = (await svc.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert last.reasons[0].code is R.LIFE_NOT_REGISTERED_BY_EOD


async def test_a_withdrawn_trade_is_never_cleared() -> None:
    svc, _ = service()
    receipt = await svc.submit(request(aud_irs("T1"), "M-1"))
    withdrawn = await svc.withdraw("MARKITWIRE", "T1", OPEN_NOW, "booked in error")
    assert withdrawn.status is S.WITHDRAWN
    assert await svc.drain() == 0
    assert [u.status for u in await svc.history(receipt.submission_id)] == [S.RECEIVED, S.WITHDRAWN]


async def test_a_pre_trade_check_reserves_headroom_until_released() -> None:
    svc, store = service(collateral=Decimal(300_000))
    approved = await svc.credit_check("BANKA", "HOUSE", aud_irs("T1"), "ORDER-1")
    assert approved.approved
    assert approved.incremental_margin == Decimal(250_000)
    refused = await svc.credit_check("BANKA", "HOUSE", aud_irs("T2"), "ORDER-2")
    assert not refused.approved  # the first order's reservation holds the headroom
    await svc.release_credit("BANKA", "ORDER-1")
    async with store.read() as uow:
        assert await uow.accounts.reservation("BANKA", "ORDER-1") is None


def test_a_service_on_a_store_without_an_engine_says_it_has_none() -> None:
    svc, _ = service()
    with pytest.raises(RuntimeError, match="without a database engine"):
        _ = svc.engine
