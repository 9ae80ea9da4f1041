"""One contract for every ``ClearingStore``: the same tests on the memory store, SQLite and PostgreSQL.

What the clearing core relies on: a submission's unique keys (message id, trade version, one live UTI),
statuses owed in order through the outbox, cleared trades making positions, the accounts' risk and
reservations, and a unit of work that commits whole or not at all.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.admin.reference import ReferenceData, cash
from gateway.clearing.novation import novate, position_terms
from gateway.clearing.ports import ClearingStore
from gateway.clock import FixedClock
from gateway.domain.clearing import Channel, DeliveryChannel, EventRequest, RecipientRole, Submission
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import Issue
from gateway.domain.events import (
    EventEffect,
    EventKind,
    EventOutcome,
    EventTerms,
    Fee,
    Money,
    NotionalChange,
    TradeRef,
)
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party, Trade
from gateway.domain.workflow import ClearedRow, NewSubmission, Recipient, Stage, SubmissionRow, Transition
from gateway.refdata.figures import RiskRow
from gateway.store import create_engine
from gateway.store.clearing_store import SqlClearingStore
from gateway.store.memory import MemoryClearingStore
from gateway.store.tables import metadata
from tests.clearing.conftest import LEI_C, OPEN_NOW, TODAY, aud_irs, member
from tests.strategies import LEI_A, LEI_B

AT = OPEN_NOW
BANKA = member("BANKA", LEI_A, ("BANKA_FIX2", "BANKA_FIX"), tolerance=Decimal(4_000_000))
BANKB = member("BANKB", LEI_B, tolerance=Decimal(6_000_000))
TO_SOURCE = Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, "MARKITWIRE")
TO_A = Recipient(DeliveryChannel.MQTT, RecipientRole.MEMBER, "BANKA")
TO_A_FIX = Recipient(DeliveryChannel.FIX, RecipientRole.MEMBER, "BANKA_FIX")
TO_SOURCE_SEF = Recipient(DeliveryChannel.MQTT, RecipientRole.SOURCE, "SEF1")


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
async def store(backend: str) -> AsyncIterator[ClearingStore]:
    """A store holding two members (BANKA with collateral in HOUSE), on each back end."""
    if backend == "memory":
        memory = MemoryClearingStore()
        for m in (BANKA, BANKB):
            memory.add_member(m)
        memory.lodge("BANKA", "HOUSE", cash("AUD", Decimal(5_000_000)))
        yield memory
        return
    engine = create_engine(backend)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    refdata = ReferenceData(engine, clock=FixedClock(AT))
    for m in (BANKA, BANKB):
        await refdata.add_participant(m)
    await refdata.lodge("BANKA", "HOUSE", cash("AUD", Decimal(5_000_000)))
    try:
        yield SqlClearingStore(engine)
    finally:
        await engine.dispose()


def submission(trade: Trade, message_id: str = "M-1", *, correction: bool = False) -> Submission:
    return Submission(
        channel=Channel.MQTT_FPML,
        source="MARKITWIRE",
        message_id=message_id,
        received_at=AT,
        trade=trade,
        is_correction=correction,
        correlation_id=f"C-{message_id}",
    )


def new(trade: Trade, message_id: str = "M-1", **kw: object) -> NewSubmission:
    affirm = kw.pop("affirm_member", None)
    assert affirm is None or isinstance(affirm, str)
    correction = bool(kw.pop("correction", False))
    return NewSubmission(
        submission(trade, message_id, correction=correction), "BANKA", "BANKB", TODAY, AT, affirm
    )


async def stored(store: ClearingStore, *news: NewSubmission) -> list[SubmissionRow | None]:
    async with store.begin() as uow:
        return await uow.submissions.insert(news)


async def one(store: ClearingStore, n: NewSubmission) -> SubmissionRow:
    (row,) = await stored(store, n)
    assert row is not None
    return row


# ---------------------------------------------------------------- submissions and their keys


async def test_a_new_submission_is_stored_received_and_read_back_as_given(store: ClearingStore) -> None:
    row = await one(store, new(aud_irs("T1")))
    assert (row.stage, row.status, row.last_sequence, row.ref) == (
        Stage.RECEIVED,
        S.RECEIVED,
        1,
        f"S{row.id:010d}",
    )
    async with store.read() as uow:
        again = await uow.submissions.get(row.id)
        assert again == row
        assert await uow.submissions.get(row.id + 1000) is None
        assert await uow.submissions.get_many([row.id, row.id + 1000]) == [row]


async def test_a_known_message_a_known_version_or_a_live_uti_is_not_stored_twice(
    store: ClearingStore,
) -> None:
    first = await one(store, new(aud_irs("T1"), "M-1"))
    other_uti = replace(aud_irs("T1"), identifiers=replace(aud_irs("T1").identifiers, uti="OTHER-UTI"))
    same_uti = replace(
        aud_irs("T9"), identifiers=replace(aud_irs("T9").identifiers, uti=first.trade.identifiers.uti)
    )
    got = await stored(
        store,
        new(aud_irs("T2"), "M-1"),  # the message id again
    )
    assert got == [None]
    assert await stored(store, new(other_uti, "M-2")) == [None]  # the trade version again
    assert await stored(store, new(same_uti, "M-3")) == [None]  # the UTI live as T1
    async with store.read() as uow:
        known = await uow.submissions.find_known("MARKITWIRE", "M-1", "nothing", 9)
        by_version = await uow.submissions.find_known("MARKITWIRE", "M-7", "T1", 1)
        assert known is not None
        assert known.id == first.id
        assert by_version is not None
        assert by_version.id == first.id
        assert await uow.submissions.find_known("MARKITWIRE", "M-7", "T1", 2) is None
        holder = await uow.submissions.live_by_uti(first.trade.identifiers.uti or "")
        assert holder is not None
        assert holder.id == first.id


async def test_a_uti_is_free_again_once_its_trade_is_refused(store: ClearingStore) -> None:
    first = await one(store, new(aud_irs("T1"), "M-1"))
    async with store.begin() as uow:
        await uow.submissions.set_stage(first.id, Stage.REJECTED, AT)
    again = replace(
        aud_irs("T2"), identifiers=replace(aud_irs("T2").identifiers, uti=first.trade.identifiers.uti)
    )
    second = await one(store, new(again, "M-2"))
    async with store.read() as uow:
        holder = await uow.submissions.live_by_uti(first.trade.identifiers.uti or "")
    assert holder is not None
    assert holder.id == second.id


async def test_a_correction_holds_its_uti_only_once_it_claims_it(store: ClearingStore) -> None:
    v1 = await one(store, new(aud_irs("T1", version=1), "M-1"))
    v2_trade = replace(
        aud_irs("T1", version=2), identifiers=replace(aud_irs("T1", version=2).identifiers, uti="U-T1")
    )
    v2 = await one(store, new(v2_trade, "M-2", correction=True))
    async with store.begin() as uow:
        assert await uow.submissions.live_by_uti("U-T1") is None
        await uow.submissions.set_stage(v1.id, Stage.WITHDRAWN, AT)
        await uow.submissions.claim_uti(v2.id, "U-T1")
    async with store.read() as uow:
        holder = await uow.submissions.live_by_uti("U-T1")
        assert holder is not None
        assert holder.id == v2.id
        assert [r.id for r in await uow.submissions.versions("MARKITWIRE", "T1")] == [v1.id, v2.id]
        versions = await uow.submissions.versions_of([("MARKITWIRE", "T1"), ("MARKITWIRE", "none")])
    assert [(v.id, v.source_version, v.stage) for v in versions[("MARKITWIRE", "T1")]] == [
        (v1.id, 1, Stage.WITHDRAWN),
        (v2.id, 2, Stage.RECEIVED),
    ]
    assert versions[("MARKITWIRE", "none")] == []


async def test_a_report_to_affirm_waits_alleged_and_its_affirmation_makes_it_due(
    store: ClearingStore,
) -> None:
    row = await one(store, new(aud_irs("T1"), "REPORT-1", affirm_member="BANKB"))
    assert (row.stage, row.affirm_member) == (Stage.ALLEGED, "BANKB")
    later = AT + timedelta(minutes=5)
    async with store.begin() as uow:
        assert await uow.submissions.due(later, open_now=True, limit=10) == []
        assert [
            r.id for r in await uow.submissions.reported_for_affirmation(report_id="REPORT-1", trade_id=None)
        ] == [row.id]
        assert [
            r.id for r in await uow.submissions.reported_for_affirmation(report_id=None, trade_id="T1")
        ] == [row.id]
        assert await uow.submissions.reported_for_affirmation(report_id=None, trade_id=None) == []
        completed = replace(
            row.trade, parties=(row.trade.parties[0], replace(row.trade.parties[1], account="CLIENT1"))
        )
        await uow.submissions.affirm(row.id, completed, later)
    async with store.read() as uow:
        affirmed = await uow.submissions.get(row.id)
        assert affirmed is not None
        assert (affirmed.stage, affirmed.due_at, affirmed.trade) == (Stage.RECEIVED, later, completed)
        assert await uow.submissions.due(later, open_now=True, limit=10) == [row.id]


async def test_due_work_and_end_of_day_candidates(store: ClearingStore) -> None:
    rows = [await one(store, new(aud_irs(f"T{i}"), f"M-{i}")) for i in range(4)]
    later = AT + timedelta(hours=1)
    async with store.begin() as uow:
        await uow.submissions.set_stage(rows[1].id, Stage.QUEUED_HOURS, AT, due_at=later)
        await uow.submissions.set_stage(rows[2].id, Stage.PENDING_COLLATERAL, AT)
        await uow.submissions.set_stage(rows[3].id, Stage.QUEUED_BACKLOAD, AT, due_at=later, backload=True)
    async with store.read() as uow:
        assert await uow.submissions.due(AT, open_now=True, limit=10) == [rows[0].id]
        assert await uow.submissions.due(later, open_now=True, limit=10) == [
            rows[0].id,
            rows[1].id,
            rows[3].id,
        ]
        assert await uow.submissions.due(later, open_now=True, limit=1, after_id=rows[0].id) == [rows[1].id]
        assert await uow.submissions.unregistered(TODAY) == [rows[0].id, rows[1].id, rows[2].id]
        assert await uow.submissions.unregistered(TODAY - timedelta(days=1)) == []


async def test_a_packages_legs_are_read_together_and_a_held_leg_is_due_at_its_deadline(
    store: ClearingStore,
) -> None:
    def leg(trade_id: str, message_id: str, package_id: str | None) -> NewSubmission:
        n = new(aud_irs(trade_id), message_id)
        return replace(n, sub=replace(n.sub, package_id=package_id))

    a1 = await one(store, leg("A1", "M-1", "PKG-A"))
    await one(store, leg("OTHER", "M-2", None))
    a2 = await one(store, leg("A2", "M-3", "PKG-A"))
    b1 = await one(store, leg("B1", "M-4", "PKG-B"))
    assert (a1.package_id, b1.package_id) == ("PKG-A", "PKG-B")
    deadline = AT + timedelta(minutes=5)
    async with store.begin() as uow:
        await uow.submissions.set_stage(a1.id, Stage.QUEUED_PACKAGE, AT, due_at=deadline)
        legs = await uow.submissions.package_legs(
            [("MARKITWIRE", "PKG-A"), ("MARKITWIRE", "PKG-B"), ("ELSEWHERE", "PKG-A")], lock=True
        )
    assert [r.id for r in legs[("MARKITWIRE", "PKG-A")]] == [a1.id, a2.id]
    assert legs[("MARKITWIRE", "PKG-A")][0].stage is Stage.QUEUED_PACKAGE
    assert [r.id for r in legs[("MARKITWIRE", "PKG-B")]] == [b1.id]
    assert legs[("ELSEWHERE", "PKG-A")] == []
    async with store.read() as uow:
        assert a1.id not in await uow.submissions.due(AT, open_now=True, limit=10)
        assert a1.id in await uow.submissions.due(deadline, open_now=False, limit=10)
        assert a1.id in await uow.submissions.unregistered(TODAY)  # end of day refuses a held leg too


# ---------------------------------------------------------------- statuses and the outbox


async def test_statuses_are_owed_to_each_recipient_in_order_and_delivered_once(store: ClearingStore) -> None:
    row = await one(store, new(aud_irs("T1")))
    reason = Issue(R.ELIG_OUTSIDE_SERVICE_HOURS, "receivedAt", "queued")
    async with store.begin() as uow:
        (received,) = await uow.statuses.received([(row, AT, [TO_SOURCE, TO_A, TO_A_FIX])])
        queued = Transition(
            row, Stage.QUEUED_HOURS, AT, AT, TODAY, False, S.PENDING, (reason,), (), (TO_SOURCE, TO_A)
        )
        silent = Transition(
            replace(row, last_sequence=2, stage=Stage.QUEUED_HOURS, status=S.PENDING),
            Stage.QUEUED_HOURS,
            AT,
            AT,
            TODAY,
            False,
        )
        await uow.statuses.write([queued])
        await uow.statuses.write([silent])
    assert (received.sequence, received.status, received.in_reply_to, received.correlation_id) == (
        1,
        S.RECEIVED,
        "M-1",
        "C-M-1",
    )
    async with store.read() as uow:
        mqtt = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        fix = await uow.statuses.pending(DeliveryChannel.FIX, 10)
        history = await uow.statuses.history(row.id)
        latest = await uow.statuses.latest(row.id)
        again = await uow.submissions.get(row.id)
    assert [(i.recipient, i.role, i.update.sequence, i.update.status) for i in mqtt] == [
        ("MARKITWIRE", RecipientRole.SOURCE, 1, S.RECEIVED),
        ("BANKA", RecipientRole.MEMBER, 1, S.RECEIVED),
        ("MARKITWIRE", RecipientRole.SOURCE, 2, S.PENDING),
        ("BANKA", RecipientRole.MEMBER, 2, S.PENDING),
    ]
    assert [(i.recipient, i.update.status) for i in fix] == [("BANKA_FIX", S.RECEIVED)]
    assert [(u.sequence, u.status, u.reasons) for u in history] == [
        (1, S.RECEIVED, ()),
        (2, S.PENDING, (reason,)),
    ]
    assert latest == history[-1]
    assert again is not None
    assert (again.stage, again.status, again.last_sequence) == (
        Stage.QUEUED_HOURS,
        S.PENDING,
        2,
    )
    await store.mark_delivered([mqtt[0].id, mqtt[2].id], AT)
    async with store.read() as uow:
        left = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        not_a = await uow.statuses.pending(DeliveryChannel.MQTT, 10, exclude=["BANKA"])
        first = await uow.statuses.pending(DeliveryChannel.MQTT, 1)
    assert [(i.recipient, i.update.sequence) for i in left] == [("BANKA", 1), ("BANKA", 2)]
    assert not_a == []
    assert [i.id for i in first] == [left[0].id]


async def test_a_status_recorded_without_a_stage_change_and_owed_again(store: ClearingStore) -> None:
    row = await one(store, new(aud_irs("T1")))
    async with store.begin() as uow:
        await uow.statuses.received([(row, AT, [TO_A])])
        update = await uow.statuses.record(
            row, S.WITHDRAWN, AT, [TO_A], reasons=[Issue(R.LIFE_RETRACTED, "x", "gone")]
        )
        await uow.statuses.owe_latest_again(row.id, TO_SOURCE, AT)
    assert (update.sequence, update.status, update.clearing_business_date) == (2, S.WITHDRAWN, None)
    async with store.read() as uow:
        items = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        stage = await uow.submissions.get(row.id)
    assert [(i.recipient, i.update.status) for i in items] == [
        ("BANKA", S.RECEIVED),
        ("BANKA", S.WITHDRAWN),
        ("MARKITWIRE", S.WITHDRAWN),
    ]
    assert stage is not None
    assert (stage.stage, stage.status, stage.last_sequence) == (
        Stage.RECEIVED,
        S.WITHDRAWN,
        2,
    )


async def test_a_failed_unit_of_work_leaves_nothing_behind(store: ClearingStore) -> None:
    async def write_then_fail() -> None:
        async with store.begin() as uow:
            (row,) = await uow.submissions.insert([new(aud_irs("T1"))])
            assert row is not None
            await uow.statuses.received([(row, AT, [TO_A])])
            await uow.accounts.reserve("BANKA", "HOUSE", "O-1", Decimal(10), TODAY, AT)
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        await write_then_fail()
    async with store.read() as uow:
        assert await uow.submissions.due(AT, open_now=True, limit=10) == []
        assert await uow.statuses.pending(DeliveryChannel.MQTT, 10) == []
        assert await uow.accounts.reservation("BANKA", "O-1") is None
    assert await one(store, new(aud_irs("T1"))) is not None  # the same keys are free


# ---------------------------------------------------------------- cleared trades


def cleared_rows(trade: Trade, prefix: str) -> list[ClearedRow]:
    ids = (f"{prefix}-1", f"{prefix}-2")
    out = []
    for (mid, party), ccp_id, c in zip(
        (("BANKA", LEI_A), ("BANKB", LEI_B)), ids, novate(trade, Party("CCP"), ids), strict=True
    ):
        terms = position_terms(c, party)
        out.append(
            ClearedRow(
                ccp_id,
                mid,
                "HOUSE",
                party,
                c,
                c.identifiers.uti,
                trade.product.value,
                terms.currency,
                terms.notional,
                terms.direction,
                terms.fixed_rate,
                terms.floating_index,
                terms.index_tenor,
                terms.spread,
                terms.effective_date,
                terms.maturity_date,
            )
        )
    return out


async def test_novated_trades_make_positions_and_the_cleared_status_carries_the_pair(
    store: ClearingStore,
) -> None:
    row = await one(store, new(aud_irs("T1")))
    rows = cleared_rows(row.trade, "CCP-X")
    async with store.begin() as uow:
        await uow.statuses.received([(row, AT, [])])
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
        done = Transition(
            row, Stage.CLEARED, AT, AT, TODAY, False, S.CLEARED, (), ("CCP-X-1", "CCP-X-2"), (TO_A,)
        )
        await uow.statuses.write([done])
    async with store.read() as uow:
        latest = await uow.statuses.latest(row.id)
        (item,) = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        assert await uow.cleared.ccp_trade_ids_of(row.id) == ["CCP-X-1", "CCP-X-2"]
        every = await uow.cleared.positions(None, None, TODAY)
        mine = await uow.cleared.positions("BANKB", "HOUSE", TODAY)
        before = await uow.cleared.positions(None, None, TODAY - timedelta(days=1))
        assert await uow.cleared.accounts(TODAY) == [("BANKA", "HOUSE"), ("BANKB", "HOUSE")]
        in_a = await uow.cleared.in_account("BANKA", "HOUSE", TODAY)
    assert latest.cleared == (rows[0].trade, rows[1].trade)
    assert latest.ccp_trade_ids == ("CCP-X-1", "CCP-X-2")
    assert item.update.cleared == latest.cleared
    assert [(p.trade_id, p.member, p.direction, p.status, p.npv) for p in every] == [
        ("CCP-X-1", "BANKA", "PAY", "CLEARED", None),
        ("CCP-X-2", "BANKB", "RECEIVE", "CLEARED", None),
    ]
    assert [p.trade_id for p in mine] == ["CCP-X-2"]
    assert before == []
    assert [(i, p, t) for i, p, t in in_a] == [("CCP-X-1", LEI_A, rows[0].trade)]


async def test_a_compression_residual_is_one_side_cleared_in_its_own_submission(store: ClearingStore) -> None:
    """What a compression writes of a residual: a submission of the CCP's run with one member (A) and one
    cleared side (A-CCP), stored CLEARED with its statuses owed to nobody; it makes A's one position."""
    residual = novate(aud_irs("R1"), Party("CCP"), ("CCP-R-1", "CCP-R-2"))[0]
    news = NewSubmission(
        Submission(Channel.CLI, "CCP", "RUN-1/CCP-R-1", AT, residual), "BANKA", None, TODAY, AT
    )
    row = await one(store, news)
    terms = position_terms(residual, LEI_A)
    side = ClearedRow(
        "CCP-R-1", "BANKA", "HOUSE", LEI_A, residual, residual.identifiers.uti, residual.product.value,
        terms.currency, terms.notional, terms.direction, terms.fixed_rate, terms.floating_index,
        terms.index_tenor, terms.spread, terms.effective_date, terms.maturity_date,
    )  # fmt: skip
    async with store.begin() as uow:
        await uow.submissions.set_stage(row.id, Stage.CLEARED, AT, business_date=TODAY)
        await uow.cleared.insert([(row.id, side)], {row.id: TODAY}, AT)
        await uow.statuses.received([(row, AT, ())])
        cleared = await uow.submissions.get(row.id)
        assert cleared is not None
        await uow.statuses.record(cleared, S.CLEARED, AT, (), business_date=TODAY)
    async with store.read() as uow:
        got = await uow.submissions.get(row.id)
        sides = await uow.cleared.sides(row.id)
        history = await uow.statuses.history(row.id)
        positions = await uow.cleared.positions(None, None, TODAY)
        assert await uow.statuses.pending(DeliveryChannel.MQTT, 10) == []
        assert await uow.cleared.submission_of("CCP-R-1") == row.id
    assert got is not None
    assert (got.stage, got.member_a, got.member_b, got.members) == (Stage.CLEARED, "BANKA", None, ("BANKA",))
    assert [(s.ccp_trade_id, s.member_id, s.status) for s in sides] == [
        ("CCP-R-1", "BANKA", PositionStatus.CLEARED)
    ]
    assert [u.status for u in history] == [S.RECEIVED, S.CLEARED]
    assert [(p.trade_id, p.member, p.notional) for p in positions] == [
        ("CCP-R-1", "BANKA", Decimal(10_000_000))
    ]


