"""A compression run end to end: trades cleared over the real Mosquitto, compressed by the clearing core on
SQLite and PostgreSQL, and the answers on the members' topics: Bank A is told each of its sides ended and
which residual replaces it, and gets the residual's own ``clearingConfirmed``; Bank B, whose sides stay as
they were, is told nothing of it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from fpml_schemas import load_schema
from gateway.clearing.compression import EngineValuer
from gateway.domain.compression import CompressionRequest
from gateway.risk import RiskEngine
from gateway.risk.market.loader import load_market
from gateway.risk.market.synth import write_market
from gateway.store import tables as t
from tests.app.harness import FPML, Received
from tests.app.test_gateway import Running, running, store_url
from tests.app.test_lifecycle import cleared
from tests.clearing.conftest import TODAY
from tests.formats.fpml.write.conftest import SchemaCheck, assert_valid
from tests.strategies import LEI_B

__all__ = ["assert_valid", "store_url"]
pytestmark = pytest.mark.mosquitto
NS = {"f": FPML[1:-1]}


@pytest.fixture(scope="module")
def valuer(tmp_path_factory: pytest.TempPathFactory) -> EngineValuer:
    out: Path = tmp_path_factory.mktemp("compression-gateway-market")
    write_market(out, TODAY, seed=5, days=1300)
    return EngineValuer(RiskEngine(load_market(out)))


def _texts(m: Received, xpath: str) -> list[str]:
    return [str(x) for x in m.doc.xpath(xpath, namespaces=NS)]


def _residual_answers(r: Running, who: str) -> list[Received]:
    return [
        m
        for m in r.inbox.on(r.topic(who))
        if m.kind == "clearingConfirmed" and m.text("f:originatingEvent") == "Compression"
    ]


async def test_the_member_receives_its_residuals_clearing_confirmed_and_the_other_member_nothing(
    mosquitto: tuple[str, int], store_url: str, valuer: EngineValuer, assert_valid: SchemaCheck
) -> None:
    async with running(mosquitto, store_url) as r:
        await cleared(r, "T-CMP-1")  # Bank A pays fixed on 10m
        pays = await _side_of(r, "T-CMP-1")
        await _cleared_b_pays(r, "T-CMP-2")  # Bank A receives fixed on 6m: the same bucket
        receives = await _side_of(r, "T-CMP-2")
        ccp = r.gateway.clearing.ccp.party_id
        result = await r.gateway.clearing.compress(
            CompressionRequest("RUN-GW", r.bank_a, "HOUSE", ccp, (pays, receives)), valuer
        )
        (residual,) = result.created
        await r.inbox.wait_for(
            lambda _: (
                len(_residual_answers(r, r.bank_a)) == 1
                and sum(
                    1
                    for m in r.inbox.on(r.topic(r.bank_a))
                    if m.kind == "clearingConfirmed" and m.correlation.startswith("RUN-GW/")
                )
                == 3
            )
        )
        (answer,) = _residual_answers(r, r.bank_a)
        assert load_schema(profile=True).check(assert_valid(_bytes(answer))) is None
        activity = "/f:clearingConfirmed/f:compressionActivity/f:originatingTradeIdentifier/f:tradeId/text()"
        assert sorted(_texts(answer, activity)) == sorted([pays, receives])
        ids = "//f:trade//f:partyTradeIdentifier/f:tradeId/text()"
        assert residual.ccp_trade_id in _texts(answer, ids)
        assert LEI_B not in _texts(answer, "/f:clearingConfirmed/f:party/f:partyId/text()")
        ended = [
            m
            for m in r.inbox.on(r.topic(r.bank_a))
            if m.kind == "clearingConfirmed" and m.correlation in (f"RUN-GW/{pays}", f"RUN-GW/{receives}")
        ]
        assert len(ended) == 2
        for m in ended:
            replacement = (
                "/f:clearingConfirmed/f:compressionActivity/f:replacementTradeIdentifier/f:tradeId/text()"
            )
            assert _texts(m, replacement) == [residual.ccp_trade_id]
            assert _texts(m, "//f:termination/f:outstandingNotionalAmount/f:amount/text()") == ["0"]

        # anything owed to Bank B would be published before a later trade's answers: there is none
        later, _ = await cleared(r, "T-CMP-3")
        assert later
        to_b = r.inbox.on(r.topic(r.bank_b))
        assert not [m for m in to_b if m.correlation.startswith("RUN-GW/")]
        assert all(residual.ccp_trade_id not in _bytes(m).decode() for m in to_b)
        assert not any(m.doc.xpath("//f:compressionActivity", namespaces=NS) for m in to_b)


async def _cleared_b_pays(r: Running, trade_id: str) -> None:
    """Clear ``trade_id``: Bank B pays fixed on 6m (Bank A's side of it receives fixed)."""
    await r.send(trade_id, fixed_payer=LEI_B, notional=Decimal(6_000_000))
    await r.inbox.wait_for(
        lambda _: all(
            any(m.kind == "clearingConfirmed" and m.correlation == trade_id for m in r.inbox.on(r.topic(w)))
            for w in (r.source, r.bank_a, r.bank_b)
        )
    )


async def _side_of(r: Running, trade_id: str) -> str:
    """Bank A's CCP trade id of its side of ``trade_id``."""
    async with r.gateway.engine.connect() as conn:
        rows = await conn.execute(
            select(t.cleared_trades.c.ccp_trade_id)
            .join(t.submissions, t.submissions.c.id == t.cleared_trades.c.submission_id)
            .where(t.submissions.c.source_trade_id == trade_id, t.cleared_trades.c.member_id == r.bank_a)
        )
        return str(rows.scalar_one())


def _bytes(m: Received) -> bytes:
    return etree.tostring(m.doc)
