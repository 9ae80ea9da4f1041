"""Economic amendments end to end: requestConfirmation carrying amendment over the real Mosquitto, the
clearing core on SQLite and PostgreSQL, the statuses on the source's and both members' topics, and the
database (cleared sides, positions view, trade_events) as the amendment left it."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from gateway.admin.reference import cash
from gateway.domain.enums import ProductClass
from gateway.domain.events import EventKind, EventTerms, TradeRef
from gateway.domain.trade import Party, Trade
from gateway.formats.fpml.read import FpmlOptions, parse_fpml
from gateway.store import tables as t
from tests.app.test_gateway import Running, running, store_url
from tests.app.test_lifecycle import NS, _answers, _texts, cleared
from tests.clearing.conftest import TODAY, aud_irs
from tests.strategies import LEI_A, LEI_B
from tools.demo.requests import request_amendment

__all__ = ["store_url"]
pytestmark = pytest.mark.mosquitto


def with_rate(trade: Trade, rate: str) -> Trade:
    streams = tuple(
        s if s.fixed_rate is None else dataclasses.replace(s, fixed_rate=Decimal(rate)) for s in trade.streams
    )
    return dataclasses.replace(trade, streams=streams)


async def amend(r: Running, amended: Trade, *, message_id: str) -> bytes:
    """Send the amendment of the cleared trade ``amended`` names by its source trade id; the request sent."""
    terms = EventTerms(
        kind=EventKind.AMENDMENT,
        trade=TradeRef(source_trade_id=amended.identifiers.source_trade_id),
        parties=(LEI_A, LEI_B),
        agreement_date=TODAY,
        effective_date=date(2026, 1, 12),
        notional=None,
        amended=amended,
    )
    payload = request_amendment(
        terms, (Party(LEI_A), Party(LEI_B)), source=r.source, message_id=message_id, at=r.clock.now()
    )
    await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
    return payload


async def answered(r: Running, message_id: str, final: str) -> None:
    await r.inbox.wait_for(
        lambda _: all(
            [m.kind for m in _answers(r, who, message_id)] == ["clearingAcknowledgement", final]
            for who in (r.source, r.bank_a, r.bank_b)
        )
    )


async def test_an_amended_fixed_rate_is_confirmed_with_the_new_trade_on_new_ccp_trade_ids(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, b_id = await cleared(r, "T-AMD")
        request = await amend(r, with_rate(aud_irs("T-AMD", version=2), "0.0410"), message_id="EVT-AMD")
        assert "clearing-profile" in parse_fpml(request, options=FpmlOptions(profile=True)).schema
        await answered(r, "EVT-AMD", "clearingConfirmed")
        async with r.gateway.engine.connect() as conn:
            sides = (
                await conn.execute(
                    select(t.cleared_trades.c.ccp_trade_id, t.cleared_trades.c.status).order_by(
                        t.cleared_trades.c.ccp_trade_id
                    )
                )
            ).all()
            event = (
                await conn.execute(
                    select(
                        t.trade_events.c.kind,
                        t.trade_events.c.outcome,
                        t.trade_events.c.ccp_trade_ids,
                        t.trade_events.c.notional_before,
                        t.trade_events.c.notional_after,
                    )
                )
            ).one()
            positions = (
                await conn.execute(text("SELECT trade_id, fixed_rate FROM ccp_positions ORDER BY trade_id"))
            ).all()
        new_a, new_b = (s.ccp_trade_id for s in sides if s.status == "CLEARED")
        assert [tuple(s) for s in sides] == [
            (a_id, "TERMINATED"),
            (b_id, "TERMINATED"),
            (new_a, "CLEARED"),
            (new_b, "CLEARED"),
        ]
        assert new_a.startswith(a_id[:-1] + "A1-")
        assert (event.kind, event.outcome, event.notional_before, event.notional_after) == (
            "Amendment",
            "CONFIRMED",
            Decimal(10_000_000),
            Decimal(10_000_000),
        )
        assert json.loads(event.ccp_trade_ids) == [new_a, new_b, a_id, b_id]  # the new ids, then the old
        assert [(p.trade_id, Decimal(str(p.fixed_rate))) for p in positions] == [
            (new_a, Decimal("0.041")),
            (new_b, Decimal("0.041")),
        ]
        ids = "/f:clearingConfirmed/f:trade/f:tradeHeader/f:partyTradeIdentifier/f:tradeId/text()"
        rate = "//f:fixedRateSchedule/f:initialValue/text()"
        for who, held in ((r.source, [new_a, new_b]), (r.bank_a, [new_a]), (r.bank_b, [new_b])):
            confirmed = _answers(r, who, "EVT-AMD")[-1]
            assert _texts(confirmed, "/f:clearingConfirmed/f:originatingEvent/text()") == ["Amendment"], who
            assert [Decimal(x) for x in _texts(confirmed, rate)] == [Decimal("0.041")], who
            assert [i for i in _texts(confirmed, ids) if i in (a_id, b_id, new_a, new_b)] == held, who
            assert confirmed.doc.xpath("//f:versionedTradeId/f:version/text()", namespaces=NS)


async def test_an_amendment_changing_the_product_class_is_refused_to_all_three(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        await cleared(r, "T-OIS")
        ois = dataclasses.replace(
            aud_irs("T-OIS", version=2, index="AUD-AONIA-OIS-COMPOUND"), product=ProductClass.OIS
        )
        await amend(r, ois, message_id="EVT-OIS")
        await answered(r, "EVT-OIS", "clearingRefused")
        refused = _answers(r, r.source, "EVT-OIS")[-1]
        assert "LIFE_PRODUCT_CLASS_CHANGED" in _texts(refused, "//f:reason/f:validationRuleId/text()")
        to_b = _answers(r, r.bank_b, "EVT-OIS")[-1]
        assert _texts(to_b, "/f:clearingRefused/f:originatingEvent/text()") == ["Amendment"]
        async with r.gateway.engine.connect() as conn:
            statuses = (await conn.execute(select(t.cleared_trades.c.status))).scalars().all()
        assert statuses == ["CLEARED", "CLEARED"]


async def test_an_amendment_beyond_a_members_collateral_waits_pending_then_clears_once_collateral_is_lodged(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    """The shipped settings pend a shortfall: the amendment waits, changing nothing, told Pending to all
    three; a lodgement through the admin API lets the next pass confirm it."""
    async with running(mosquitto, store_url, collateral_b=Decimal(400_000)) as r:
        a_id, b_id = await cleared(r, "T-BIG")
        await amend(r, aud_irs("T-BIG", version=2, notional=Decimal(20_000_000)), message_id="EVT-BIG")
        await answered(r, "EVT-BIG", "clearingStatus")
        for who in (r.source, r.bank_a, r.bank_b):
            waiting = _answers(r, who, "EVT-BIG")[-1]
            assert _texts(waiting, "//f:clearingStatusValue/text()") == ["Pending"], who
            assert _texts(waiting, "//f:reason/f:validationRuleId/text()") == [
                "RISK_INSUFFICIENT_COLLATERAL"
            ], who
        async with r.gateway.engine.connect() as conn:
            sides = (
                await conn.execute(select(t.cleared_trades.c.ccp_trade_id, t.cleared_trades.c.notional))
            ).all()
            margin = (
                await conn.execute(
                    select(t.account_risk.c.margin).where(t.account_risk.c.member_id == r.bank_b)
                )
            ).scalar_one()
            outcome = (await conn.execute(select(t.trade_events.c.outcome))).scalar_one()
        assert sorted(tuple(s) for s in sides) == [(a_id, Decimal(10_000_000)), (b_id, Decimal(10_000_000))]
        assert margin == Decimal(250_000)
        assert outcome == "PENDING"
        await r.refdata.lodge(r.bank_b, "HOUSE", cash("AUD", Decimal(200_000)))
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-BIG")]
                == ["clearingAcknowledgement", "clearingStatus", "clearingConfirmed"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        async with r.gateway.engine.connect() as conn:
            live = (
                await conn.execute(
                    select(t.cleared_trades.c.notional).where(t.cleared_trades.c.status == "CLEARED")
                )
            ).all()
            outcome = (await conn.execute(select(t.trade_events.c.outcome))).scalar_one()
        assert [x.notional for x in live] == [Decimal(20_000_000)] * 2
        assert outcome == "CONFIRMED"