async def test_revalued_and_matured_trades(store: ClearingStore) -> None:
    row = await one(store, new(aud_irs("T1", years=1)))
    rows = cleared_rows(row.trade, "CCP-Y")
    maturity = rows[0].maturity_date
    async with store.begin() as uow:
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
        await uow.cleared.set_npvs([("CCP-Y-1", Decimal("12.5")), ("CCP-Y-2", None)])
        assert await uow.cleared.mature(maturity - timedelta(days=1)) == 0
        assert await uow.cleared.mature(maturity) == 2
    async with store.read() as uow:
        positions = await uow.cleared.positions(None, None, maturity)
        assert await uow.cleared.accounts(maturity) == []  # matured: no longer revalued
    assert [(p.trade_id, p.status, p.npv) for p in positions] == [
        ("CCP-Y-1", "MATURED", Decimal("12.5")),
        ("CCP-Y-2", "MATURED", None),
    ]


# ---------------------------------------------------------------- lifecycle events


def _event_request(message_id: str, outstanding: int) -> EventRequest:
    terms = EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id="CCP-E-1"),
        parties=(LEI_A, LEI_B),
        agreement_date=TODAY,
        effective_date=TODAY,
        notional=NotionalChange(
            Money(Decimal(10_000_000 - outstanding), "AUD"), Money(Decimal(outstanding), "AUD")
        ),
        fee=Fee(LEI_A, LEI_B, Money(Decimal("10.5"), "AUD"), TODAY),
    )
    return EventRequest(Channel.MQTT_FPML, "SEF1", message_id, AT, terms, "EC-1", b"<requestConfirmation/>")


