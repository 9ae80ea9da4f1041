"""Whole flows over real TCP: FpML in SecurityXML, cancel, positions, status delivery, authorisation, size.

The clearing port is the in-memory test double of tests/channels/fix/ports.py, standing in for the clearing
service being built concurrently.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.channels.fix.acceptor import FixAcceptor
from gateway.clearing.ports import Channel, DeliveryChannel, OutboxItem, Position, RecipientRole, StatusUpdate
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.read import parse_trade_xml
from tests.channels.fix.client import FixClient, pairs_of
from tests.channels.fix.ports import MemoryClearingPort
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.formats.fix.test_trade_read import EX01
from tests.strategies import LEI_A, LEI_B, vanilla_irs

TRADE = parse_pairs((GOLDEN / "vanilla_report.fix").read_text())
HEAD = [(487, "0"), (856, "0"), (60, "20260105-09:00:00.000")]


async def _session(acceptor: FixAcceptor, sender: str = "MEMBER1") -> FixClient:
    client = FixClient("127.0.0.1", acceptor.config.port, sender=sender)
    await client.connect()
    await client.logon()
    return client


async def _ask(client: FixClient, pairs: list[tuple[int, str]]) -> dict[int, str]:
    await client.send(pairs)
    return dict(pairs_of(await client.receive()))


@pytest.mark.official_fpml
async def test_fpml_in_security_xml_registers_the_fpml_trade(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    xml = EX01.read_text(encoding="utf-8")
    client = await _session(acceptor, "VENUE")
    ack = await _ask(
        client,
        [
            (35, "AE"),
            (571, "X1"),
            (1003, "TW9235"),
            *HEAD,
            (167, "IRS"),
            (1184, str(len(xml.encode()))),
            (1185, xml),
            (1186, "http://www.fpml.org/FpML-5/confirmation"),
            (75, "19941212"),
            (552, "2"),
            (54, "1"),
            (453, "1"),
            (448, LEI_A),
            (447, "N"),
            (452, "1"),
            (54, "2"),
            (453, "1"),
            (448, LEI_B),
            (447, "N"),
            (452, "1"),
        ],
    )
    assert (ack[35], ack[1523], ack[939]) == ("AR", "0", "4")
    assert memory_port.submissions[0].trade == parse_trade_xml(EX01.read_bytes())
    await client.close()


async def test_broken_fpml_in_security_xml_is_refused_with_the_xml_reason(acceptor: FixAcceptor) -> None:
    xml = "<requestClearing><unclosed></requestClearing>"
    client = await _session(acceptor, "VENUE")
    ack = await _ask(
        client,
        [
            (35, "AE"),
            (571, "X2"),
            (1003, "T1"),
            *HEAD,
            (167, "IRS"),
            (1184, str(len(xml))),
            (1185, xml),
            (75, "20260105"),
            (552, "2"),
            (54, "1"),
            (453, "1"),
            (448, LEI_A),
            (447, "N"),
            (452, "1"),
            (54, "2"),
            (453, "1"),
            (448, LEI_B),
            (447, "N"),
            (452, "1"),
        ],
    )
    assert (ack[35], ack[1523], ack[939]) == ("AR", "1", "1")
    assert ack[1328].startswith("SecurityXML(1185)")
    await client.close()


async def test_cancel_withdraws_a_submitted_trade(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    client = await _session(acceptor)
    await _ask(client, [(35, "AE"), (571, "R1"), *HEAD, *TRADE])
    ack = await _ask(
        client,
        [
            (35, "AE"),
            (571, "R1-CXL"),
            (1003, "MW-1"),
            (487, "1"),
            (856, "6"),
            (60, "20260105-09:05:00.000"),
            (167, "IRS"),
            (75, "20260105"),
            (552, "2"),
            (54, "1"),
            (54, "2"),
        ],
    )
    assert (ack[35], ack[487], ack[856], ack[1523], ack[939]) == ("AR", "1", "6", "0", "2")
    unknown = await _ask(
        client,
        [
            (35, "AE"),
            (571, "R9-CXL"),
            (1003, "NOPE"),
            (487, "1"),
            (856, "6"),
            (60, "20260105-09:05:00.000"),
            (167, "IRS"),
            (75, "20260105"),
            (552, "2"),
            (54, "1"),
            (54, "2"),
        ],
    )
    # named by the field the member sent, whatever the clearing service calls it
    assert (unknown[856], unknown[1523], unknown[939], unknown[1328]) == (
        "6",
        "1",
        "1",
        "TradeID(1003): no such trade",
    )
    await client.close()


async def test_member_may_not_report_a_trade_between_others(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    client = await _session(acceptor, "MEMBER2")
    other = [(t, v.replace(LEI_B, "5299000000000000OTHER")) for t, v in TRADE]
    ack = await _ask(client, [(35, "AE"), (571, "R1"), *HEAD, *other])
    assert (ack[1523], ack[751]) == ("1", "1")
    assert ack[1328] == f"PartyID(448): SenderCompID MEMBER2 reports for {LEI_B}, which is neither side"
    assert memory_port.submissions == []
    await client.close()


async def test_positions_request_returns_ack_and_one_report_per_position(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    memory_port.position_book[LEI_A] = [
        Position(
            "CCP-1",
            "UTI-1",
            LEI_A,
            "HOUSE",
            "IRS",
            "EUR",
            Decimal(50_000_000),
            "PAY",
            Decimal("0.0525"),
            None,
            None,
            None,
            date(2026, 1, 7),
            date(2036, 1, 7),
            "Cleared",
            Decimal("-1250.5"),
        ),
        Position(
            "CCP-2",
            None,
            LEI_A,
            "HOUSE",
            "IRS",
            "EUR",
            Decimal(10_000_000),
            "RECEIVE",
            None,
            "EUR-EURIBOR-Telerate",
            "6M",
            Decimal("0.001"),
            date(2026, 1, 7),
            date(2031, 1, 7),
            "Cleared",
            None,
        ),
    ]
    client = await _session(acceptor)
    await client.send(
        [
            (35, "AN"),
            (710, "P1"),
            (724, "0"),
            (715, "20260105"),
            (60, "20260105-09:00:00"),
            (453, "1"),
            (448, LEI_A),
            (447, "N"),
            (452, "1"),
            (1, "HOUSE"),
        ]
    )
    got = [pairs_of(await client.receive()) for _ in range(3)]
    ack = dict(got[0])
    assert (ack[35], ack[727], ack[728], ack[729]) == ("AO", "2", "0", "0")
    first = got[1]
    assert dict(first)[35] == "AP"
    for pair in ((48, "CCP-1"), (705, "50000000"), (708, "-1250.5"), (40784, "0.0525"), (1903, "UTI-1")):
        assert pair in first
    second = dict(got[2])
    assert (second[48], second[704], second[40789], second[40792], second[40791], second[40794]) == (
        "CCP-2",
        "10000000",
        "EUR-EURIBOR-Telerate",
        "6",
        "Mo",
        "0.001",
    )
    refused = await _ask(
        client,
        [
            (35, "AN"),
            (710, "P2"),
            (724, "0"),
            (715, "20260105"),
            (60, "20260105-09:00:00"),
            (453, "1"),
            (448, LEI_B),
            (447, "N"),
            (452, "1"),
        ],
    )
    assert (refused[35], refused[728], refused[729]) == ("AO", "3", "2")
    await client.close()


def _update(status: ClearingStatusCode, **kw: object) -> StatusUpdate:
    return StatusUpdate(
        sequence=3,
        submission_id="S7",
        source="MEMBER1",
        channel=Channel.FIX,
        status=status,
        trade=vanilla_irs(),
        at=datetime(2026, 1, 5, 9, 31, tzinfo=UTC),
        in_reply_to="R1",
        **kw,  # type: ignore[arg-type]
    )


async def test_status_is_delivered_only_to_a_logged_on_member(acceptor: FixAcceptor) -> None:
    cleared = _update(
        ClearingStatusCode.CLEARED,
        ccp_trade_ids=("CCP-A-1", "CCP-B-1"),
        clearing_business_date=date(2026, 1, 5),
    )
    item = OutboxItem(1, DeliveryChannel.FIX, RecipientRole.MEMBER, "MEMBER2", cleared)
    assert acceptor.deliver(item) is False  # MEMBER2 is not logged on: the item stays in the outbox
    client = await _session(acceptor, "MEMBER2")
    while not acceptor.is_logged_on("MEMBER2"):  # the logon reply can arrive before quickfix flags it
        await client.send([(35, "1"), (112, "SYNC")])
        await client.receive()
    assert acceptor.deliver(item) is True
    report = dict(pairs_of(await client.receive()))
    assert (report[35], report[571], report[939], report[1832], report[1040], report[715]) == (
        "AE",
        "S7.3",
        "0",
        "1",
        "CCP-B-1",
        "20260105",
    )
    assert 572 not in report  # R1 was MEMBER1's message id, not MEMBER2's
    while "MEMBER2" not in acceptor.logged_on:  # quickfix's onLogon reaches the event loop a moment later
        await client.send([(35, "1"), (112, "SYNC")])
        await client.receive()
    await client.close()


async def test_status_refused_carries_reason_and_credit_status(acceptor: FixAcceptor) -> None:
    refused = _update(
        ClearingStatusCode.REJECTED,
        reasons=(Issue(ReasonCode.RISK_INSUFFICIENT_COLLATERAL, "credit", "shortfall 1200000 EUR"),),
    )
    client = await _session(acceptor)
    while not acceptor.is_logged_on("MEMBER1"):
        await client.send([(35, "1"), (112, "SYNC")])
        await client.receive()
    assert acceptor.send_status(refused, "MEMBER1")
    report = dict(pairs_of(await client.receive()))
    assert (report[939], report[1832], report[2343], report[751], report[1328], report[572]) == (
        "1",
        "3",
        "1",
        "99",
        "credit: shortfall 1200000 EUR",
        "R1",
    )
    await client.close()


async def test_oversized_message_gets_a_business_reject_and_the_session_lives(tmp_path: Path) -> None:
    from gateway.clock import FixedClock
    from tests.channels.fix.conftest import NOW, make_config

    config = make_config(tmp_path, max_message_bytes=4096)
    async with FixAcceptor(config, MemoryClearingPort(), clock=FixedClock(NOW)) as acceptor:
        client = await _session(acceptor)
        big = "x" * 100_000
        reply = await _ask(
            client,
            [
                (35, "AE"),
                (571, "BIG"),
                *HEAD,
                (1003, "T"),
                (167, "IRS"),
                (1184, str(len(big))),
                (1185, big),
                (75, "20260105"),
                (552, "2"),
                (54, "1"),
                (54, "2"),
            ],
        )
        assert (reply[35], reply[372], reply[380]) == ("j", "AE", "0")
        assert "exceeds the limit of 4096" in reply[58]
        alive = await _ask(client, [(35, "1"), (112, "ALIVE")])
        assert alive[112] == "ALIVE"
        await client.close()


async def test_logon_outside_the_session_window_is_answered_with_logout(tmp_path: Path) -> None:
    import dataclasses
    from datetime import timedelta

    from gateway.channels.fix.config import Schedule
    from tests.channels.fix.conftest import make_config

    now = datetime.now(UTC)  # quickfix checks the window against the wall clock
    window = Schedule(
        (now + timedelta(hours=2)).time().replace(microsecond=0),
        (now + timedelta(hours=3)).time().replace(microsecond=0),
    )
    config = dataclasses.replace(make_config(tmp_path), schedule=window)
    async with FixAcceptor(config, MemoryClearingPort()) as acceptor:
        client = FixClient("127.0.0.1", acceptor.config.port)
        await client.connect()
        await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9")])
        replies_before_close = [dict(pairs_of(m)) for m in await client.expect_closed()]
        assert [m[35] for m in replies_before_close] == ["5"]
        await client.close()


async def test_new_report_must_be_a_submit(acceptor: FixAcceptor, memory_port: MemoryClearingPort) -> None:
    client = await _session(acceptor)
    ack = await _ask(
        client, [(35, "AE"), (571, "R1"), (487, "0"), (856, "6"), (60, "20260105-09:00:00.000"), *TRADE]
    )
    assert (ack[1523], ack[1328]) == (
        "1",
        "TradeReportType(856): a new report is a Submit (0), or the Accept (2) or Decline (3) of a trade "
        "alleged against you; a replacement is a Submit (0)",
    )
    assert memory_port.submissions == []
    await client.close()


async def test_replace_submits_a_correction_with_its_new_version(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    client = await _session(acceptor)
    without_version = await _ask(
        client, [(35, "AE"), (571, "R2"), (487, "2"), (856, "0"), (60, "20260105-09:00:00.000"), *TRADE]
    )
    assert (without_version[1523], without_version[1328]) == (
        "1",
        "TradeVersion(2302): a replacement carries the new version (2 or more)",
    )
    ack = await _ask(
        client,
        [(35, "AE"), (571, "R3"), (487, "2"), (856, "0"), (60, "20260105-09:00:00.000"), *TRADE, (2302, "2")],
    )
    assert (ack[487], ack[1523]) == ("2", "0")
    (sub,) = memory_port.submissions
    assert (sub.is_correction, sub.trade.identifiers.source_version) == (True, 2)
    await client.close()


def _with_side_orders(pairs: list[tuple[int, str]], orders: list[str]) -> list[tuple[int, str]]:
    """Each side's ClOrdID (11) after its Account (1), in side order."""
    out: list[tuple[int, str]] = []
    left = list(orders)
    for tag, value in pairs:
        out.append((tag, value))
        if tag == 1 and left:
            out.append((11, left.pop(0)))
    return out


