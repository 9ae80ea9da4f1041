"""A compression run through the clearing service, on the memory store, SQLite and PostgreSQL: the member's
sides end TERMINATED with a COMPRESSION event and statuses owed to the member, each residual is a cleared
trade of the member facing the CCP on a new CCP trade id, the other member's sides are untouched, the
account's risk follows; a refused or dry run writes nothing. Valued by the risk engine on a synthetic
market; the margin model is the linear stand-in of tests/clearing/doubles.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fpml_schemas import load_schema
from gateway.clearing.compression import EngineValuer
from gateway.domain.clearing import DeliveryChannel
from gateway.domain.compression import CompressionRequest
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.enums import PositionStatus
from gateway.domain.errors import GatewayError
from gateway.domain.events import EventKind
from gateway.domain.reasons import ReasonCode as R
from gateway.formats.fpml.write import status_update_to_fpml
from gateway.formats.fpml.write.parties import CcpIdentity
from gateway.risk import RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from gateway.store import tables as t
from gateway.store.clearing_store import SqlClearingStore
from tests.clearing.conftest import TODAY, aud_irs
from tests.clearing.doubles import LinearMargin
from tests.clearing.test_trade_events import Desk, OpenDesk, backend, open_desk
from tests.formats.fpml.write.conftest import SchemaCheck, assert_valid
from tests.strategies import LEI_A, LEI_B

__all__ = ["assert_valid", "backend", "open_desk"]
NS = {"f": "http://www.fpml.org/FpML-5/confirmation"}


@pytest.fixture(scope="module")
def valuer(tmp_path_factory: pytest.TempPathFactory) -> EngineValuer:
    out: Path = tmp_path_factory.mktemp("compression-run-market")
    write_market(out, TODAY, seed=5, days=1300)
    return EngineValuer(RiskEngine(load_market(out)))


def ask(*ids: str, run: str = "RUN-1", consenting: tuple[str, ...] = ()) -> CompressionRequest:
    return CompressionRequest(run, "BANKA", "HOUSE", "CCP", ids or None, consenting)


async def three_trades(desk: Desk) -> list[tuple[str, str]]:
    """A pays 10m 6y, receives 6m 6y, pays 4m 12y, receives 3m 12y (all against B)."""
    out = []
    specs = ((LEI_A, 10, 6), (LEI_B, 6, 6), (LEI_A, 4, 12), (LEI_B, 3, 12))
    for n, (payer, notional, years) in enumerate(specs, 1):
        _, ids = await desk.clear(
            aud_irs(f"T{n}", notional=Decimal(notional * 1_000_000), years=years, fixed_payer=payer)
        )
        out.append(ids)
    return out


async def test_a_compression_terminates_the_members_sides_and_creates_residuals(
    open_desk: OpenDesk, valuer: EngineValuer
) -> None:
    desk = await open_desk()
    trades = await three_trades(desk)
    margin_before = await desk.margin("BANKA")
    b_before = await desk.notionals("BANKB")

    result = await desk.svc.compress(ask(run="RUN-ALL"), valuer)

    assert {s.ccp_trade_id for s in result.terminated} == {a for a, _ in trades}
    assert len(result.created) == 2  # the 6y bucket nets to 4m paid, the 12y bucket to 1m paid
    positions = {p.trade_id: p for p in await desk.svc.positions("BANKA", None, TODAY)}
    assert set(positions) == {r.ccp_trade_id for r in result.created}
    for r in result.created:
        assert positions[r.ccp_trade_id].notional == r.trade.streams[0].notional
    assert sum(p.notional for p in positions.values()) < Decimal(23_000_000) / 3
    assert await desk.notionals("BANKB") == b_before  # the counterparty's sides face the CCP as before
    model, pnl, expected = LinearMargin(), None, Decimal(0)  # the account now holds the residuals alone
    for r in result.created:
        impact = model.margin_impact(r.trade, r.party_id, "AUD", pnl, TODAY)
        pnl, expected = impact.pnl_after, impact.margin_after
    assert margin_before > 0
    assert abs(await desk.margin("BANKA") - expected) <= Decimal("0.05")
    async with desk.store.read() as uow:
        assert (await uow.accounts.risk("BANKA", "HOUSE")).trade_count == 2

    async with desk.store.read() as uow:
        row = await uow.cleared.submission_of(trades[0][0])
        assert row is not None
        sides = await uow.cleared.sides(row)
        history = await uow.statuses.history(row)
    assert [s.status for s in sides] == [PositionStatus.TERMINATED, PositionStatus.CLEARED]
    told = [u for u in history if u.event is not None]
    assert [u.status for u in told] == [S.RECEIVED, S.CLEARED]
    assert told[-1].event is not None
    assert told[-1].event.terms.kind is EventKind.COMPRESSION
    items = await desk.svc.pending(DeliveryChannel.MQTT, 1000)
    compression_items = [
        i for i in items if i.update.event is not None and i.update.event.terms.kind is EventKind.COMPRESSION
    ]
    assert {i.recipient for i in compression_items} == {"BANKA"}
    # four trades, Received and Cleared each; each residual's Cleared, naming the trades it replaces
    assert len(compression_items) == 10
    by_residual = {
        i.update.event.terms.trade.ccp_trade_id: i.update.event.terms.originating
        for i in compression_items
        if i.update.event is not None and i.update.event.terms.originating
    }
    assert set(by_residual) == {r.ccp_trade_id for r in result.created}
    assert sorted(i for ids in by_residual.values() for i in ids) == sorted(a for a, _ in trades)
    replaced = {
        i.update.event.terms.trade.ccp_trade_id: i.update.event.terms.replacement
        for i in compression_items
        if i.update.event is not None
        and i.update.status is S.CLEARED
        and not i.update.event.terms.originating
    }
    for residual, ids in by_residual.items():  # each terminated trade names the residual of its bucket
        assert all(replaced[i] is not None and replaced[i].trade_id == residual for i in ids)

    if isinstance(desk.store, SqlClearingStore):  # one COMPRESSION row per trade in trade_events
        async with desk.store.engine.connect() as conn:
            kinds = (
                await conn.execute(
                    select(t.trade_events.c.kind, func.count()).group_by(t.trade_events.c.kind)
                )
            ).all()
        assert dict(kinds) == {EventKind.COMPRESSION.value: 6}  # four trades terminated, two residuals


async def test_the_member_is_told_with_valid_fpml_and_a_residual_compresses_again(
    open_desk: OpenDesk, valuer: EngineValuer, assert_valid: SchemaCheck
) -> None:
    """Each terminated trade's statuses reach the member as an acknowledgement then a ``clearingConfirmed``
    carrying the ``termination`` of its own side (valid FpML and our profile); a residual is a trade of the
    member like any other: a later run may compress it with new trades."""
    desk = await open_desk()
    trades = await three_trades(desk)
    first = await desk.svc.compress(ask(trades[0][0], trades[1][0], run="RUN-A"), valuer)
    told = [i for i in await desk.svc.pending(DeliveryChannel.MQTT, 1000) if i.update.event is not None]
    items = [i for i in told if i.update.event is not None and not i.update.event.terms.originating]
    assert len(items) == 4
    ccp = CcpIdentity("CCP", name="Central Counterparty")
    (residual,) = first.created
    (created,) = [i for i in told if i not in items]  # the residual's clearingConfirmed
    doc = status_update_to_fpml(
        created.update, ccp=ccp, recipient=created.recipient, member_party=LEI_A, pretty=False
    )
    root = assert_valid(doc)
    assert load_schema(profile=True).check(root) is None
    assert root.xpath("string(/f:clearingConfirmed/f:originatingEvent)", namespaces=NS) == "Compression"
    originating = "/f:clearingConfirmed/f:compressionActivity/f:originatingTradeIdentifier/f:tradeId/text()"
    assert sorted(root.xpath(originating, namespaces=NS)) == sorted([trades[0][0], trades[1][0]])
    assert residual.ccp_trade_id in root.xpath("//f:partyTradeIdentifier/f:tradeId/text()", namespaces=NS)
    for item in items:
        doc = status_update_to_fpml(
            item.update, ccp=ccp, recipient=item.recipient, member_party=LEI_A, pretty=False
        )
        root = assert_valid(doc)
        assert load_schema(profile=True).check(root) is None
        ids = root.xpath("//f:tradeId[not(ancestor::f:compressionActivity)]/text()", namespaces=NS)
        assert item.update.event is not None
        assert set(ids) == {s for s in item.update.event.ccp_trade_ids if s in (trades[0][0], trades[1][0])}
        if item.update.status is S.CLEARED:
            assert root.xpath("local-name(/*)") == "clearingConfirmed"
            assert (
                root.xpath("string(//f:termination/f:outstandingNotionalAmount/f:amount)", namespaces=NS)
                == "0"
            )
            replacement = "string(//f:compressionActivity/f:replacementTradeIdentifier/f:tradeId)"
            assert root.xpath(replacement, namespaces=NS) == residual.ccp_trade_id

    _, (late, _) = await desk.clear(aud_irs("T9", notional=Decimal(2_000_000), years=6))
    second = await desk.svc.compress(ask(residual.ccp_trade_id, late, run="RUN-B"), valuer)
    assert {s.ccp_trade_id for s in second.terminated} == {residual.ccp_trade_id, late}
    (again,) = second.created  # about 6m paid: the residual's 4m and the new 2m
    assert Decimal(5_500_000) < again.trade.streams[0].notional < Decimal(6_500_000)
    live = await desk.notionals("BANKA")
    assert set(live) == {again.ccp_trade_id, trades[2][0], trades[3][0]}


async def test_after_a_compresses_b_compresses_its_own_sides_of_the_same_trades(
    open_desk: OpenDesk, valuer: EngineValuer
) -> None:
    desk = await open_desk()
    trades = await three_trades(desk)
    await desk.svc.compress(ask(run="RUN-A"), valuer)
    b_run = CompressionRequest("RUN-B", "BANKB", "HOUSE", "CCP")
    result = await desk.svc.compress(b_run, valuer)
    assert {s.ccp_trade_id for s in result.terminated} == {b for _, b in trades}
    assert set(await desk.notionals("BANKB")) == {r.ccp_trade_id for r in result.created}
    for r in result.created:  # B's residuals face the CCP on B's side
        assert {p.party_id for p in r.trade.parties} == {LEI_B, "CCP"}


async def test_a_trade_alone_in_its_bucket_is_left_untouched(
    open_desk: OpenDesk, valuer: EngineValuer
) -> None:
    desk = await open_desk()
    trades = await three_trades(desk)
    result = await desk.svc.compress(ask(trades[0][0], trades[1][0], trades[2][0]), valuer)
    assert {s.ccp_trade_id for s in result.terminated} == {trades[0][0], trades[1][0]}
    live = await desk.notionals("BANKA")
    assert live[trades[2][0]] == Decimal(4_000_000)
    async with desk.store.read() as uow:
        row = await uow.cleared.submission_of(trades[2][0])
        assert row is not None
        assert all(u.event is None for u in await uow.statuses.history(row))


async def test_a_dry_run_and_a_refused_run_write_nothing(open_desk: OpenDesk, valuer: EngineValuer) -> None:
    desk = await open_desk()
    trades = await three_trades(desk)
    before = await desk.notionals("BANKA")

    dry = await desk.svc.compress(ask(trades[0][0], trades[1][0]), valuer, dry_run=True)
    assert len(dry.created) == 1
    assert await desk.notionals("BANKA") == before

    with pytest.raises(GatewayError) as exc:
        await desk.svc.compress(ask(trades[0][0], trades[1][1]), valuer)  # B's side of trade 2
    assert {i.code for i in exc.value.issues} == {R.COMP_CONSENT_MISSING}
    with pytest.raises(GatewayError) as exc:
        await desk.svc.compress(ask(trades[0][0], "CCP-NO-SUCH"), valuer)
    assert {i.code for i in exc.value.issues} == {R.LIFE_TRADE_UNKNOWN}
    assert await desk.notionals("BANKA") == before

    await desk.svc.compress(ask(trades[0][0], trades[1][0], run="RUN-ONCE"), valuer)
    after = await desk.notionals("BANKA")
    with pytest.raises(GatewayError) as exc:  # a run id names one run: its residuals' ids derive from it
        await desk.svc.compress(ask(trades[2][0], trades[3][0], run="RUN-ONCE"), valuer)
    assert {i.code for i in exc.value.issues} == {R.REF_ALREADY_EXISTS}
    assert await desk.notionals("BANKA") == after


async def test_with_the_counterpartys_consent_a_trade_ends_on_both_sides(
    open_desk: OpenDesk, valuer: EngineValuer
) -> None:
    desk = await open_desk()
    trades = await three_trades(desk)
    result = await desk.svc.compress(
        ask(trades[0][0], trades[1][0], trades[2][1], consenting=("BANKB",)), valuer
    )
    ended = {s.ccp_trade_id for s in result.terminated}
    assert ended == {trades[0][0], trades[1][0], *trades[2]}  # trade 3 ends on both sides
    assert trades[2][1] not in await desk.notionals("BANKB")
    assert trades[0][1] in await desk.notionals("BANKB")
    assert len(result.created) == 1