async def test_an_event_changes_the_sides_and_its_statuses_join_the_trades_history(
    store: ClearingStore,
) -> None:
    row = await one(store, new(aud_irs("T1")))
    rows = cleared_rows(row.trade, "CCP-E")
    async with store.begin() as uow:
        await uow.statuses.received([(row, AT, [])])
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
        done = Transition(row, Stage.CLEARED, AT, AT, TODAY, False, S.CLEARED, (), ("CCP-E-1", "CCP-E-2"))
        await uow.statuses.write([done])
    async with store.begin() as uow:
        assert await uow.cleared.submission_of("CCP-E-2") == row.id
        assert await uow.cleared.submission_of("CCP-NONE") is None
        sides = await uow.cleared.sides(row.id, lock=True)
        assert [(x.ccp_trade_id, x.member_id, x.party_id, x.notional, x.status) for x in sides] == [
            ("CCP-E-1", "BANKA", LEI_A, Decimal(10_000_000), PositionStatus.CLEARED),
            ("CCP-E-2", "BANKB", LEI_B, Decimal(10_000_000), PositionStatus.CLEARED),
        ]
        smaller = [replace(x, notional=Decimal(4_000_000), trade=resized(x.trade)) for x in sides]
        await uow.cleared.update_sides(smaller)
        request = _event_request("EVT-1", 4_000_000)
        effect = EventEffect(Decimal(10_000_000), Decimal(4_000_000), "AUD")
        pair = (smaller[0].trade, smaller[1].trade)
        stored = await uow.events.insert(
            request, row.id, EventOutcome.CONFIRMED, ("CCP-E-1", "CCP-E-2"), pair, effect, AT
        )
        sub = await uow.submissions.get(row.id)
        assert sub is not None
        told = await uow.statuses.record_event(
            sub, stored, [(S.RECEIVED, ()), (S.CLEARED, ())], AT, [TO_SOURCE_SEF, TO_A]
        )
    assert [(u.sequence, u.status, u.in_reply_to, u.correlation_id) for u in told] == [
        (3, S.RECEIVED, "EVT-1", "EC-1"),
        (4, S.CLEARED, "EVT-1", "EC-1"),
    ]
    async with store.read() as uow:
        found = await uow.events.find("SEF1", "EVT-1")
        assert await uow.events.find("SEF1", "EVT-2") is None
        assert await uow.events.find("MARKITWIRE", "EVT-1") is None
        history = await uow.statuses.history(row.id)
        latest = await uow.statuses.latest(row.id)
        owed = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        positions = await uow.cleared.positions(None, None, TODAY)
        sub = await uow.submissions.get(row.id)
    assert found is not None
    assert found.note == stored.note
    assert found.note.terms == request.terms
    assert found.note.cleared == pair
    assert (found.submission_id, found.message_id, found.correlation_id) == (row.id, "EVT-1", "EC-1")
    assert [(u.status, u.event is not None) for u in history] == [
        (S.RECEIVED, False),
        (S.CLEARED, False),
        (S.RECEIVED, True),
        (S.CLEARED, True),
    ]
    assert history[-1].event == stored.note
    assert (latest.status, latest.event) == (S.CLEARED, None)  # the trade's own workflow: still cleared
    assert sub is not None
    assert (sub.status, sub.last_sequence) == (S.CLEARED, 4)
    assert [(i.recipient, i.update.status, i.update.in_reply_to) for i in owed] == [
        ("SEF1", S.RECEIVED, "EVT-1"),
        ("BANKA", S.RECEIVED, "EVT-1"),
        ("SEF1", S.CLEARED, "EVT-1"),
        ("BANKA", S.CLEARED, "EVT-1"),
    ]
    assert all(i.update.event == stored.note for i in owed)
    assert [(p.trade_id, p.notional) for p in positions] == [
        ("CCP-E-1", Decimal(4_000_000)),
        ("CCP-E-2", Decimal(4_000_000)),
    ]


