"""Only an approved trade source puts a trade on the book, and a sub-block flag is honoured only where it is
true: the running gateway over the system Mosquitto (no ACL: the gateway itself must refuse), SQLite and
PostgreSQL.

The broker's own refusal of the same publishes, with deploy's ACL, is in tests/deploy/test_mosquitto_acl.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import text

from gateway.admin.source_admin import TradeSources
from gateway.domain.codec import trade_from_dict, trade_to_dict
from gateway.domain.trade import Trade, TradeIdentifiers
from gateway.refdata.sources import TradeSource
from gateway.security_log import LOGGER_NAME
from tests.app.harness import FPML, Received, subscribed
from tests.app.test_gateway import Running, _final, running
from tests.clearing.conftest import TODAY, aud_irs, member
from tests.strategies import LEI_A, LEI_B, vanilla_irs
from tools.demo.requests import request_clearing

pytestmark = pytest.mark.mosquitto


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


LEI_C = "5493001KJTIIGC8Y1R12"


def _swap(trade_id: str, *, parties: tuple[str, str] = (LEI_A, LEI_B)) -> Trade:
    """An A$ swap between ``parties`` (fixed payer first)."""
    doc = json.dumps(trade_to_dict(aud_irs(trade_id)))
    doc = doc.replace(LEI_A, "@@A@@").replace(LEI_B, "@@B@@")
    doc = doc.replace("@@A@@", parties[0]).replace("@@B@@", parties[1])
    return trade_from_dict(json.loads(doc))


def _eur(trade_id: str, notional: Decimal) -> Trade:
    t = vanilla_irs(notional=notional, years=5, source_trade_id=trade_id)
    return replace(
        t, trade_date=TODAY, sub_block=True, identifiers=TradeIdentifiers(trade_id, 1, uti=f"UTI-{trade_id}")
    )


async def _publish(r: Running, client: aiomqtt.Client, topic_id: str, trade: Trade, message_id: str) -> None:
    payload = request_clearing(trade, source=topic_id, message_id=message_id, at=r.clock.now())
    await client.publish(f"{r.root}/in/{topic_id}/fpml", payload, qos=1)


async def _stored(r: Running, source: str) -> int:
    async with r.gateway.engine.connect() as conn:
        found = await conn.execute(text("SELECT count(*) FROM submissions WHERE source = :s"), {"s": source})
        return int(found.scalar_one())


def _refusal(m: Received) -> tuple[str, str]:
    ns = {"f": FPML[1:-1]}
    return (
        str(m.doc.xpath("string(f:reason/f:reasonCode)", namespaces=ns)),
        str(m.doc.xpath("string(f:reason/f:description)", namespaces=ns)),
    )


async def test_only_an_active_registered_source_clears(
    mosquitto: tuple[str, int], store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """EVIL (no source) names BANKA and BANKB; member A on its own topic id names B and C; a suspended source
    sends a good trade: each is refused with its reason code, a log line and a messageRejected on its own
    answer topic, and nothing is stored. The registered source's trade clears."""
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    async with running(mosquitto, store_url) as r:
        evil, suspended = f"EVIL{r.source}", f"OLD{r.source}"
        await r.refdata.add_participant(member(f"C{r.source}", LEI_C))
        sources = TradeSources(r.gateway.engine, clock=r.clock)
        await sources.add(TradeSource(suspended, mqtt_user=suspended))
        await sources.suspend(suspended)
        await r.gateway.reference.refresh()  # what the service does every sources.refresh_s
        host, port = mosquitto
        answers = [f"{r.root}/out/{who}/fpml" for who in (evil, r.bank_a, suspended)]
        async with subscribed(host, port, answers) as inbox, aiomqtt.Client(host, port) as attacker:
            await _publish(r, attacker, evil, _swap("T-EVIL"), "E-1")
            await _publish(r, attacker, r.bank_a, _swap("T-MEMBER", parties=(LEI_B, LEI_C)), "A-1")
            await _publish(r, attacker, suspended, _swap("T-SUSP"), "S-1")
            await r.send("T-HONEST")
            await inbox.wait_for(lambda ms: len(ms) >= 3)
            await r.inbox.wait_for(
                lambda _: all(
                    _final(r, who, "T-HONEST", "clearingConfirmed") for who in (r.source, r.bank_a, r.bank_b)
                )
            )
        got = {m.topic: m for m in inbox.messages}
        assert {m.kind for m in inbox.messages} == {"messageRejected"}
        assert _refusal(got[answers[0]])[0] == "UnknownSource"
        assert "AUTH_UNKNOWN_SOURCE" in _refusal(got[answers[0]])[1]
        assert _refusal(got[answers[1]])[0] == "UnknownSource"  # a member is not a source
        assert _refusal(got[answers[2]])[0] == "SourceSuspended"
        for who in (evil, r.bank_a, suspended):
            assert await _stored(r, who) == 0
        assert await _stored(r, r.source) == 1
        # the members were never told of the refused trades
        for who in (r.bank_a, r.bank_b):
            assert {m.correlation for m in r.inbox.on(r.topic(who))} == {"T-HONEST"}
    lines = {
        (rec.__dict__["channel"], rec.__dict__["identity"], rec.__dict__["reason_code"])
        for rec in caplog.records
        if rec.name == LOGGER_NAME
    }
    assert ("mqtt", evil, "AUTH_UNKNOWN_SOURCE") in lines
    assert ("mqtt", r.bank_a, "AUTH_UNKNOWN_SOURCE") in lines
    assert ("mqtt", suspended, "AUTH_SOURCE_SUSPENDED") in lines


