"""The clearing pipeline end to end against a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from gateway.admin.reference import cash
from gateway.admin.source_directory import SourceDirectory
from gateway.clearing.ports import Channel, DeliveryChannel, RecipientRole
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import ProductClass
from gateway.domain.errors import GatewayError, NotEligible
from gateway.domain.reasons import ReasonCode as R
from gateway.refdata.sources import TradeSource
from gateway.rules.settings import ClearingSettings, CreditSettings, ShortfallAction
from gateway.store import tables as t
from tests.clearing.conftest import LEI_C, TODAY, World, aud_irs, member
from tests.strategies import LEI_A, LEI_B


async def statuses(w: World, submission_id: str) -> list[S]:
    return [u.status for u in await w.service.history(submission_id)]


async def count(w: World, table: t.Table) -> int:
    async with w.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_cleared_trade_is_novated_into_two_ccp_trades_and_owed_to_everyone(world: World) -> None:
    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    assert receipt.status is S.RECEIVED
    assert await world.service.drain() == 1

    history = await world.service.history(receipt.submission_id)
    assert [u.status for u in history] == [S.RECEIVED, S.CLEARED]
    cleared = history[-1]
    assert cleared.cleared is not None
    assert len(cleared.ccp_trade_ids) == 2
    a_ccp, ccp_b = cleared.cleared
    assert {p.party_id for p in a_ccp.parties} == {LEI_A, "CCP"}
    assert {p.party_id for p in ccp_b.parties} == {LEI_B, "CCP"}
    assert a_ccp.streams[0].payer == LEI_A
    assert a_ccp.streams[0].receiver == "CCP"
    assert ccp_b.streams[0].payer == "CCP"
    assert ccp_b.streams[0].receiver == LEI_B
    for c in cleared.cleared:
        assert c.streams[0].notional == Decimal(10_000_000)
        assert c.streams[0].fixed_rate == Decimal("0.0525")

    a_pos = await world.service.positions("BANKA", None, TODAY)
    b_pos = await world.service.positions("BANKB", "HOUSE", TODAY)
    assert [(p.trade_id, p.direction) for p in a_pos] == [(cleared.ccp_trade_ids[0], "PAY")]
    assert [(p.trade_id, p.direction) for p in b_pos] == [(cleared.ccp_trade_ids[1], "RECEIVE")]
    assert a_pos[0].floating_index == "AUD-BBR-BBSW"
    assert a_pos[0].index_tenor == "6M"

    mqtt = await world.service.pending(DeliveryChannel.MQTT, 100)
    by_recipient = {(i.role, i.recipient): [] for i in mqtt}  # type: dict[tuple[RecipientRole, str], list[S]]
    for item in mqtt:
        by_recipient[(item.role, item.recipient)].append(item.update.status)
    assert by_recipient == {
        (RecipientRole.SOURCE, "MARKITWIRE"): [S.RECEIVED, S.CLEARED],
        (RecipientRole.MEMBER, "BANKA"): [S.RECEIVED, S.CLEARED],
        (RecipientRole.MEMBER, "BANKB"): [S.RECEIVED, S.CLEARED],
    }
    fix = await world.service.pending(DeliveryChannel.FIX, 100)
    assert [(i.recipient, i.update.status) for i in fix] == [
        ("BANKA_FIX", S.RECEIVED),
        ("BANKA_FIX", S.CLEARED),
    ]
    assert fix[1].update.cleared == cleared.cleared
    assert fix[1].update.in_reply_to == "MSG-1"

    await world.service.mark_delivered([i.id for i in mqtt])
    assert await world.service.pending(DeliveryChannel.MQTT, 100) == []
    assert len(await world.service.pending(DeliveryChannel.FIX, 100)) == 2

    shown = {s.member_id: s for m in ("BANKA", "BANKB") for s in await world.refdata.show(m, "HOUSE")}
    assert shown["BANKA"].margin == Decimal("250000.00")  # 10m x 5y x 1bp x 50bp worst shock
    assert shown["BANKB"].margin == Decimal("250000.00")


async def test_a_recipient_that_cannot_take_delivery_does_not_hold_up_the_others(world: World) -> None:
    """A FIX member logged out with a backlog older than everyone else's: the others' statuses still flow."""
    await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    assert {i.recipient for i in await world.service.pending(DeliveryChannel.FIX, 100)} == {"BANKA_FIX"}
    assert await world.service.pending(DeliveryChannel.FIX, 100, exclude={"BANKA_FIX"}) == []
    mqtt = await world.service.pending(DeliveryChannel.MQTT, 1, exclude={"MARKITWIRE", "BANKA"})
    assert [(i.recipient, i.update.status) for i in mqtt] == [("BANKB", S.RECEIVED)]


async def test_ccp_positions_view_has_the_standard_columns(world: World) -> None:
    await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    async with world.engine.connect() as conn:
        result = await conn.execute(text("SELECT * FROM ccp_positions ORDER BY trade_id"))
        rows = result.fetchall()
        assert list(result.keys()) == [
            "trade_id", "uti", "member", "account", "product", "currency", "notional", "direction",
            "fixed_rate", "floating_index", "index_tenor", "spread", "effective_date", "maturity_date",
            "status", "npv",
        ]  # fmt: skip
    assert [(r.member, r.direction, r.status) for r in rows] == [
        ("BANKA", "PAY", "CLEARED"),
        ("BANKB", "RECEIVE", "CLEARED"),
    ]
    assert Decimal(str(rows[0].notional)) == Decimal(10_000_000)


@pytest.mark.parametrize(
    ("trade_kwargs", "code", "path"),
    [
        ({"index": "AUD-LIBOR-BBA"}, R.ELIG_INDEX_NOT_ELIGIBLE, "streams[1].floatingRateIndex"),
        ({"years": 31}, R.ELIG_MATURITY_TOO_LONG, "streams.terminationDate"),
    ],
)
async def test_out_of_scope_trades_are_refused_with_their_reason(
    world: World, trade_kwargs: dict[str, object], code: R, path: str
) -> None:
    receipt = await world.service.submit(world.submission(aud_irs("T1", **trade_kwargs)))  # type: ignore[arg-type]
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert [(i.code, i.path) for i in last.reasons] == [(code, path)]
    assert await count(world, t.cleared_trades) == 0


async def test_unclered_currency_and_product_are_named(world: World) -> None:
    jpy = aud_irs("T1")
    jpy = replace(jpy, streams=tuple(replace(s, currency="JPY") for s in jpy.streams))
    fra = replace(aud_irs("T2"), product=ProductClass.FRA)
    r1 = await world.service.submit(world.submission(jpy))
    r2 = await world.service.submit(world.submission(fra))
    await world.service.drain()
    assert (await world.service.history(r1.submission_id))[-1].reasons[0].code is R.ELIG_CURRENCY_NOT_ELIGIBLE
    assert (await world.service.history(r2.submission_id))[-1].reasons[0].code is R.ELIG_PRODUCT_NOT_ELIGIBLE


async def test_index_spelling_is_normalised_before_scope_check(world: World) -> None:
    receipt = await world.service.submit(world.submission(aud_irs("T1", index="AUD-BBSW")))
    await world.service.drain()
    assert await statuses(world, receipt.submission_id) == [S.RECEIVED, S.CLEARED]
    assert (await world.service.positions("BANKA", None, TODAY))[0].floating_index == "AUD-BBR-BBSW"


async def test_unknown_party_is_refused(world: World) -> None:
    trade = aud_irs("T1")
    trade = replace(
        trade,
        parties=(trade.parties[0], replace(trade.parties[1], party_id=LEI_C)),
        streams=tuple(
            replace(
                s,
                payer=LEI_C if s.payer == LEI_B else s.payer,
                receiver=LEI_C if s.receiver == LEI_B else s.receiver,
            )
            for s in trade.streams
        ),
    )
    receipt = await world.service.submit(world.submission(trade))
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert [(i.code, i.path) for i in last.reasons] == [(R.ELIG_UNKNOWN_PARTY, "parties[1].partyId")]
    # the known member is still told: its MQTT topic and its FIX session get the refusal
    fix = await world.service.pending(DeliveryChannel.FIX, 10)
    assert [i.update.status for i in fix] == [S.RECEIVED, S.REJECTED]


async def test_suspended_member_and_unknown_account_are_refused(world: World) -> None:
    await world.refdata.suspend("BANKB")
    r1 = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    assert [i.code for i in (await world.service.history(r1.submission_id))[-1].reasons] == [
        R.ELIG_MEMBER_SUSPENDED
    ]

    await world.refdata.reactivate("BANKB")
    trade = aud_irs("T2")
    trade = replace(trade, parties=(replace(trade.parties[0], account="NOPE"), trade.parties[1]))
    r2 = await world.service.submit(world.submission(trade))
    await world.service.drain()
    last = (await world.service.history(r2.submission_id))[-1]
    assert [(i.code, i.path) for i in last.reasons] == [(R.ELIG_UNKNOWN_ACCOUNT, "parties[0].account")]


async def test_shortfall_is_refused_when_configured_to_refuse(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world(ClearingSettings(credit=CreditSettings(on_shortfall=ShortfallAction.REFUSE)))
    await w.onboard(collateral=Decimal(1_000_000))
    receipt = await w.service.submit(w.submission(aud_irs("BIG", notional=Decimal(1_000_000_000), years=10)))
    await w.service.drain()
    last = (await w.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert {i.code for i in last.reasons} == {R.RISK_INSUFFICIENT_COLLATERAL}
    assert {i.path for i in last.reasons} == {"member[BANKA].account[HOUSE]", "member[BANKB].account[HOUSE]"}
    assert await count(w, t.cleared_trades) == 0


async def test_unpriceable_trade_is_refused(world: World) -> None:
    world.margin.unpriceable_currency = "AUD"
    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert last.reasons[0].code is R.RISK_UNPRICEABLE


async def test_pending_for_collateral_then_cleared_after_lodgement(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    await w.onboard(collateral=Decimal(0))
    await w.refdata.lodge("BANKA", "HOUSE", cash("AUD", Decimal(10_000_000)))
    # 100m x 10y: worst loss 5m; BANKA is covered, BANKB has nothing
    receipt = await w.service.submit(w.submission(aud_irs("T1", notional=Decimal(100_000_000), years=10)))
    await w.service.drain()
    last = (await w.service.history(receipt.submission_id))[-1]
    assert last.status is S.PENDING
    assert [(i.code, i.path) for i in last.reasons] == [
        (R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKB].account[HOUSE]")
    ]

    await w.service.drain()  # nothing changed: no new status
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.PENDING]

    await w.refdata.lodge("BANKB", "HOUSE", cash("EUR", Decimal(1_000_000)))  # ~1.66m AUD: still short
    await w.service.drain()
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.PENDING]

    await w.refdata.lodge("BANKB", "HOUSE", cash("AUD", Decimal(5_000_000)))
    await w.service.drain()
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.PENDING, S.CLEARED]


async def test_tolerance_limit_covers_a_shortfall(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    await w.refdata.add_participant(member("BANKA", LEI_A, tolerance=Decimal(20_000_000)))
    await w.refdata.add_participant(member("BANKB", LEI_B, tolerance=Decimal(20_000_000)))
    # 5m of margin each, no collateral: inside each member's 20m limit (capped at half of the 40m pool)
    receipt = await w.service.submit(w.submission(aud_irs("T1", notional=Decimal(100_000_000), years=10)))
    await w.service.drain()
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.CLEARED]
    # the next 25m of margin would take each member past its limit
    r2 = await w.service.submit(w.submission(aud_irs("T2", notional=Decimal(500_000_000), years=10)))
    await w.service.drain()
    assert await statuses(w, r2.submission_id) == [S.RECEIVED, S.PENDING]


def _venue_sources(*, venue: bool) -> SourceDirectory:
    """The cached source table of a service whose test source (MARKITWIRE) is, or is not, a venue."""
    return SourceDirectory([TradeSource("MARKITWIRE", "markitwire", venue=venue)])


async def test_sub_block_venue_trade_skips_the_credit_check(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    w.service.is_venue = _venue_sources(venue=True).is_venue
    await w.onboard(collateral=Decimal(0))
    receipt = await w.service.submit(w.submission(aud_irs("T1", sub_block=True)))
    await w.service.drain()
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.CLEARED]
    # its margin is still added to the account, to be called at the next intraday call
    assert (await w.refdata.show("BANKA", "HOUSE"))[0].margin == Decimal("250000.00")


async def test_sub_block_from_a_source_that_is_no_venue_is_checked_and_says_why(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    w.service.is_venue = _venue_sources(venue=False).is_venue
    await w.onboard(collateral=Decimal(0))
    receipt = await w.service.submit(w.submission(aud_irs("T1", sub_block=True)))
    await w.service.drain()
    history = await w.service.history(receipt.submission_id)
    assert [u.status for u in history] == [S.RECEIVED, S.PENDING]
    assert history[-1].reasons[0].code is R.RISK_SUB_BLOCK_NOT_HONOURED
    assert R.RISK_INSUFFICIENT_COLLATERAL in {i.code for i in history[-1].reasons}


async def test_outside_hours_is_queued_then_processed_at_the_open(world: World) -> None:
    world.clock.current = world.clock.current.replace(hour=12)  # 23:00 Sydney: closed
    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status is S.PENDING
    assert last.reasons[0].code is R.ELIG_OUTSIDE_SERVICE_HOURS
    world.clock.advance(timedelta(hours=6))  # 05:00 Sydney: still closed
    await world.service.drain()
    assert await statuses(world, receipt.submission_id) == [S.RECEIVED, S.PENDING]
    world.clock.advance(timedelta(hours=1))  # 06:00 Sydney, Thursday: open
    await world.service.drain()
    history = await world.service.history(receipt.submission_id)
    assert [u.status for u in history] == [S.RECEIVED, S.PENDING, S.CLEARED]
    assert history[-1].clearing_business_date == TODAY + timedelta(days=1)


async def test_old_trade_is_backloaded_and_spared_by_end_of_day(world: World) -> None:
    receipt = await world.service.submit(
        world.submission(aud_irs("OLD", trade_date=TODAY - timedelta(days=7)))
    )
    await world.service.drain()
    last = (await world.service.history(receipt.submission_id))[-1]
    assert last.status is S.PENDING
    assert last.reasons[0].code is R.LIFE_BACKLOAD_QUEUED
    assert last.clearing_business_date == TODAY + timedelta(days=1)

    report = await world.service.end_of_day(TODAY)
    assert report.refused == ()
    world.clock.advance(timedelta(days=1))  # Thursday 11:00 Sydney: the backload date
    await world.service.drain()
    assert await statuses(world, receipt.submission_id) == [S.RECEIVED, S.PENDING, S.CLEARED]


async def test_duplicates_get_the_same_answer_and_no_second_novation(world: World) -> None:
    first = await world.service.submit(world.submission(aud_irs("T1"), message_id="M1"))
    await world.service.drain()
    again = await world.service.submit(world.submission(aud_irs("T1"), message_id="M1"))
    other_message = await world.service.submit(world.submission(aud_irs("T1"), message_id="M2"))
    assert again.status is S.CLEARED
    assert again.submission_id == first.submission_id
    assert other_message.status is S.CLEARED
    assert other_message.ccp_trade_ids == again.ccp_trade_ids
    await world.service.drain()
    assert await count(world, t.cleared_trades) == 2
    assert await count(world, t.submissions) == 1


async def test_duplicate_is_recognised_across_a_restart(world: World) -> None:
    from gateway.clearing.service import ClearingService
    from gateway.store import open_store
    from gateway.store.clearing_store import SqlClearingStore

    await world.service.submit(world.submission(aud_irs("T1"), message_id="M1"))
    url = world.engine.url.render_as_string(hide_password=False)
    await world.engine.dispose()
    engine2 = await open_store(url)  # a new process: new engine, schema upgrade is a no-op
    try:
        restarted = ClearingService(engine2, world.margin, clock=world.clock, store=SqlClearingStore(engine2))
        assert await restarted.drain() == 1  # the stored submission is processed after the restart
        answer = await restarted.submit(world.submission(aud_irs("T1"), message_id="M1"))
        assert answer.status is S.CLEARED
        assert await restarted.drain() == 0
    finally:
        await engine2.dispose()


async def test_correction_replaces_a_version_not_yet_novated(world: World) -> None:
    world.clock.current = world.clock.current.replace(hour=12)  # closed: v1 waits in the queue
    v1 = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    v2 = await world.service.submit(
        world.submission(aud_irs("T1", version=2, notional=Decimal(20_000_000)), correction=True)
    )
    assert await statuses(world, v1.submission_id) == [S.RECEIVED, S.PENDING, S.WITHDRAWN]
    assert (await world.service.history(v1.submission_id))[-1].reasons[0].code is R.LIFE_SUPERSEDED
    world.clock.advance(timedelta(hours=7))
    await world.service.drain()
    assert (await world.service.history(v2.submission_id))[-1].status is S.CLEARED
    assert [p.notional for p in await world.service.positions("BANKA", None, TODAY + timedelta(days=1))] == [
        Decimal(20_000_000)
    ]


async def test_new_version_without_correction_flag_or_after_novation_is_refused(world: World) -> None:
    await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    v2 = await world.service.submit(world.submission(aud_irs("T1", version=2), correction=True))
    await world.service.drain()
    assert [i.code for i in (await world.service.history(v2.submission_id))[-1].reasons] == [
        R.LIFE_ALREADY_NOVATED
    ]

    world.clock.current = world.clock.current.replace(hour=12)
    await world.service.submit(world.submission(aud_irs("T9")))
    await world.service.drain()
    t9v2 = await world.service.submit(world.submission(aud_irs("T9", version=2)))
    await world.service.drain()
    assert [i.code for i in (await world.service.history(t9v2.submission_id))[-1].reasons] == [
        R.ELIG_DUPLICATE
    ]


async def test_withdrawal_of_a_pending_trade_and_refusal_once_novated(world: World) -> None:
    world.clock.current = world.clock.current.replace(hour=12)
    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    withdrawn = await world.service.withdraw("MARKITWIRE", "T1", world.clock.now(), "booked in error")
    assert withdrawn.status is S.WITHDRAWN
    assert withdrawn.reasons[0].code is R.LIFE_RETRACTED
    again = await world.service.withdraw("MARKITWIRE", "T1", world.clock.now(), "retry")
    assert again.sequence == withdrawn.sequence  # idempotent
    world.clock.advance(timedelta(hours=7))
    await world.service.drain()
    assert await statuses(world, receipt.submission_id) == [S.RECEIVED, S.PENDING, S.WITHDRAWN]

    await world.service.submit(world.submission(aud_irs("T2")))
    await world.service.drain()
    with pytest.raises(NotEligible) as err:
        await world.service.withdraw("MARKITWIRE", "T2", world.clock.now(), "too late")
    assert err.value.code is R.LIFE_ALREADY_NOVATED
    with pytest.raises(NotEligible) as unknown:
        await world.service.withdraw("MARKITWIRE", "NOPE", world.clock.now(), "")
    assert unknown.value.code is R.FIX_UNKNOWN_TRADE


async def test_end_of_day_refuses_pending_trades(make_world) -> None:  # type: ignore[no-untyped-def]
    w: World = make_world()
    await w.onboard(collateral=Decimal(0))
    receipt = await w.service.submit(w.submission(aud_irs("T1", notional=Decimal(100_000_000))))
    await w.service.drain()
    assert await statuses(w, receipt.submission_id) == [S.RECEIVED, S.PENDING]
    w.clock.current = w.clock.current.replace(hour=10, minute=30)  # 21:30 Sydney
    report = await w.service.end_of_day(TODAY)
    assert report.refused == (receipt.submission_id,)
    assert report.failures == ()
    last = (await w.service.history(receipt.submission_id))[-1]
    assert last.status is S.REJECTED
    assert [i.code for i in last.reasons] == [
        R.LIFE_NOT_REGISTERED_BY_EOD,
        R.RISK_INSUFFICIENT_COLLATERAL,
        R.RISK_INSUFFICIENT_COLLATERAL,
    ]
    assert (await w.service.end_of_day(TODAY)).refused == ()  # a second run changes nothing


async def test_pre_trade_credit_check_reserves_headroom_until_released(world: World) -> None:
    trade = aud_irs("ORDER", notional=Decimal(1_000_000_000), years=30)  # worst loss 150m > 100m lodged
    small = aud_irs("ORDER2", notional=Decimal(500_000_000), years=30)  # 75m
    refused = await world.service.credit_check("BANKA", "HOUSE", trade, "O-1")
    assert not refused.approved
    assert refused.reasons[0].code is R.RISK_INSUFFICIENT_COLLATERAL
    assert refused.shortfall == Decimal("50000000.00")
    ok = await world.service.credit_check("BANKA", "HOUSE", small, "O-2")
    assert ok.approved
    assert ok.incremental_margin == Decimal("75000000.00")
    assert (await world.service.credit_check("BANKA", "HOUSE", small, "O-2")).approved  # idempotent per order
    second = await world.service.credit_check("BANKA", "HOUSE", small, "O-3")
    assert not second.approved  # the first reservation uses the headroom
    await world.service.release_credit("BANKA", "O-2")
    assert (await world.service.credit_check("BANKA", "HOUSE", small, "O-3")).approved
    with pytest.raises(GatewayError) as err:  # released already: nothing left to release
        await world.service.release_credit("BANKA", "O-2")
    assert err.value.issues[0].code is R.FIX_UNKNOWN_TRADE
    unknown = await world.service.credit_check("BANKA", "NOPE", small, "O-4")
    assert not unknown.approved
    assert unknown.reasons[0].code is R.REF_UNKNOWN_MEMBER


async def test_channels_may_name_the_member_by_its_party_id(world: World) -> None:
    """FIX sessions know a member by its LEI: credit checks, releases and positions accept either id."""
    small = aud_irs("ORDER2", notional=Decimal(500_000_000), years=30)  # 75m of a 100m headroom
    assert (await world.service.credit_check(LEI_A, "HOUSE", small, "O-2")).approved
    assert not (await world.service.credit_check("BANKA", "HOUSE", small, "O-3")).approved  # one reservation
    await world.service.release_credit(LEI_A, "O-2")
    assert (await world.service.credit_check("BANKA", "HOUSE", small, "O-3")).approved
    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    assert (await world.service.history(receipt.submission_id))[-1].status is S.CLEARED
    by_id = await world.service.positions("BANKA", None, TODAY)
    assert by_id
    assert await world.service.positions(LEI_A, None, TODAY) == by_id
    assert await world.service.positions("NOBODY", None, TODAY) == []


async def test_a_trade_stored_for_clearing_releases_the_order_it_was_executed_from(world: World) -> None:
    order = aud_irs("FROM-ORDER", notional=Decimal(500_000_000), years=30)  # 75m of a 100m headroom
    assert (await world.service.credit_check(LEI_A, "HOUSE", order, "O-1")).approved
    other = aud_irs("OTHER", notional=Decimal(500_000_000), years=30)
    assert not (await world.service.credit_check(LEI_A, "HOUSE", other, "O-2")).approved  # O-1 holds it
    sub = replace(world.submission(order), orders=((LEI_A, "O-1"),))
    receipt = await world.service.submit(sub)
    # The trade's own check will count its margin; the order's reservation is gone with the submission.
    assert (await world.service.credit_check(LEI_A, "HOUSE", other, "O-2")).approved
    await world.service.release_credit(LEI_A, "O-2")
    await world.service.drain()
    assert (await world.service.history(receipt.submission_id))[-1].status is S.CLEARED


async def test_reconciliation_reads_the_member_positions_view(world: World) -> None:
    """The contract with clearing-recon --db: its reader takes our view as it is, with no problems."""
    from recon.formats import fetch_ccp_positions

    receipt = await world.service.submit(world.submission(aud_irs("T1")))
    await world.service.drain()
    ccp_ids = (await world.service.history(receipt.submission_id))[-1].ccp_trade_ids
    book = await fetch_ccp_positions(world.engine.url.render_as_string(hide_password=False), "BANKB")
    assert book.problems == ()
    rows = book.frame.to_dicts()
    assert [(r["trade_id"], r["direction"], r["notional"], r["fixed_rate"]) for r in rows] == [
        (ccp_ids[1], "RECEIVE", 10_000_000.0, 0.0525)
    ]


async def test_matured_trades_leave_the_positions_at_end_of_day(world: World) -> None:
    from datetime import date

    receipt = await world.service.submit(world.submission(aud_irs("T1", years=1)))
    await world.service.drain()
    assert (await world.service.history(receipt.submission_id))[-1].status is S.CLEARED
    maturity = date(2027, 1, 9)
    assert len(await world.service.positions("BANKA", None, maturity)) == 1
    report = await world.service.end_of_day(maturity)
    assert report.matured == 2
    async with world.engine.connect() as conn:
        live = (await conn.execute(text("SELECT count(*) FROM ccp_positions"))).scalar_one()
    assert live == 0
    assert [p.status for p in await world.service.positions("BANKA", None, maturity)] == ["MATURED"]
    assert await world.service.positions("BANKA", None, date(2027, 1, 10)) == []


async def test_identifiers_too_long_to_store_are_refused_before_anything_is_written(world: World) -> None:
    from dataclasses import replace as _replace

    from gateway.domain.errors import InputRejected
    from gateway.domain.trade import TradeIdentifiers

    long_id = aud_irs("T1")
    long_id = _replace(long_id, identifiers=TradeIdentifiers("X" * 300))
    with pytest.raises(InputRejected) as err:
        await world.service.submit(world.submission(long_id, message_id="M" * 300))
    assert [(i.code, i.path) for i in err.value.issues] == [
        (R.FPML_INVALID_VALUE, "messageId"),
        (R.FPML_INVALID_VALUE, "tradeHeader.tradeId"),
    ]
    assert await count(world, t.submissions) == 0


async def test_a_fix_report_is_owed_to_the_members_only_never_to_a_topic_named_by_its_compid(
    world: World,
) -> None:
    # a venue's FIX session reports (one-sided); its CompID has no MQTT status topic, and the source's
    # view of the trade (both sides' accounts and trade ids) must not go to one a member's user could read
    sub = dataclasses.replace(
        world.submission(aud_irs("T-FIX")), channel=Channel.FIX, source="VENUE_FIX", message_id="R-1"
    )
    await world.service.submit(sub)
    assert await world.service.drain() == 1
    mqtt = await world.service.pending(DeliveryChannel.MQTT, 100)
    assert {(i.role, i.recipient) for i in mqtt} == {
        (RecipientRole.MEMBER, "BANKA"),
        (RecipientRole.MEMBER, "BANKB"),
    }
    assert [i.update.status for i in mqtt if i.recipient == "BANKB"] == [S.RECEIVED, S.CLEARED]