async def test_an_event_is_owed_again_and_a_terminated_side_leaves_the_positions(
    store: ClearingStore,
) -> None:
    row = await one(store, new(aud_irs("T1")))
    rows = cleared_rows(row.trade, "CCP-E")
    async with store.begin() as uow:
        await uow.statuses.received([(row, AT, [])])
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
        sides = await uow.cleared.sides(row.id)
        ended = [replace(x, notional=Decimal(0), status=PositionStatus.TERMINATED) for x in sides]
        await uow.cleared.update_sides(ended)
        stored = await uow.events.insert(
            _event_request("EVT-9", 0),
            row.id,
            EventOutcome.CONFIRMED,
            ("CCP-E-1", "CCP-E-2"),
            (sides[0].trade, sides[1].trade),
            EventEffect(Decimal(10_000_000), Decimal(0), "AUD"),
            AT,
        )
        await uow.statuses.record_event(row, stored, [(S.RECEIVED, ()), (S.CLEARED, ())], AT, [])
    async with store.begin() as uow:
        await uow.statuses.owe_event_again(stored.note.event_id, TO_SOURCE_SEF, AT)
        await uow.statuses.owe_latest_again(row.id, TO_SOURCE, AT)
    async with store.read() as uow:
        owed = await uow.statuses.pending(DeliveryChannel.MQTT, 10)
        positions = await uow.cleared.positions(None, None, TODAY)
        after = await uow.cleared.sides(row.id)
    # the event's last status to its source; the submission's own (Received) to the trade's source
    assert [(i.recipient, i.update.status, i.update.event is not None) for i in owed] == [
        ("SEF1", S.CLEARED, True),
        ("MARKITWIRE", S.RECEIVED, False),
    ]
    assert positions == []
    assert [(x.status, x.notional) for x in after] == [(PositionStatus.TERMINATED, Decimal(0))] * 2