async def test_a_report_names_the_order_it_was_executed_from(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    """The side's ClOrdID goes with the submission, so that the order's pre-trade reservation is released;
    a member names only its own side's order (the other side's ClOrdID is not its to release)."""
    client = await _session(acceptor)
    ack = await _ask(
        client,
        [(35, "AE"), (571, "R-ORD"), *HEAD, *_with_side_orders(list(TRADE), ["ORD-A", "ORD-B"])],
    )
    assert ack[1523] == "0"
    (sub,) = memory_port.submissions
    assert sub.orders == ((LEI_A, "ORD-A"),)
    await client.close()


async def test_a_members_report_is_two_sided_and_a_trade_sources_is_not(
    acceptor: FixAcceptor, memory_port: MemoryClearingPort
) -> None:
    """A member's own report goes to the clearing service as one the other side must affirm; an approved
    trade source's (a session flagged as a source) is registered as it is, with both sides' accounts."""
    member = await _session(acceptor, "MEMBER1")
    assert (await _ask(member, [(35, "AE"), (571, "R1"), *HEAD, *TRADE]))[1523] == "0"
    venue = await _session(acceptor, "VENUE")
    both = parse_pairs((GOLDEN / "vanilla_trade.fix").read_text())  # both accounts named
    assert (await _ask(venue, [(35, "AE"), (571, "V1"), *HEAD, *both]))[1523] == "0"
    by_member, by_venue = memory_port.submissions
    assert (by_member.source, by_member.reporter_party) == ("MEMBER1", LEI_A)
    assert (by_venue.source, by_venue.reporter_party) == ("VENUE", None)
    assert [p.account for p in by_venue.trade.parties] == ["HOUSE", "HOUSE"]
    assert [p.account for p in by_member.trade.parties] == ["HOUSE", None]
    await member.close()
    await venue.close()
