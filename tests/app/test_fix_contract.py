"""The FIX acceptor's contract (docs/FIX_ROE.md) against the real clearing service.

The acceptor's own tests (tests/channels/fix/) run against a test double of the clearing port; here every
flow goes over a real FIX session (the independent simplefix client, real TCP, the acceptor built by the
gateway from the reference data) into the real ``ClearingService`` on a SQLite file and on PostgreSQL,
and each test asserts what the member is sent and what the service then holds. The margin model is the
clearing tests' linear one (tests/clearing/doubles.py), so credit figures are known in advance: a trade's
initial margin is notional x whole years x 1bp x 50.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import gateway.rules
from gateway.admin.reference import cash
from gateway.clearing.ports import DeliveryChannel
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.write.status import CcpIdentity, status_update_to_fpml
from gateway.store import tables as t
from tests.app.fix_world import FixCcp, Msg, Pairs, Session, fix_ccp
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.clearing.conftest import LEI_C, member
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]

LEI_D = "5493000000000000SUSP"
MEMBERS = (
    member("BANKA", LEI_A, ("BANKA_FIX",)),
    member("BANKB", LEI_B, ("BANKB_FIX",)),
    member("BANKC", LEI_C, ("BANKC_FIX",)),
    member("BANKD", LEI_D, ("BANKD_FIX",)),
)
COLLATERAL = {"BANKA": Decimal(100_000_000), "BANKB": Decimal(100_000_000), "BANKC": Decimal(100_000_000)}
DAY = "20260107"  # the business date of the service's clock (tests.clearing.conftest.OPEN_NOW)
NOW = f"{DAY}-00:00:00.000"

# The rules of engagement's example swap: Bank A (LEI_A, side 1) pays 5.25% fixed on EUR 50m for 10 years.
CCP_IDENTITY = CcpIdentity("CCP")
VANILLA = parse_pairs((GOLDEN / "vanilla_trade.fix").read_text(encoding="utf-8"))


def swap(
    trade_id: str,
    *,
    maturity: str | None = None,
    version: int | None = None,
    reporter: str = LEI_A,
    uti: str | None = None,
    notional: str | None = None,
    accounts: dict[str, str] | None = None,
    **swap_party: str,
) -> Pairs:
    """The example swap under ``trade_id`` (UTI ``UTI-<trade_id>`` unless ``uti``), as the member whose
    party is ``reporter`` reports it: with an account on its own side only (a member names only its own
    accounts; ``accounts`` sets them by party, naming the other side's too). ``maturity`` (YYYYMMDD)
    moves both streams' termination date, ``notional`` both notionals; ``swap_party`` replaces party ids
    (``LEI_B=...``)."""
    replace = {LEI_A: swap_party.get("LEI_A", LEI_A), LEI_B: swap_party.get("LEI_B", LEI_B)}
    out: Pairs = []
    side = ""
    for tag, value in VANILLA:
        if tag == 1003:
            value = trade_id
        elif tag == 1903:
            value = uti or f"UTI-{trade_id}"
        elif tag == 40065 and maturity is not None:
            value = maturity
        elif tag == 40054 and notional is not None:
            value = notional
        elif tag == 448:
            value = side = replace.get(value, value)
        elif tag == 1:
            continue  # each side's account is set below, after its party
        out.append((tag, value))
        if tag == 803:  # the side's last party field: its account follows
            account = accounts.get(side) if accounts is not None else ("HOUSE" if side == reporter else None)
            if account is not None:
                out.append((1, account))
    if version is not None:
        out.append((2302, str(version)))
    return out


def report(report_id: str, trade: Pairs, *, trans: str = "0", **header: str) -> Pairs:
    """A TradeCaptureReport (AE) submitting (``trans`` 0), replacing (2) ``trade``; ``header`` adds e.g.
    ``PossResend="Y"`` (tag 97)."""
    extra = [(97, v) for k, v in header.items() if k == "PossResend"]
    return [(35, "AE"), *extra, (571, report_id), (487, trans), (856, "0"), (60, NOW), *trade]


def answer(
    report_id: str,
    *,
    ref: str | None = None,
    trade_id: str = "-",
    lei: str = LEI_B,
    account: str | None = None,
    side_trade_id: str | None = None,
    report_type: str = "2",
) -> Pairs:
    """A member's Accept (856=2) or Decline (3) of a trade alleged against it, named by the alleged
    report's TradeReportID (``ref``, 572) or by ``trade_id`` (1003), with its own side: party ``lei``,
    ``account`` and ``side_trade_id``."""
    side: Pairs = [(54, "2")]
    if side_trade_id is not None:
        side.append((1506, side_trade_id))
    side += [(453, "1"), (448, lei), (447, "N"), (452, "1")]
    if account is not None:
        side.append((1, account))
    named = [(572, ref)] if ref is not None else []
    return [
        *[(35, "AE"), (571, report_id), (1003, trade_id), (487, "0"), (856, report_type), *named],
        *[(60, NOW), (167, "IRS"), (75, DAY), (552, "1"), *side],
    ]


async def submission_ref(ccp: FixCcp, source: str, trade_id: str) -> str:
    """The service's id of the (first) submission of a trade."""
    s = t.submissions.c
    async with ccp.gateway.engine.connect() as conn:
        row_id = (
            await conn.execute(
                select(s.id).where(s.source == source, s.source_trade_id == trade_id).order_by(s.id).limit(1)
            )
        ).scalar_one()
    return f"S{row_id:010d}"


async def registered(ccp: FixCcp, a: Session, b: Session, report_id: str, trade: Pairs) -> None:
    """Bank A reports ``trade``, Bank B accepts it (its house account): the trade is due for the clearing
    pass. Every status sent so far is read, so a test sees what comes after."""
    ack = await a.ask(report(report_id, trade), "AR")
    assert ack.pick(939, 1523) == ("4", "0"), ack.get(1328)
    accepted = await b.ask(answer(f"{report_id}-OK", ref=report_id), "AR")
    assert accepted.pick(856, 939, 1523) == ("2", "0", "0"), accepted.get(1328)
    for session in (a, b):
        await ccp.statuses(session)


def cancel(report_id: str, trade_id: str) -> Pairs:
    return [
        *[(35, "AE"), (571, report_id), (1003, trade_id), (487, "1"), (856, "6"), (60, NOW)],
        *[(167, "IRS"), (75, DAY), (552, "2"), (54, "1"), (54, "2")],
    ]


@pytest.fixture
async def ccp(engine: AsyncEngine, db_url: str, tmp_path: Path) -> AsyncIterator[FixCcp]:
    async with fix_ccp(
        engine, db_url, tmp_path / "fix", MEMBERS, collateral=COLLATERAL, suspended=["BANKD"]
    ) as running:
        yield running


async def ccp_trade_ids(ccp: FixCcp) -> dict[str, str]:
    """Member id -> its cleared trade's CCP trade id."""
    c = t.cleared_trades.c
    async with ccp.gateway.engine.connect() as conn:
        return {m: tid for tid, m in await conn.execute(select(c.ccp_trade_id, c.member_id))}


# --- 1. a swap reported in stream fields: received, cleared, then in the positions ----------------------


async def test_a_members_report_is_alleged_to_its_counterparty_and_cleared_once_it_accepts(
    ccp: FixCcp,
) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    ack = await a.ask(report("R1", swap("T1")), "AR")
    assert ack.pick(571, 1003, 487, 856, 939, 1523, 58) == ("R1", "T1", "0", "0", "4", "0", "status Received")
    assert ack.get(751) is None
    assert ack.get(1328) is None

    # Bank B is told the trade is alleged against it (856=1), with the report id to accept it by
    received, alleged = await ccp.statuses(b)
    assert received.pick(856, 1003, 939, 1832) == ("0", "T1", "4", "2")
    assert alleged.pick(856, 572, 1003, 939, 1832) == ("1", "R1", "T1", "4", "2")
    sent, awaiting = await ccp.statuses(a)  # to the reporter it is its own report, awaiting acceptance
    assert [m.pick(856, 572, 939) for m in (sent, awaiting)] == [("0", "R1", "4"), ("0", "R1", "4")]
    # ... and on its MQTT member topic as a clearingStatus AwaitingAcceptance
    to_b = [
        i
        for i in await ccp.gateway.clearing.pending(DeliveryChannel.MQTT, 100)
        if i.recipient == "BANKB" and i.update.status is ClearingStatusCode.AWAITING_ACCEPTANCE
    ]
    assert len(to_b) == 1
    xml = status_update_to_fpml(to_b[0].update, ccp=CCP_IDENTITY, recipient="BANKB", member_party=LEI_B)
    assert b"<clearingStatus " in xml
    assert b">AwaitingAcceptance</clearingStatusValue>" in xml
    assert await ccp.clear() == 0  # not registered: nothing is due until Bank B affirms it
    assert await ccp.stages("BANKA_FIX", "T1") == [(1, "ALLEGED")]

    await ccp.refdata.lodge("BANKB", "CLIENT1", cash("AUD", Decimal(100_000_000)))
    accepted = await b.ask(answer("B-ACC-1", ref="R1", account="CLIENT1", side_trade_id="B-77"), "AR")
    assert accepted.pick(571, 856, 939, 1523, 58) == ("B-ACC-1", "2", "0", "0", "status Accepted")
    assert await ccp.clear() == 1
    ids = await ccp_trade_ids(ccp)
    assert set(ids) == {"BANKA", "BANKB"}
    for session, member_id in ((a, "BANKA"), (b, "BANKB")):
        affirmed, cleared = await ccp.statuses(session)
        assert affirmed.pick(1003, 939, 1832) == ("T1", "0", "2")  # Accepted
        assert cleared.pick(1003, 939, 1832, 2343, 715) == ("T1", "0", "1", "0", DAY)
        assert cleared[1040] == ids[member_id]  # the member's own trade with the CCP
        # TradeReportRefID names the member's report only to the member that sent it
        assert cleared.get(572) == ("R1" if session is a else None)
    # Bank B chose its own account and trade id when it accepted
    c = t.cleared_trades.c
    async with ccp.gateway.engine.connect() as conn:
        accounts = dict((await conn.execute(select(c.member_id, c.account_id))).all())
    assert accounts == {"BANKA": "HOUSE", "BANKB": "CLIENT1"}
    cleared_pair = (await ccp.gateway.clearing.history(await submission_ref(ccp, "BANKA_FIX", "T1")))[
        -1
    ].cleared
    assert cleared_pair is not None
    b_trade = cleared_pair[1]  # CCP-B
    assert any(p.trade_id == "B-77" and p.party_id == LEI_B for p in b_trade.identifiers.party_trade_ids)


async def test_positions_show_the_cleared_swap_from_each_members_side(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T1"))
    await ccp.clear()
    ids = await ccp_trade_ids(ccp)

    def request(req_id: str, lei: str, *account: str) -> Pairs:
        return [
            *[(35, "AN"), (710, req_id), (724, "0"), (715, DAY), (60, NOW)],
            *[(453, "1"), (448, lei), (447, "N"), (452, "1")],
            *[(1, acct) for acct in account],
        ]

    for session, lei, member_id, qty_tag in ((a, LEI_A, "BANKA", 705), (b, LEI_B, "BANKB", 704)):
        ack = await session.ask(request("P1", lei), "AO")
        assert ack.pick(710, 727, 728, 729, 715, 448) == ("P1", "1", "0", "0", DAY, lei)
        position = await session.reply("AP")
        assert position.pick(710, 48, 22, 762, 541, 715, 1832, 448, 1) == (
            *("P1", ids[member_id], "H", "IRS", "20360107", DAY, "1", lei, "HOUSE"),
        )
        # Bank A pays the fixed leg (ShortQty), Bank B receives it (LongQty): gross notional, fixed rate
        assert position.pick(qty_tag, 40784, 15) == ("50000000", "0.0525", "EUR")
        assert position[1903] == f"CCP{ids[member_id]}"  # the cleared trade's UTI: CCP party id + trade id

    none_on_client = await a.ask(request("P2", LEI_A, "CLIENT1"), "AO")
    assert none_on_client.pick(727, 728, 729) == ("0", "2", "0")
    others = await a.ask(request("P3", LEI_B), "AO")
    assert others.pick(727, 728, 729) == ("0", "3", "2")
    c = await ccp.session("BANKC_FIX")
    nothing = await c.ask(request("P4", LEI_C), "AO")
    assert nothing.pick(727, 728, 729, 58) == ("0", "2", "0", "no positions for the request")


# --- 2. duplicates ------------------------------------------------------------------------------------------


async def test_a_report_sent_again_is_answered_with_its_outcome_and_registered_once(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    first = await a.ask(report("R1", swap("T2")), "AR")
    resent = await a.ask(report("R1", swap("T2"), PossResend="Y"), "AR")
    again = await a.ask(report("R1", swap("T2")), "AR")
    renamed = await a.ask(report("R2", swap("T2")), "AR")  # the same trade and version, a new report id
    assert first.pick(571, 1003, 939, 1523, 58) == ("R1", "T2", "4", "0", "status Received")
    for ack, report_id in ((resent, "R1"), (again, "R1"), (renamed, "R2")):  # where the trade is now
        assert ack.pick(571, 1003, 939, 1523, 58) == (report_id, "T2", "4", "0", "status AwaitingAcceptance")
    assert await ccp.count(t.submissions) == 1

    b = await ccp.session("BANKB_FIX")
    assert (await b.ask(answer("B1", ref="R1"), "AR"))[1523] == "0"
    assert await ccp.clear() == 1
    after = await a.ask(report("R1", swap("T2"), PossResend="Y"), "AR")
    assert after.pick(571, 939, 1523, 715, 58, 2343) == ("R1", "0", "0", DAY, "status Cleared", "0")
    assert await ccp.count(t.submissions) == 1
    assert await ccp.count(t.cleared_trades) == 2  # one novation: A-CCP and CCP-B
    # Received, AwaitingAcceptance, Accepted, Cleared
    assert [m.pick(939, 1832) for m in await ccp.statuses(a)] == [
        ("4", "2"),
        ("4", "2"),
        ("0", "2"),
        ("0", "1"),
    ]


# --- 3. cancel ------------------------------------------------------------------------------------------------


async def test_the_reporter_may_withdraw_its_report_before_it_is_affirmed(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T3")), "AR")
    ack = await a.ask(cancel("R1-CXL", "T3"), "AR")
    assert ack.pick(571, 1003, 487, 939, 1523, 58) == ("R1-CXL", "T3", "1", "2", "0", "status Withdrawn")
    assert await ccp.clear() == 0  # nothing left to clear
    assert await ccp.stages("BANKA_FIX", "T3") == [(1, "WITHDRAWN")]
    assert await ccp.count(t.cleared_trades) == 0
    for session in (a, b):
        assert [m.pick(1003, 939, 1832) for m in await ccp.statuses(session)] == [
            ("T3", "4", "2"),
            ("T3", "4", "2"),  # alleged
            ("T3", "2", "0"),
        ]
    again = await a.ask(cancel("R2-CXL", "T3"), "AR")  # already withdrawn: its outcome again
    assert again.pick(939, 1523) == ("2", "0")
    late = await b.ask(answer("B1", ref="R1"), "AR")  # accepting a withdrawn trade: where it is now
    assert late.pick(939, 1523) == ("2", "0")
    assert await ccp.clear() == 0


async def test_a_cancel_of_an_unknown_or_another_members_trade_is_refused(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T3")), "AR")
    unknown = await a.ask(cancel("X1", "NOPE"), "AR")
    assert unknown.pick(571, 1003, 487, 939, 1523, 751) == ("X1", "NOPE", "1", "1", "1", "99")
    assert unknown[1328] == "TradeID(1003): no trade 'NOPE' submitted by 'BANKA_FIX'"
    not_theirs = await b.ask(cancel("X2", "T3"), "AR")  # Bank B is a side, but Bank A reported it
    assert not_theirs.pick(939, 1523, 751) == ("1", "1", "99")
    assert not_theirs[1328] == "TradeID(1003): no trade 'T3' submitted by 'BANKB_FIX'"
    assert await ccp.stages("BANKA_FIX", "T3") == [(1, "ALLEGED")]


async def test_a_cancel_of_a_cleared_trade_is_refused_as_already_novated(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T3"))
    await ccp.clear()
    refused = await a.ask(cancel("R1-CXL", "T3"), "AR")
    assert refused.pick(571, 1003, 487, 939, 1523, 751) == ("R1-CXL", "T3", "1", "1", "1", "99")
    assert "already novated" in refused[1328]
    assert await ccp.stages("BANKA_FIX", "T3") == [(1, "CLEARED")]
    assert await ccp.count(t.cleared_trades) == 2


# --- 4. replace -------------------------------------------------------------------------------------------------


async def test_a_replacement_withdraws_the_version_in_progress_and_clears_the_new_one(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    await a.ask(report("R1", swap("T4")), "AR")
    no_version = await a.ask(report("R2", swap("T4"), trans="2"), "AR")
    assert no_version.pick(487, 939, 1523, 751, 1328) == (
        *("2", "1", "1", "99"),
        "TradeVersion(2302): a replacement carries the new version (2 or more)",
    )
    replaced = await a.ask(report("R3", swap("T4", version=2), trans="2"), "AR")
    assert replaced.pick(571, 487, 939, 1523) == ("R3", "2", "4", "0")
    assert await ccp.stages("BANKA_FIX", "T4") == [(1, "WITHDRAWN"), (2, "ALLEGED")]
    b = await ccp.session("BANKB_FIX")
    assert (await b.ask(answer("B1", ref="R3"), "AR"))[1523] == "0"  # the new version is accepted
    assert await ccp.clear() == 1
    assert await ccp.stages("BANKA_FIX", "T4") == [(1, "WITHDRAWN"), (2, "CLEARED")]
    statuses = await ccp.statuses(a)
    assert [m.pick(572, 939, 1832) for m in statuses] == [
        ("R1", "4", "2"),
        ("R1", "4", "2"),  # alleged
        ("R1", "2", "0"),  # version 1 withdrawn: superseded
        ("R3", "4", "2"),
        ("R3", "4", "2"),  # alleged
        ("R3", "0", "2"),  # accepted
        ("R3", "0", "1"),
    ]
    assert statuses[-1].get(2302) == "2"


async def test_a_replacement_of_a_cleared_version_leaves_it_alone(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T4"))
    await ccp.clear()
    await ccp.statuses(a)
    ack = await a.ask(report("R2", swap("T4", version=2), trans="2"), "AR")
    assert ack.pick(487, 939, 1523) == ("2", "4", "0")
    assert (await b.ask(answer("B2", ref="R2"), "AR"))[1523] == "0"
    await ccp.clear()
    assert await ccp.stages("BANKA_FIX", "T4") == [(1, "CLEARED"), (2, "REJECTED")]
    received, alleged, accepted, refused = await ccp.statuses(a)
    assert [m.pick(939, 1832) for m in (received, alleged, accepted)] == [("4", "2"), ("4", "2"), ("0", "2")]
    assert refused.pick(572, 939, 1832, 751) == ("R2", "1", "3", "99")
    assert "already novated" in refused[1328]
    assert await ccp.count(t.cleared_trades) == 2


# --- 5. pre-trade credit check ----------------------------------------------------------------------------------

STREAMS = [(tag, value) for tag, value in VANILLA if tag >= 40000]  # the example swap's two legs


def order(cl_ord_id: str, *, notional: int = 50_000_000, side: str = "1", lei: str = LEI_A) -> Pairs:
    """NewOrderSingle (D) for the example swap on ``notional``; side 1 pays its fixed leg."""
    legs = [(tag, str(notional) if tag == 40054 else value) for tag, value in STREAMS]
    return [
        *[(35, "D"), (11, cl_ord_id), (1, "HOUSE"), (54, side), (60, NOW), (38, str(notional)), (40, "1")],
        *[(167, "IRS"), (762, "IRS"), (453, "1"), (448, lei), (447, "N"), (452, "1")],
        *legs,
    ]


def cancel_order(cl_ord_id: str, orig: str) -> Pairs:
    return [(35, "F"), (41, orig), (11, cl_ord_id), (1, "HOUSE"), (54, "1"), (60, NOW), (167, "IRS")]


async def reserved(ccp: FixCcp) -> dict[tuple[str, str], Decimal]:
    c = t.credit_reservations.c
    async with ccp.gateway.engine.connect() as conn:
        rows = await conn.execute(select(c.member_id, c.order_id, c.amount))
        return {(m, o): Decimal(str(amount)) for m, o, amount in rows}


async def test_an_order_within_headroom_is_accepted_and_reserves_its_margin_until_cancelled(
    ccp: FixCcp,
) -> None:
    a = await ccp.session("BANKA_FIX")
    accepted = await a.ask(order("O1"), "8")
    assert accepted.pick(37, 11, 17, 150, 39, 1, 54, 38, 151, 14) == (
        *("BANKA_FIX-O1", "O1", "BANKA_FIX-O1-N", "0", "0", "HOUSE", "1", "50000000", "50000000", "0"),
    )
    # 50m x 10 years x 1bp x 50 against 100m of cash and no tolerance
    assert accepted[58] == "incremental margin 2500000; headroom 100000000"
    assert await reserved(ccp) == {("BANKA", "O1"): Decimal(2_500_000)}

    beyond = await a.ask(order("O2", notional=2_000_000_000), "8")
    assert beyond.pick(37, 11, 150, 39, 103, 151) == ("BANKA_FIX-O2", "O2", "8", "8", "3", "0")
    assert "incremental margin 100000000; headroom 97500000; shortfall 2500000" in beyond[58]
    assert set(await reserved(ccp)) == {("BANKA", "O1")}

    released = await a.ask(cancel_order("C1", "O1"), "8")
    assert released.pick(37, 11, 41, 150, 39, 58) == (
        *("BANKA_FIX-O1", "C1", "O1", "4", "4", "credit reservation released"),
    )
    assert await reserved(ccp) == {}
    after = await a.ask(order("O3", notional=2_000_000_000), "8")  # the headroom is whole again
    assert after.pick(150, 39, 58) == ("0", "0", "incremental margin 100000000; headroom 100000000")


async def test_a_cancel_of_an_order_with_no_reservation_is_rejected(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    unknown = await a.ask(cancel_order("C1", "NOPE"), "9")
    assert unknown.pick(37, 11, 41, 39, 434, 102) == ("NONE", "C1", "NOPE", "8", "1", "1")
    await a.ask(order("O1"), "8")
    refused = await a.ask(order("O2", notional=2_000_000_000), "8")
    assert refused[150] == "8"
    not_reserved = await a.ask(cancel_order("C2", "O2"), "9")  # a refused order holds nothing
    assert not_reserved.pick(41, 434, 102) == ("O2", "1", "1")
    other_member = await b.ask(cancel_order("C3", "O1"), "9")  # Bank A's order is not Bank B's to release
    assert other_member.pick(41, 434, 102) == ("O1", "1", "1")
    await a.ask(cancel_order("C4", "O1"), "8")
    twice = await a.ask(cancel_order("C5", "O1"), "9")
    assert twice.pick(41, 434, 102) == ("O1", "1", "1")
    assert await reserved(ccp) == {}


async def test_an_order_of_a_member_suspended_after_logon_is_rejected(ccp: FixCcp) -> None:
    b = await ccp.session("BANKB_FIX")
    await ccp.refdata.suspend("BANKB")
    refused = await b.ask(order("O1", lei=LEI_B), "8")
    assert refused.pick(150, 39, 103) == ("8", "8", "99")
    # refused before any margin was computed: no figures that are not figures
    assert refused[58] == f"member: member {LEI_B} is suspended"
    assert await reserved(ccp) == {}


# --- 6. trades the service refuses, or holds ----------------------------------------------------------------------


async def test_a_trade_out_of_the_product_scope_is_refused_with_its_reason(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T6", maturity="20860107"))  # EUR IRS clear up to 50 years
    await ccp.clear()
    for session in (a, b):
        (refused,) = await ccp.statuses(session)
        assert refused.pick(1003, 939, 1832, 751) == ("T6", "1", "3", "2")  # 2: unknown instrument
        assert refused.get(2343) is None  # not a credit refusal
        assert refused[1328].startswith("streams.terminationDate:")
        assert refused.get(1040) is None
    assert await ccp.stages("BANKA_FIX", "T6") == [(1, "REJECTED")]
    again = await a.ask(report("R1", swap("T6", maturity="20860107"), PossResend="Y"), "AR")
    assert again.pick(939, 1523, 751) == ("1", "1", "2")
    assert again[1328] == refused[1328]


async def test_a_trade_with_a_suspended_member_is_refused(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T6"))
    await ccp.refdata.suspend("BANKB")  # after it affirmed, before the clearing pass
    await ccp.clear()
    (refused,) = await ccp.statuses(a)
    assert refused.pick(1003, 939, 1832, 751) == ("T6", "1", "3", "3")  # 3: not authorised
    assert "suspended" in refused[1328]
    assert await ccp.count(t.cleared_trades) == 0


async def test_a_suspended_members_logon_is_refused_with_the_reason(ccp: FixCcp) -> None:
    from tests.channels.fix.client import FixClient, pairs_of

    client = FixClient("127.0.0.1", ccp.port, sender="BANKD_FIX", target="CCP")
    await client.connect()
    try:
        await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9")])
        answers = [Msg(tuple(pairs_of(m))) for m in await client.expect_closed()]
    finally:
        await client.close()
    assert [m.type for m in answers] == ["5"]
    assert answers[0][58] == f"Rejected Logon Attempt: SenderCompID BANKD_FIX ({LEI_D}) is suspended"


async def _logon_answers(ccp: FixCcp, comp_id: str) -> list[Msg]:
    """What the CCP answers a Logon from ``comp_id`` with, up to its closing the connection."""
    from tests.channels.fix.client import FixClient, pairs_of

    client = FixClient("127.0.0.1", ccp.port, sender=comp_id, target="CCP")
    await client.connect()
    try:
        await client.send([(35, "A"), (98, "0"), (108, "30"), (1137, "9")])
        return [Msg(tuple(pairs_of(m))) for m in await client.expect_closed()]
    finally:
        await client.close()


async def test_a_member_reinstated_after_start_may_log_on_and_one_suspended_after_start_may_not(
    ccp: FixCcp,
) -> None:
    """Sessions are fixed at start, but whether a member may log on follows the reference data."""
    await ccp.refdata.reactivate("BANKD")
    await ccp.refdata.suspend("BANKC")
    await ccp.gateway.reference.refresh()
    d = await ccp.session("BANKD_FIX")  # refused at start (suspended), now logged on
    assert d.comp_id in ccp.gateway.fix.logged_on  # type: ignore[union-attr]
    answers = await _logon_answers(ccp, "BANKC_FIX")
    assert [m.type for m in answers] == ["5"]
    assert answers[0][58] == f"Rejected Logon Attempt: SenderCompID BANKC_FIX ({LEI_C}) is suspended"


async def test_the_member_watch_reads_the_reference_data_again(ccp: FixCcp) -> None:
    """What the gateway's reference-data task runs every ``fix.member_refresh_s`` seconds (or sooner)."""
    import asyncio

    fix = ccp.gateway.fix
    assert fix is not None
    watch = asyncio.create_task(ccp.gateway.reference.run(0.01))
    try:
        await ccp.refdata.reactivate("BANKD")
        for _ in range(1000):  # bounded wait for the next read, not a timing assertion
            if fix._bridge is not None and fix._bridge.enabled.get("BANKD_FIX"):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the watch never read BANKD's reinstatement")
    finally:
        watch.cancel()
    assert (await ccp.session("BANKD_FIX")).comp_id == "BANKD_FIX"


async def test_a_compid_added_after_start_waits_for_a_restart_and_health_says_so(ccp: FixCcp) -> None:
    await ccp.refdata.add_participant(member("BANKE", "5493000000000000BNKE", ("BANKE_FIX",)))
    await ccp.gateway.reference.refresh()
    assert ccp.gateway.fix_sessions is not None
    assert ccp.gateway.fix_sessions.without_session == ("BANKE_FIX",)
    detail = await ccp.gateway.fix_sessions.probe()
    assert detail is not None
    assert detail.endswith("; no session until a restart: BANKE_FIX")
    answers = await _logon_answers(ccp, "BANKE_FIX")  # no session yet: the gate answers
    assert [m.type for m in answers] == ["5"]
    assert (
        answers[0][58]
        == "Rejected Logon Attempt: SenderCompID BANKE_FIX is not a clearing member of this CCP"
    )


async def test_a_trade_short_of_collateral_waits_and_clears_after_a_lodgement(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    async with fix_ccp(
        engine, db_url, tmp_path / "fix", MEMBERS[:2], collateral={"BANKA": Decimal(100_000_000)}
    ) as ccp:
        a = await ccp.session("BANKA_FIX")
        b = await ccp.session("BANKB_FIX")
        await registered(ccp, a, b, "R1", swap("T6"))
        await ccp.clear()
        for session in (a, b):
            (pending,) = await ccp.statuses(session)
            assert pending.pick(1003, 939, 1832, 2343, 751, 1328) == ("T6", "4", "2", "9", None, None)
        await ccp.refdata.lodge("BANKB", "HOUSE", cash("AUD", Decimal(100_000_000)))
        assert await ccp.clear() == 1
        for session in (a, b):
            (cleared,) = await ccp.statuses(session)
            assert cleared.pick(1003, 939, 1832, 2343, 715) == ("T6", "0", "1", "0", DAY)


# --- 7. who may report what ----------------------------------------------------------------------------------------


async def test_a_member_may_not_report_a_trade_between_two_others(ccp: FixCcp) -> None:
    c = await ccp.session("BANKC_FIX")
    ack = await c.ask(report("R1", swap("T7")), "AR")
    assert ack.pick(571, 1003, 939, 1523, 751) == ("R1", "T7", "1", "1", "1")
    assert ack[1328] == f"PartyID(448): SenderCompID BANKC_FIX reports for {LEI_C}, which is neither side"
    assert await ccp.count(t.submissions) == 0


async def test_a_member_may_report_only_on_its_own_accounts(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    trade: Pairs = []
    first_account = True
    for tag, value in swap("T7"):
        if tag == 1 and first_account:
            value, first_account = "OTHER", False
        trade.append((tag, value))
    ack = await a.ask(report("R1", trade), "AR")
    assert ack.pick(939, 1523, 751) == ("1", "1", "1")
    assert ack[1328] == f"Account(1): 'OTHER' is not an account of {LEI_A}"
    assert await ccp.count(t.submissions) == 0


async def test_a_trade_reported_with_its_orders_clordid_takes_the_place_of_the_reservation(
    ccp: FixCcp,
) -> None:
    """ROE 5: the side's ClOrdID releases the order's reservation when the trade is stored; a member names
    only its own side's order, so Bank B's reservation stays."""
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    assert (await a.ask(order("OA"), "8"))[150] == "0"
    assert (await b.ask(order("OB", side="2", lei=LEI_B), "8"))[150] == "0"
    assert set(await reserved(ccp)) == {("BANKA", "OA"), ("BANKB", "OB")}
    trade: Pairs = []
    orders = ["OA", "OB"]  # Bank A names both sides' orders: only its own counts
    for tag, value in swap("T5"):
        trade.append((tag, value))
        if tag == 1:
            trade.append((11, orders.pop(0)))
    ack = await a.ask(report("R1", trade), "AR")
    assert ack.pick(939, 1523) == ("4", "0")
    assert set(await reserved(ccp)) == {("BANKB", "OB")}
    assert (await a.ask(cancel_order("C1", "OA"), "9"))[434] == "1"  # nothing left to cancel
    assert (await b.ask(answer("B1", ref="R1"), "AR"))[1523] == "0"
    assert await ccp.clear() == 1
    assert [m.pick(1003, 939, 1832) for m in await ccp.statuses(a)][-1] == ("T5", "0", "1")


async def test_a_trade_short_of_collateral_is_refused_on_credit_when_the_ccp_refuses_shortfalls(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    shipped = Path(gateway.rules.__file__).with_name("settings.toml").read_text(encoding="utf-8")
    assert 'on_shortfall = "pend"' in shipped
    settings = tmp_path / "settings.toml"
    settings.write_text(shipped.replace('on_shortfall = "pend"', 'on_shortfall = "refuse"'), encoding="utf-8")
    async with fix_ccp(
        engine,
        db_url,
        tmp_path / "fix",
        MEMBERS[:2],
        collateral={"BANKA": Decimal(100_000_000)},
        settings_file=settings,
    ) as ccp:
        a = await ccp.session("BANKA_FIX")
        b = await ccp.session("BANKB_FIX")
        await registered(ccp, a, b, "R1", swap("T6"))
        await ccp.clear()
        texts = {}
        for session in (a, b):
            (refused,) = await ccp.statuses(session)
            assert refused.pick(1003, 939, 1832, 2343, 751) == ("T6", "1", "3", "1", "99")
            texts[session.comp_id] = refused[1328]
        assert "incremental initial margin 2500000.00 exceeds headroom 0.00" in texts["BANKB_FIX"]
        # Bank A is told the trade was refused on its counterparty's credit, not Bank B's figures
        assert texts["BANKA_FIX"] == "counterparty: the counterparty's side is not yet covered"
        assert await ccp.stages("BANKA_FIX", "T6") == [(1, "REJECTED")]


# --- 8. two-sided reporting: decline, end of day, the counterparty's own report, who may answer -----------------


async def test_a_declined_trade_is_refused_to_both_and_never_cleared(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T8")), "AR")
    declined = await b.ask(answer("B-NO", trade_id="T8", report_type="3"), "AR")  # named by its TradeID
    assert declined.pick(571, 856, 939, 1523) == (
        "B-NO",
        "3",
        "1",
        "0",
    )  # the decline taken, the trade refused
    assert await ccp.clear() == 0
    assert await ccp.stages("BANKA_FIX", "T8") == [(1, "REJECTED")]
    assert await ccp.count(t.cleared_trades) == 0
    for session in (a, b):
        refused = (await ccp.statuses(session))[-1]
        assert refused.pick(1003, 939, 1832) == ("T8", "1", "3")
        assert refused[1328] == "tradeReportType: declined by BANKB_FIX"
    history = await ccp.gateway.clearing.history(await submission_ref(ccp, "BANKA_FIX", "T8"))
    assert history[-1].reasons[0].code is ReasonCode.LIFE_DECLINED_BY_COUNTERPARTY
    too_late = await b.ask(answer("B-YES", ref="R1"), "AR")  # accepting a declined trade: still refused
    assert too_late.pick(939, 1523) == ("1", "1")
    assert await ccp.clear() == 0


async def test_a_trade_still_alleged_at_end_of_day_is_refused(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T9")), "AR")
    eod = await ccp.gateway.clearing.end_of_day(date(2026, 1, 7))
    ref = await submission_ref(ccp, "BANKA_FIX", "T9")
    assert eod.refused == (ref,)
    assert await ccp.stages("BANKA_FIX", "T9") == [(1, "REJECTED")]
    for session in (a, b):
        refused = (await ccp.statuses(session))[-1]
        assert refused.pick(1003, 939, 1832) == ("T9", "1", "3")
        assert "not affirmed by the counterparty by the end of 2026-01-07" in refused[1328]
    history = await ccp.gateway.clearing.history(ref)
    assert history[-1].reasons[0].code is ReasonCode.LIFE_NOT_AFFIRMED_BY_EOD
    assert (await b.ask(answer("B1", ref="R1"), "AR")).pick(939, 1523) == ("1", "1")
    assert await ccp.count(t.cleared_trades) == 0


async def test_the_counterpartys_own_matching_report_affirms_the_trade(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T10")), "AR")
    # Bank B reports the same trade under its own trade id: the same UTI and economics, its own account
    own = swap("B-10", uti="UTI-T10", reporter=LEI_B, accounts={LEI_B: "CLIENT1"})
    ack = await b.ask(report("BR1", own), "AR")
    assert ack.pick(571, 1003, 939, 1523, 58) == ("BR1", "B-10", "0", "0", "status Accepted")
    assert await ccp.count(t.submissions) == 1  # an affirmation, not a second trade
    await ccp.refdata.lodge("BANKB", "CLIENT1", cash("AUD", Decimal(100_000_000)))
    assert await ccp.clear() == 1
    c = t.cleared_trades.c
    async with ccp.gateway.engine.connect() as conn:
        accounts = dict((await conn.execute(select(c.member_id, c.account_id))).all())
    assert accounts == {"BANKA": "HOUSE", "BANKB": "CLIENT1"}
    for session in (a, b):
        assert (await ccp.statuses(session))[-1].pick(939, 1832) == ("0", "1")
    again = await b.ask(report("BR1", own, PossResend="Y"), "AR")  # its report again: where the trade is
    assert again.pick(939, 1523, 58) == ("0", "0", "status Cleared")
    assert await ccp.count(t.cleared_trades) == 2


async def test_a_report_with_the_same_uti_and_other_economics_is_refused_naming_what_differs(
    ccp: FixCcp,
) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await a.ask(report("R1", swap("T11")), "AR")
    other = swap("B-11", uti="UTI-T11", reporter=LEI_B, notional="60000000", maturity="20310107")
    refused = await b.ask(report("BR1", other), "AR")
    assert refused.pick(939, 1523, 751) == ("1", "1", "99")
    text = refused[1328]
    ref = await submission_ref(ccp, "BANKA_FIX", "T11")
    assert f"UTI UTI-T11 is alleged as submission {ref} with other terms" in text
    assert "streams[0].notional (50000000 / 60000000)" in text
    assert "streams[0].terminationDate (2036-01-07 / 2031-01-07)" in text
    assert await ccp.stages("BANKA_FIX", "T11") == [(1, "ALLEGED")]  # still waiting for Bank B
    assert await ccp.count(t.submissions) == 1


async def test_only_the_counterparty_may_accept_or_decline_and_a_refusal_is_logged(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    a = await ccp.session("BANKA_FIX")
    c = await ccp.session("BANKC_FIX")
    await a.ask(report("R1", swap("T12")), "AR")
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        own = await a.ask(answer("A-OK", ref="R1", lei=LEI_A), "AR")  # the reporter accepting itself
        third = await c.ask(answer("C-OK", ref="R1", lei=LEI_C), "AR")  # a member that is not a side
        third_declines = await c.ask(answer("C-NO", trade_id="T12", lei=LEI_C, report_type="3"), "AR")
    for ack in (own, third, third_declines):
        assert ack.pick(939, 1523, 751) == ("1", "1", "3")  # 3: not authorised
    assert own[1328] == (
        f"TradeReportRefID(572): report 'R1' is not alleged against {LEI_A}: "
        "only its counterparty may accept or decline it"
    )
    assert third_declines[1328].startswith("TradeID(1003): trade 'T12' is not alleged against")
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.security"]
    assert any("channel=fix identity=BANKA_FIX reason=ELIG_NOT_COUNTERPARTY" in m for m in lines)
    assert any("channel=fix identity=BANKC_FIX reason=ELIG_NOT_COUNTERPARTY" in m for m in lines)
    assert await ccp.stages("BANKA_FIX", "T12") == [(1, "ALLEGED")]
    assert await ccp.clear() == 0


async def test_a_member_naming_the_other_sides_account_is_refused_and_logged(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        # Bank A books Bank B's side into Bank B's client account
        refused = await a.ask(report("R1", swap("T13", accounts={LEI_A: "HOUSE", LEI_B: "CLIENT1"})), "AR")
        await a.ask(report("R2", swap("T14")), "AR")
        # Bank B's accept naming Bank A's account as well as its own
        head = answer("B-OK", ref="R2")[:-6]  # without NoSides and Bank B's side
        accept = [
            *head,
            (552, "2"),
            *[(54, "1"), (453, "1"), (448, LEI_A), (447, "N"), (452, "1"), (1, "CLIENT1")],
            *[(54, "2"), (453, "1"), (448, LEI_B), (447, "N"), (452, "1"), (1, "HOUSE")],
        ]
        refused_accept = await b.ask(accept, "AR")
    assert refused.pick(939, 1523, 751) == ("1", "1", "3")
    assert refused[1328] == (
        f"Account(1): BANKA_FIX may name only the accounts of {LEI_A}, not 'CLIENT1' of {LEI_B}"
    )
    assert refused_accept.pick(939, 1523, 751) == ("1", "1", "3")
    assert refused_accept[1328] == f"Account(1): BANKB_FIX may name only the accounts of {LEI_B}"
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.security"]
    assert any("channel=fix identity=BANKA_FIX reason=ELIG_ACCOUNT_NOT_YOURS" in m for m in lines)
    assert any("channel=fix identity=BANKB_FIX reason=ELIG_ACCOUNT_NOT_YOURS" in m for m in lines)
    assert await ccp.stages("BANKA_FIX", "T13") == []
    assert await ccp.stages("BANKA_FIX", "T14") == [(1, "ALLEGED")]


async def test_a_second_live_trade_with_one_uti_is_refused_naming_the_first(ccp: FixCcp) -> None:
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    c = await ccp.session("BANKC_FIX")
    await registered(ccp, a, b, "R1", swap("T15"))
    await ccp.clear()
    ids = await ccp_trade_ids(ccp)
    # the same UTI again: Bank A under a new trade id, Bank C in a trade of its own with Bank A
    again = await a.ask(report("R2", swap("T15-BIS", uti="UTI-T15")), "AR")
    other = await c.ask(report("C1", swap("C-15", uti="UTI-T15", reporter=LEI_C, LEI_B=LEI_C)), "AR")
    ref = await submission_ref(ccp, "BANKA_FIX", "T15")
    for ack in (again, other):
        assert ack.pick(939, 1523, 751) == ("1", "1", "99")
        assert ack[1328] == (
            f"tradeHeader.uti: UTI UTI-T15 is live as submission {ref} "
            f"(Cleared, CCP trade ids {ids['BANKA']} and {ids['BANKB']})"
        )
    assert await ccp.count(t.submissions) == 1
    assert await ccp.count(t.cleared_trades) == 2