async def test_a_second_event_with_a_known_message_id_is_refused_by_the_store(store: ClearingStore) -> None:
    row = await one(store, new(aud_irs("T1")))
    rows = cleared_rows(row.trade, "CCP-E")
    async with store.begin() as uow:
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
    pair = (rows[0].trade, rows[1].trade)
    async with store.begin() as uow:
        await uow.events.insert(
            _event_request("EVT-1", 0), row.id, EventOutcome.REFUSED, ("CCP-E-1", "CCP-E-2"), pair, None, AT
        )
    with pytest.raises(Exception, match=r"(?i)unique|known"):
        async with store.begin() as uow:
            await uow.events.insert(
                _event_request("EVT-1", 0),
                row.id,
                EventOutcome.REFUSED,
                ("CCP-E-1", "CCP-E-2"),
                pair,
                None,
                AT,
            )


async def test_a_proposed_event_is_listed_until_it_is_settled(store: ClearingStore) -> None:
    """A lifecycle event proposed over FIX waits as PROPOSED (listed, with when it arrived, by its message
    id) until its answer settles it with the terms as agreed and its effect."""
    row = await one(store, new(aud_irs("T1")))
    rows = cleared_rows(row.trade, "CCP-P")
    async with store.begin() as uow:
        await uow.cleared.insert([(row.id, r) for r in rows], {row.id: TODAY}, AT)
    pair = (rows[0].trade, rows[1].trade)
    ids = ("CCP-P-1", "CCP-P-2")
    async with store.begin() as uow:
        first = await uow.events.insert(
            _event_request("P-1", 4_000_000), row.id, EventOutcome.PROPOSED, ids, pair, None, AT
        )
        await uow.events.insert(
            _event_request("P-2", 3_000_000), row.id, EventOutcome.PROPOSED, ids, pair, None, AT
        )
    async with store.begin() as uow:
        assert [(e.message_id, at) for e, at in await uow.events.proposed()] == [("P-1", AT), ("P-2", AT)]
        (only,) = await uow.events.proposed(message_id="P-1", lock=True)
        agreed = replace(only[0].note.terms, parties=(*only[0].note.terms.parties, "AGREED"))
        effect = EventEffect(Decimal(5_000_000), Decimal(4_000_000), "AUD")
        settled = await uow.events.settle_proposal(
            only[0], agreed, EventOutcome.CONFIRMED, ids, pair, effect, AT
        )
        assert (settled.note.event_id, settled.note.outcome) == (first.note.event_id, EventOutcome.CONFIRMED)
    async with store.begin() as uow:
        assert [e.message_id for e, _ in await uow.events.proposed()] == ["P-2"]
        found = await uow.events.find("SEF1", "P-1")
        assert found is not None
        assert (found.note.outcome, found.note.effect, found.note.terms.parties[-1]) == (
            EventOutcome.CONFIRMED,
            effect,
            "AGREED",
        )


