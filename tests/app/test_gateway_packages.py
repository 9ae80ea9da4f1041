"""Packages over the real gateway: an FpML ``tradePackage`` over Mosquitto into the clearing core on SQLite
and PostgreSQL, cleared whole, refused whole or held whole; every status each recipient gets is valid
against the official FpML 5.10 schema, and a confirmation carries the package as
``pkg-ex61-clearing-confirmed.xml`` shows it (``tradeHeader/originatingPackage``).

The margin model is the linear stand-in of tests/clearing/doubles.py: a leg's initial margin is its PV01
times the worst of its parallel shocks (50bp), so a 10m 10-year leg needs 500,000 from each member alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.admin.reference import cash
from gateway.domain.trade import PackageRef, Trade
from tests.app.harness import FPML, Received
from tests.app.test_gateway import Running, running, store_url
from tests.clearing.conftest import aud_irs
from tests.strategies import LEI_A, LEI_B
from tools.demo.requests import request_clearing, request_clearing_package

__all__ = ["store_url"]

pytestmark = pytest.mark.mosquitto
NS = {"f": FPML[1:-1]}


@pytest.fixture(scope="module")
def schema(fpml_schema_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(fpml_schema_dir / "fpml-main-5-10.xsd")))


async def send_package(r: Running, package_id: str, trades: Sequence[Trade]) -> None:
    r.n += 1
    payload = request_clearing_package(
        trades,
        package_id=package_id,
        issuer=r.source,
        source=r.source,
        message_id=f"{r.source}-M{r.n}",
        at=r.clock.now(),
    )
    await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)


def leg_of(m: Received) -> str:
    """Which leg of which package a status is about, as ``PACKAGE#SEQUENCE``: its (first) trade's
    ``originatingPackage`` (a member's confirmation names only the CCP's trade id; the package says it)."""
    packages = m.doc.xpath(".//f:trade/f:tradeHeader/f:originatingPackage", namespaces=NS)
    if not packages:
        return ""
    p = packages[0]
    return f"{p.xpath('string(f:packageIdentifier/f:tradeId)', namespaces=NS)}#{p.xpath('string(f:sequenceNumber)', namespaces=NS)}"


def status_of(m: Received) -> str:
    return m.text(".//f:clearingStatusValue")


def finals(r: Running, who: str, kind: str) -> dict[str, Received]:
    """The ``kind`` messages ``who`` received, by the trade id of their first trade."""
    return {leg_of(m): m for m in r.inbox.on(r.topic(who)) if m.kind == kind}


async def wait_all(r: Running, kind: str, legs: Sequence[str], within: float = 20) -> None:
    await r.inbox.wait_for(
        lambda _: all(set(legs) <= set(finals(r, who, kind)) for who in (r.source, r.bank_a, r.bank_b)),
        within,
    )


def assert_valid(schema: etree.XMLSchema, messages: Sequence[Received]) -> None:
    for m in messages:
        assert schema.validate(m.doc), (m.kind, [e.message for e in schema.error_log])


def switch(package: str) -> list[Trade]:
    """Bank A pays fixed on 10m for 10 years and receives fixed on 20m for 5 years: the legs offset."""
    return [
        aud_irs(f"{package}-10Y", notional=Decimal(10_000_000), years=10, fixed_payer=LEI_A),
        aud_irs(f"{package}-5Y", notional=Decimal(20_000_000), years=5, fixed_payer=LEI_B),
    ]


async def test_a_switch_covered_only_as_a_whole_clears_whole(
    mosquitto: tuple[str, int], store_url: str, schema: etree.XMLSchema
) -> None:
    # Bank B's 300,000 covers neither leg alone (500,000 each) but the package's combined margin (nil)
    async with running(mosquitto, store_url, collateral_b=Decimal(300_000)) as r:
        await r.send("ALONE", notional=Decimal(10_000_000), years=10)  # the 10-year leg on its own
        await r.inbox.wait_for(
            lambda _: any(
                m.kind == "clearingStatus" and m.correlation == "ALONE" and status_of(m) == "Pending"
                for m in r.inbox.on(r.topic(r.source))
            )
        )
        legs = switch("SW")
        await send_package(r, "SW", legs)
        await wait_all(r, "clearingConfirmed", ["SW#1", "SW#2"])
        assert_valid(schema, r.inbox.messages)
        for sequence in (1, 2):
            confirmed = finals(r, r.bank_b, "clearingConfirmed")[f"SW#{sequence}"]
            # the member's confirmation of each leg, as pkg-ex61 shows it: one trade naming its package
            (package,) = confirmed.doc.xpath("f:trade/f:tradeHeader/f:originatingPackage", namespaces=NS)
            assert package.xpath("string(f:packageIdentifier/f:tradeId)", namespaces=NS) == "SW"
            assert package.xpath("string(f:packageIdentifier/f:issuer)", namespaces=NS) == r.source
            assert package.xpath("string(f:size)", namespaces=NS) == "2"
            assert package.xpath("string(f:sequenceNumber)", namespaces=NS) == str(sequence)
        still = [m for m in r.inbox.on(r.topic(r.source)) if m.correlation == "ALONE"]
        assert [m.kind for m in still][-1] == "clearingStatus"  # the lone leg still waits


async def test_a_package_with_one_ineligible_leg_is_refused_whole_with_each_legs_reasons(
    mosquitto: tuple[str, int], store_url: str, schema: etree.XMLSchema
) -> None:
    async with running(mosquitto, store_url) as r:
        ok = aud_irs("BAD-PKG-OK", years=5)
        too_long = aud_irs("BAD-PKG-40Y", years=40)  # A$ IRS clear to 30 years
        await send_package(r, "BAD-PKG", [ok, too_long])
        await wait_all(r, "clearingRefused", ["BAD-PKG#1", "BAD-PKG#2"])
        assert_valid(schema, r.inbox.messages)
        for who in (r.source, r.bank_a, r.bank_b):
            refused = finals(r, who, "clearingRefused")
            assert refused["BAD-PKG#1"].reason_codes == ["PackageLegRefused"]
            assert refused["BAD-PKG#2"].reason_codes == ["MaturityTooLong", "PackageLegRefused"]
            why = refused["BAD-PKG#1"].text(".//f:reason/f:description")
            assert "BAD-PKG-40Y" in why
            assert not finals(r, who, "clearingConfirmed")


async def test_a_package_short_of_margin_waits_whole_then_clears_whole_on_collateral(
    mosquitto: tuple[str, int], store_url: str, schema: etree.XMLSchema
) -> None:
    async with running(mosquitto, store_url, collateral_b=Decimal(0)) as r:
        legs = [aud_irs("SHORT-1", years=5), aud_irs("SHORT-2", years=10)]  # same direction: no offset
        await send_package(r, "SHORT", legs)
        await r.inbox.wait_for(
            lambda _: (
                {"SHORT#1", "SHORT#2"}
                <= {leg_of(m) for m in r.inbox.on(r.topic(r.source)) if status_of(m) == "Pending"}
            )
        )
        pending = [m for m in r.inbox.on(r.topic(r.source)) if status_of(m) == "Pending"]
        assert all("RISK_INSUFFICIENT_COLLATERAL" in etree.tostring(m.doc).decode() for m in pending)
        assert not finals(r, r.source, "clearingConfirmed")

        r.clock.advance(timedelta(minutes=5))
        await r.refdata.lodge(r.bank_b, "HOUSE", cash("AUD", Decimal(50_000_000)))
        await wait_all(r, "clearingConfirmed", ["SHORT#1", "SHORT#2"])
        assert_valid(schema, r.inbox.messages)


async def test_a_lone_trade_naming_its_package_waits_for_the_rest_and_is_refused_when_it_never_comes(
    mosquitto: tuple[str, int], store_url: str
) -> None:
    """A leg sent alone in its own request, carrying ``originatingPackage`` of size 2, is held (nobody is told
    more than Received) and refused whole with PACKAGE_INCOMPLETE once the package's time has passed."""
    async with running(mosquitto, store_url) as r:
        trade = dataclasses.replace(aud_irs("LONE-1"), package=PackageRef("LONE", 2, 1, r.source))
        r.n += 1
        payload = request_clearing(trade, source=r.source, message_id=f"{r.source}-M{r.n}", at=r.clock.now())
        await r.publisher.publish(f"{r.root}/in/{r.source}/fpml", payload, qos=1)
        await r.inbox.wait_for(
            lambda _: any(m.kind == "clearingAcknowledgement" for m in r.inbox.on(r.topic(r.source)))
        )
        r.clock.advance(timedelta(seconds=301))
        r.gateway.clearing.wake()
        await wait_all(r, "clearingRefused", ["LONE#1"])
        refused = finals(r, r.source, "clearingRefused")["LONE#1"]
        assert refused.reason_codes == ["PackageIncomplete"]
        kinds = [m.kind for m in r.inbox.on(r.topic(r.source))]
        assert kinds == ["clearingAcknowledgement", "clearingRefused"]