async def test_sub_block_from_a_source_that_is_no_venue_is_credit_checked(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    """EUR 100bn flagged SubBlock from a source that is not a venue, B holding 500m: pending, and the status
    the source and both members receive says the flag was not honoured."""
    async with running(mosquitto, store_url, collateral_b=Decimal(500_000_000)) as r:
        payload = request_clearing(
            _eur("T-BIG", Decimal(100_000_000_000)), source=r.source, message_id="M-BIG", at=r.clock.now()
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)

        def pending(who: str) -> list[Received]:
            return [
                m
                for m in r.inbox.on(r.topic(who))
                if m.kind == "clearingStatus" and m.correlation == "T-BIG" and _status(m) == "Pending"
            ]

        await r.inbox.wait_for(lambda _: all(pending(who) for who in (r.source, r.bank_a, r.bank_b)))
        for who in (r.source, r.bank_a, r.bank_b):
            assert "SubBlockNotHonoured" in pending(who)[0].reason_codes, who
            assert b"RISK_SUB_BLOCK_NOT_HONOURED" in _xml(pending(who)[0])
        assert not any(
            m.kind == "clearingConfirmed" for who in (r.source, r.bank_b) for m in r.inbox.on(r.topic(who))
        )


@pytest.mark.parametrize(
    ("notional", "skips"),
    [(Decimal(200_000_000), True), (Decimal(300_000_000), False)],
    ids=["below-threshold", "above-threshold"],
)
async def test_a_venue_sub_block_skips_the_check_only_below_the_threshold(
    mosquitto: tuple[str, int], store_url: str, notional: Decimal, skips: bool
) -> None:
    """A venue source, B with no collateral and no tolerance: below the EUR IRS block threshold (250m) the
    sub-block trade clears unchecked; above it, it is checked, stays pending, and says why."""
    async with running(mosquitto, store_url, collateral_b=Decimal(0), venue=True) as r:
        payload = request_clearing(
            _eur("T-SB", notional), source=r.source, message_id="M-SB", at=r.clock.now()
        )
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        if skips:
            await r.inbox.wait_for(lambda _: _final(r, r.source, "T-SB", "clearingConfirmed"))
            return
        await r.inbox.wait_for(
            lambda _: any(
                _status(m) == "Pending" and m.correlation == "T-SB" for m in r.inbox.on(r.topic(r.source))
            )
        )
        status = next(m for m in r.inbox.on(r.topic(r.source)) if _status(m) == "Pending")
        assert "SubBlockNotHonoured" in status.reason_codes
        assert "block threshold" in _xml(status).decode()
        assert not any(m.kind == "clearingConfirmed" for m in r.inbox.on(r.topic(r.source)))


def _status(m: Received) -> str:
    return m.text(".//f:clearingStatusValue")


def _xml(m: Received) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(m.doc))