def resized(trade: Trade) -> Trade:
    return replace(trade, streams=tuple(replace(x, notional=Decimal(4_000_000)) for x in trade.streams))


# ---------------------------------------------------------------- members, risk and reservations


async def test_members_are_found_by_id_or_party_with_their_sessions(store: ClearingStore) -> None:
    async with store.read() as uow:
        by_id = await uow.accounts.member("BANKA")
        by_lei = await uow.accounts.member(LEI_A)
        assert by_id is not None
        assert by_lei is not None
        assert by_id.member_id == by_lei.member_id == "BANKA"
        assert await uow.accounts.member("NOBODY") is None
        assert await uow.accounts.member_by_party(LEI_C) is None
        found = await uow.accounts.members_by_party([LEI_A, LEI_B, LEI_C])
        assert {p: m.member_id for p, m in found.items()} == {LEI_A: "BANKA", LEI_B: "BANKB"}
        members, comps = await uow.accounts.parties_and_comp_ids([LEI_A, LEI_B, LEI_C])
        assert members == {LEI_A: "BANKA", LEI_B: "BANKB"}
        assert comps.get("BANKA") == ["BANKA_FIX", "BANKA_FIX2"]
        assert comps.get("BANKB", []) == []
        assert await uow.accounts.comp_ids_by_member(["BANKA", "BANKB"]) == {
            "BANKA": ["BANKA_FIX", "BANKA_FIX2"],
            "BANKB": [],
        }
        assert await uow.accounts.tolerance_pool() == {"AUD": Decimal(10_000_000)}


