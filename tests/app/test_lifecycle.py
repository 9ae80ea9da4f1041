"""Terminations end to end: requestConfirmation over the real Mosquitto, the clearing core on SQLite and
PostgreSQL, the statuses on the source's and both members' topics, the database as the event left it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from gateway.clearing.novation import CCP_TRADE_ID_SCHEME
from gateway.domain.events import (
    EventKind,
    EventTerms,
    Fee,
    Money,
    NamedTradeId,
    NotionalChange,
    TradeRef,
)
from gateway.domain.trade import Party
from gateway.store import tables as t
from tests.app.harness import FPML, Received
from tests.app.test_gateway import Running, _final, running, store_url
from tests.clearing.conftest import TODAY
from tests.strategies import LEI_A, LEI_B
from tools.demo.requests import request_declear, request_reference_update, request_termination

__all__ = ["store_url"]
pytestmark = pytest.mark.mosquitto
NS = {"f": FPML[1:-1]}


async def cleared(r: Running, trade_id: str) -> tuple[str, str]:
    """Clear ``trade_id`` (10m A$ 5y, Bank A pays fixed) and return its CCP trade ids (A-CCP, CCP-B)."""
    await r.send(trade_id)
    await r.inbox.wait_for(
        lambda _: all(_final(r, who, trade_id, "clearingConfirmed") for who in (r.source, r.bank_a, r.bank_b))
    )
    async with r.gateway.engine.connect() as conn:
        rows = await conn.execute(
            select(t.cleared_trades.c.ccp_trade_id)
            .join(t.submissions, t.submissions.c.id == t.cleared_trades.c.submission_id)
            .where(t.submissions.c.source_trade_id == trade_id)
            .order_by(t.cleared_trades.c.ccp_trade_id)
        )
        ids = [str(x) for x in rows.scalars()]
    return ids[0], ids[1]


async def terminate(
    r: Running,
    ccp_id: str,
    outstanding: int,
    *,
    message_id: str,
    effective: date = date(2026, 1, 12),
    fee: Fee | None = None,
    parties: tuple[str, ...] = (LEI_A, LEI_B),
) -> None:
    terms = EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id=ccp_id),
        parties=parties,
        agreement_date=TODAY,
        effective_date=effective,
        notional=NotionalChange(
            Money(Decimal(10_000_000 - outstanding), "AUD"), Money(Decimal(outstanding), "AUD")
        ),
        fee=fee,
    )
    ccp = r.gateway.clearing.ccp.party_id
    payload = request_termination(
        terms,
        (NamedTradeId(ccp, ccp_id, CCP_TRADE_ID_SCHEME),),
        tuple(Party(p) for p in parties),
        source=r.source,
        message_id=message_id,
        at=r.clock.now(),
    )
    await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)


def _answers(r: Running, who: str, message_id: str) -> list[Received]:
    return [m for m in r.inbox.on(r.topic(who)) if m.correlation == message_id]


def _texts(m: Received, xpath: str) -> list[str]:
    return [str(x) for x in m.doc.xpath(xpath, namespaces=NS)]


async def test_a_partial_termination_with_a_fee_is_confirmed_to_the_source_and_both_members(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, b_id = await cleared(r, "T-TERM")
        fee = Fee(LEI_A, LEI_B, Money(Decimal("2500.00"), "AUD"), date(2026, 1, 14))
        await terminate(r, b_id, 4_000_000, message_id="EVT-TERM", fee=fee)
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-TERM")]
                == ["clearingAcknowledgement", "clearingConfirmed"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        ids = "//f:termination/f:tradeIdentifier//f:tradeId/text()"
        to_source = _answers(r, r.source, "EVT-TERM")[-1]
        assert _texts(to_source, ids) == ["T-TERM", a_id, b_id]
        assert _texts(to_source, "//f:outstandingNotionalAmount/f:amount/text()") == ["4000000"]
        assert _texts(to_source, "//f:payment/f:paymentAmount/f:amount/text()") == ["2500.00"]
        assert _texts(_answers(r, r.bank_a, "EVT-TERM")[-1], ids) == [a_id]
        assert _texts(_answers(r, r.bank_b, "EVT-TERM")[-1], ids) == [b_id]
        assert _texts(
            _answers(r, r.source, "EVT-TERM")[0], "/f:clearingAcknowledgement/f:header/f:inReplyTo/text()"
        ) == ["EVT-TERM"]
        async with r.gateway.engine.connect() as conn:
            sides = (
                await conn.execute(
                    select(
                        t.cleared_trades.c.ccp_trade_id,
                        t.cleared_trades.c.notional,
                        t.cleared_trades.c.status,
                    )
                    .where(t.cleared_trades.c.ccp_trade_id.in_([a_id, b_id]))
                    .order_by(t.cleared_trades.c.ccp_trade_id)
                )
            ).all()
            event = (
                await conn.execute(
                    select(
                        t.trade_events.c.outcome,
                        t.trade_events.c.notional_before,
                        t.trade_events.c.notional_after,
                        t.trade_events.c.fee_amount,
                    ).where(t.trade_events.c.message_id == "EVT-TERM")
                )
            ).one()
            positions = (
                await conn.execute(text("SELECT trade_id, notional FROM ccp_positions ORDER BY trade_id"))
            ).all()
        assert [tuple(s) for s in sides] == [
            (a_id, Decimal(4_000_000), "CLEARED"),
            (b_id, Decimal(4_000_000), "CLEARED"),
        ]
        assert tuple(event) == ("CONFIRMED", Decimal(10_000_000), Decimal(4_000_000), Decimal("2500.00"))
        # the view as clearing-recon reads it (its numbers are text on SQLite)
        assert [(p.trade_id, Decimal(str(p.notional))) for p in positions] == [
            (a_id, Decimal(4_000_000)),
            (b_id, Decimal(4_000_000)),
        ]


async def test_a_full_termination_takes_the_trade_off_the_positions_and_a_second_is_refused(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, _ = await cleared(r, "T-FULL")
        await terminate(r, a_id, 0, message_id="EVT-FULL")
        await r.inbox.wait_for(
            lambda _: all(
                any(m.kind == "clearingConfirmed" for m in _answers(r, who, "EVT-FULL"))
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        await terminate(r, a_id, 0, message_id="EVT-AGAIN")
        await r.inbox.wait_for(
            lambda _: all(
                any(m.kind == "clearingRefused" for m in _answers(r, who, "EVT-AGAIN"))
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        refused = next(m for m in _answers(r, r.source, "EVT-AGAIN") if m.kind == "clearingRefused")
        assert _texts(refused, "//f:reason/f:validationRuleId/text()") == ["LIFE_TRADE_NOT_LIVE"]
        to_a = next(m for m in _answers(r, r.bank_a, "EVT-AGAIN") if m.kind == "clearingRefused")
        assert _texts(to_a, "/f:clearingRefused/f:originatingEvent/text()") == ["Termination"]
        async with r.gateway.engine.connect() as conn:
            statuses = (
                await conn.execute(select(t.cleared_trades.c.status, t.cleared_trades.c.notional))
            ).all()
            positions = (await conn.execute(text("SELECT count(*) FROM ccp_positions"))).scalar_one()
        assert [tuple(s) for s in statuses] == [("TERMINATED", Decimal(0))] * 2
        assert positions == 0


async def test_a_termination_on_a_payment_date_is_refused_to_all_three_and_changes_nothing(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, _ = await cleared(r, "T-DARK")
        await terminate(r, a_id, 0, message_id="EVT-DARK", effective=date(2026, 7, 9))
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-DARK")]
                == ["clearingAcknowledgement", "clearingRefused"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        for who in (r.source, r.bank_a, r.bank_b):
            refused = _answers(r, who, "EVT-DARK")[-1]
            assert refused.reason_codes == ["PaymentDateBlackout"], who
        async with r.gateway.engine.connect() as conn:
            notionals = (await conn.execute(select(t.cleared_trades.c.notional))).scalars().all()
        assert notionals == [Decimal(10_000_000)] * 2


async def test_a_termination_of_no_cleared_trade_is_answered_with_message_rejected(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        await terminate(r, "CCP-20260107-99999999-1", 0, message_id="EVT-NONE")
        msgs = await r.inbox.wait_for(lambda ms: any(m.kind == "messageRejected" for m in ms))
        rejected = next(m for m in msgs if m.kind == "messageRejected")
        assert rejected.topic == r.topic(r.source)
        assert rejected.reason_codes == ["UnknownTrade"]
        async with r.gateway.engine.connect() as conn:
            assert (await conn.execute(select(t.trade_events.c.id))).all() == []


async def test_a_termination_naming_one_counterparty_only_is_refused_as_one_sided(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, _ = await cleared(r, "T-ONE")
        await terminate(r, a_id, 0, message_id="EVT-ONE", parties=(LEI_A,))
        await r.inbox.wait_for(
            lambda _: all(
                any(m.kind == "clearingRefused" for m in _answers(r, who, "EVT-ONE"))
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        refused = _answers(r, r.source, "EVT-ONE")[-1]
        assert _texts(refused, "//f:reason/f:validationRuleId/text()") == ["LIFE_ONE_SIDED"]
        async with r.gateway.engine.connect() as conn:
            statuses = (await conn.execute(select(t.cleared_trades.c.status))).scalars().all()
        assert statuses == ["CLEARED", "CLEARED"]


async def test_a_declear_is_confirmed_to_the_source_and_both_members_and_leaves_the_positions(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, b_id = await cleared(r, "T-DECL")
        terms = EventTerms(
            kind=EventKind.DECLEAR,
            trade=TradeRef(ccp_trade_id=a_id),
            parties=(LEI_A, LEI_B),
            agreement_date=TODAY,
            effective_date=TODAY,
            notional=None,
        )
        ccp = r.gateway.clearing.ccp.party_id
        payload = request_declear(
            terms,
            (NamedTradeId(ccp, a_id, CCP_TRADE_ID_SCHEME),),
            (Party(LEI_A), Party(LEI_B)),
            source=r.source,
            message_id="EVT-DECL",
            at=r.clock.now(),
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-DECL")]
                == ["clearingAcknowledgement", "clearingConfirmed"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        ids = "//f:deClear/f:tradeIdentifier//f:tradeId/text()"
        assert _texts(_answers(r, r.source, "EVT-DECL")[-1], ids) == ["T-DECL", a_id, b_id]
        assert _texts(_answers(r, r.bank_b, "EVT-DECL")[-1], ids) == [b_id]
        async with r.gateway.engine.connect() as conn:
            statuses = (await conn.execute(select(t.cleared_trades.c.status))).scalars().all()
            positions = (await conn.execute(text("SELECT count(*) FROM ccp_positions"))).scalar_one()
        assert statuses == ["DEREGISTERED", "DEREGISTERED"]
        assert positions == 0


async def test_an_increase_is_confirmed_by_the_larger_trade_to_the_source_and_both_members(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, _ = await cleared(r, "T-INC")
        terms = EventTerms(
            kind=EventKind.INCREASE,
            trade=TradeRef(ccp_trade_id=a_id),
            parties=(LEI_A, LEI_B),
            agreement_date=TODAY,
            effective_date=date(2026, 1, 12),
            notional=NotionalChange(Money(Decimal(5_000_000), "AUD"), Money(Decimal(15_000_000), "AUD")),
        )
        ccp = r.gateway.clearing.ccp.party_id
        payload = request_termination(
            terms,
            (NamedTradeId(ccp, a_id, CCP_TRADE_ID_SCHEME),),
            (Party(LEI_A), Party(LEI_B)),
            source=r.source,
            message_id="EVT-INC",
            at=r.clock.now(),
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-INC")]
                == ["clearingAcknowledgement", "clearingConfirmed"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        initial = "//f:notionalStepSchedule/f:initialValue/text()"
        for who in (r.source, r.bank_a, r.bank_b):
            confirmed = _answers(r, who, "EVT-INC")[-1]
            assert _texts(confirmed, "/f:clearingConfirmed/f:originatingEvent/text()") == ["Increase"]
            assert [Decimal(x) for x in _texts(confirmed, initial)] == [Decimal(15_000_000)] * 2
        async with r.gateway.engine.connect() as conn:
            notionals = (await conn.execute(select(t.cleared_trades.c.notional))).scalars().all()
        assert notionals == [Decimal(15_000_000)] * 2


async def test_a_reference_update_gives_bank_a_its_new_id_and_tells_bank_b_nothing_of_it(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    async with running(mosquitto, store_url) as r:
        a_id, _ = await cleared(r, "T-REF")
        ccp = r.gateway.clearing.ccp.party_id
        payload = request_reference_update(
            (
                NamedTradeId(ccp, a_id, CCP_TRADE_ID_SCHEME),
                NamedTradeId(LEI_A, "A-BOOK-77", "urn:bank-a:book"),
            ),
            (Party(LEI_A), Party(LEI_B)),
            source=r.source,
            message_id="EVT-REF",
            at=r.clock.now(),
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        await r.inbox.wait_for(
            lambda _: all(
                [m.kind for m in _answers(r, who, "EVT-REF")]
                == ["clearingAcknowledgement", "clearingConfirmed"]
                for who in (r.source, r.bank_a, r.bank_b)
            )
        )
        new_id = "//f:partyTradeIdentifier/f:tradeId[.='A-BOOK-77']"
        assert len(_answers(r, r.source, "EVT-REF")[-1].doc.xpath(new_id, namespaces=NS)) == 1
        assert len(_answers(r, r.bank_a, "EVT-REF")[-1].doc.xpath(new_id, namespaces=NS)) == 1
        assert _answers(r, r.bank_b, "EVT-REF")[-1].doc.xpath(new_id, namespaces=NS) == []
        async with r.gateway.engine.connect() as conn:
            kinds = (await conn.execute(select(t.trade_events.c.kind, t.trade_events.c.outcome))).all()
        assert [tuple(k) for k in kinds] == [("TradeReferenceUpdate", "CONFIRMED")]