async def test_risk_state_and_credit_figures(store: ClearingStore) -> None:
    state = RiskRow(Decimal(250_000), b"\x01\x02", 1)
    async with store.begin() as uow:
        assert await uow.accounts.risk("BANKA", "HOUSE") == RiskRow(Decimal(0), None, 0)
        await uow.accounts.put_risk_many({("BANKA", "HOUSE"): state}, [], AT)
        await uow.accounts.reserve("BANKA", "CLIENT1", "O-1", Decimal(1_000), TODAY, AT)
        await uow.accounts.reserve("BANKA", "CLIENT1", "O-2", Decimal(500), TODAY, AT)
    async with store.begin() as uow:
        assert await uow.accounts.risk_many([("BANKA", "HOUSE"), ("BANKB", "HOUSE")], lock=True) == {
            ("BANKA", "HOUSE"): state
        }
        later = RiskRow(Decimal(300_000), b"\x03", 2)
        await uow.accounts.put_risk_many({("BANKA", "HOUSE"): later}, [("BANKA", "HOUSE")], AT)
        await uow.accounts.put_risk("BANKB", "HOUSE", state, AT)
    async with store.read() as uow:
        assert await uow.accounts.risk("BANKA", "HOUSE") == later
        assert await uow.accounts.risk("BANKB", "HOUSE") == state
        figures = await uow.accounts.figures(["BANKA", "BANKB"])
    a = figures["BANKA"]
    assert a.margins == {"HOUSE": Decimal(300_000)}
    assert [(h.asset_id, h.quantity) for h in a.holdings["HOUSE"]] == [("AUD", Decimal(5_000_000))]
    assert a.reserved == {"CLIENT1": Decimal(1_500)}
    assert (figures["BANKB"].holdings, figures["BANKB"].reserved) == ({}, {})


async def test_reservations_are_held_released_and_expired(store: ClearingStore) -> None:
    async with store.begin() as uow:
        await uow.accounts.reserve("BANKA", "HOUSE", "O-1", Decimal(1_000), TODAY, AT)
        await uow.accounts.reserve("BANKA", "HOUSE", "O-2", Decimal(2_000), TODAY + timedelta(days=1), AT)
    async with store.begin() as uow:
        assert await uow.accounts.reservation("BANKA", "O-1") == Decimal(1_000)
        assert await uow.accounts.release("BANKA", "O-1") is True
        assert await uow.accounts.release("BANKA", "O-1") is False
        assert await uow.accounts.expire_reservations(TODAY) == 0
        assert await uow.accounts.expire_reservations(TODAY + timedelta(days=1)) == 1
        assert await uow.accounts.reservation("BANKA", "O-2") is None


def test_identifiers_too_long_for_the_store_are_named(store: ClearingStore) -> None:
    long = replace(aud_irs("T1"), identifiers=replace(aud_irs("T1").identifiers, source_trade_id="X" * 500))
    issues = store.oversized(submission(long))
    assert [(i.code, i.path) for i in issues] == [(R.FPML_INVALID_VALUE, "tradeHeader.tradeId")]
    assert store.oversized(submission(aud_irs("T1"))) == []


# ---------------------------------------------------------------- positions: the SQL view and the memory store


async def _clear_a_book(store: ClearingStore) -> date:
    """Three trades cleared over two days, one in a client account, revalued, one matured; its maturity."""
    t1 = await one(store, new(aud_irs("T1"), "M-1"))
    t2 = await one(
        store, new(aud_irs("T2", years=1, notional=Decimal("25000000.5"), fixed_payer=LEI_B), "M-2")
    )
    t3 = await one(store, new(aud_irs("T3", years=2), "M-3"))
    first, second = cleared_rows(t2.trade, "CCP-B")
    rows = [
        *((t1.id, r) for r in cleared_rows(t1.trade, "CCP-A")),
        (t2.id, replace(first, account_id="CLIENT1")),
        (t2.id, second),
        *((t3.id, r) for r in cleared_rows(t3.trade, "CCP-C")),
    ]
    maturity = first.maturity_date
    async with store.begin() as uow:
        await uow.cleared.insert(rows, {t1.id: TODAY, t2.id: TODAY, t3.id: TODAY + timedelta(days=1)}, AT)
        await uow.cleared.set_npvs([("CCP-A-1", Decimal("-15234.17")), ("CCP-B-1", Decimal("0.000001"))])
        assert await uow.cleared.mature(maturity) == 2
    return maturity


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_positions_read_from_the_view_are_the_memory_stores_for_the_same_cleared_trades(
    store: ClearingStore,
) -> None:
    memory = MemoryClearingStore()
    for m in (BANKA, BANKB):
        memory.add_member(m)
    maturity = await _clear_a_book(store)
    assert await _clear_a_book(memory) == maturity
    days = (
        TODAY - timedelta(days=1),
        TODAY,
        TODAY + timedelta(days=1),
        maturity,
        maturity + timedelta(days=1),
    )
    scopes = ((None, None), ("BANKA", None), ("BANKA", "CLIENT1"), ("BANKB", "HOUSE"), ("NOBODY", None))
    seen = []
    for day in days:
        for member_id, account_id in scopes:
            async with store.read() as uow:
                from_view = await uow.cleared.positions(member_id, account_id, day)
            async with memory.read() as uow:
                in_memory = await uow.cleared.positions(member_id, account_id, day)
            assert from_view == in_memory, (day, member_id, account_id)
            seen.extend(from_view)
    async with store.read() as uow:
        today = await uow.cleared.positions(None, None, TODAY)
        at_maturity = await uow.cleared.positions(None, None, maturity)
    assert [(p.trade_id, p.member, p.account, p.direction, p.npv) for p in today] == [
        ("CCP-B-1", "BANKA", "CLIENT1", "RECEIVE", Decimal("0.000001")),
        ("CCP-A-1", "BANKA", "HOUSE", "PAY", Decimal("-15234.17")),
        ("CCP-A-2", "BANKB", "HOUSE", "RECEIVE", None),
        ("CCP-B-2", "BANKB", "HOUSE", "PAY", None),
    ]
    assert today[0].notional == Decimal("25000000.5")
    assert [(p.trade_id, p.status) for p in at_maturity if p.trade_id.startswith("CCP-B")] == [
        ("CCP-B-1", "MATURED"),
        ("CCP-B-2", "MATURED"),
    ]
    assert {p.trade_id for p in seen} == {f"CCP-{x}-{n}" for x in "ABC" for n in (1, 2)}
