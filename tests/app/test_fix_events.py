"""Lifecycle events over FIX, two-sided (docs/FIX_ROE.md, "Lifecycle events"), against the real service.

Bank A and Bank B clear the rules of engagement's example swap (EUR 50m) over real FIX sessions; then one
of them proposes an event on it with a TradeCaptureReport carrying TradeContinuation (1937), the other
is sent it as Alleged (856=1) and accepts (856=2) or declines (856=3). Only an accepted event changes the
trade, decided by the same rules as an FpML event (margin, blackout, economics); both members are sent
the outcome on their sessions, and their positions show it.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.clearing.ports import Channel, DeliveryChannel, EventRequest
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.events import EventKind, EventTerms, Money, NotionalChange, TradeRef
from gateway.domain.reasons import ReasonCode
from gateway.formats.fpml.write.status import status_update_to_fpml
from gateway.store import tables as t
from tests.app.fix_world import FixCcp, Msg, Pairs, Session, fix_ccp
from tests.app.test_fix_contract import (
    CCP_IDENTITY,
    COLLATERAL,
    DAY,
    MEMBERS,
    NOW,
    VANILLA,
    ccp,
    ccp_trade_ids,
    registered,
    swap,
)
from tests.channels.fix.script import GOLDEN, parse_pairs
from tests.clearing.conftest import LEI_C
from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template
from tests.strategies import LEI_A, LEI_B

__all__ = ["ccp", "db_url", "engine", "postgres_session_url", "sqlite_template"]

NOT_AUTHORISED, OTHER = "3", "99"  # TradeReportRejectReason of an identity refusal, of a lifecycle rule


def proposal(
    report_id: str,
    trade_id: str,
    continuation: str,
    *,
    trans: str = "2",
    lei: str = LEI_A,
    side: str = "1",
    outstanding: str | None = None,
    change: str | None = None,
    fee: tuple[str, str] | None = None,
    account: str | None = None,
    side_trade_id: str | None = None,
    text: str | None = None,
    other_side: str | None = None,
) -> Pairs:
    """A member's event report on cleared trade ``trade_id``: ``continuation`` (1937) the kind, its own side
    (party ``lei``, Side ``side``), ``outstanding`` / ``change`` the notional after and the change (EUR),
    ``fee`` (PaymentPaySide, amount in EUR); ``other_side`` adds a side naming that party."""
    out: Pairs = [(35, "AE"), (571, report_id), (1003, trade_id), (487, trans), (856, "0"), (60, NOW)]
    out += [(167, "IRS"), (75, DAY)]
    if outstanding is not None:
        out.append((32, outstanding))
    if change is not None:
        out += [(2301, change), (15, "EUR")]
    if fee is not None:
        out += [(40212, "1"), (40213, "4"), (40214, fee[0]), (40216, "EUR"), (40217, fee[1])]
    sides: Pairs = [(54, side)]
    if side_trade_id is not None:
        sides.append((1506, side_trade_id))
    sides += [(453, "1"), (448, lei), (447, "N"), (452, "1")]
    if account is not None:
        sides.append((1, account))
    if other_side is not None:
        sides += [(54, "2"), (453, "1"), (448, other_side), (447, "N"), (452, "1"), (1, "HOUSE")]
    out += [(552, "2" if other_side else "1"), *sides, (1937, continuation)]
    if text is not None:
        out.append((2374, text))
    return out


def reply(
    report_id: str, ref: str, *, lei: str = LEI_B, accept: bool = True, continuation: str = "3"
) -> Pairs:
    """The other member's Accept (856=2) or Decline (3) of proposal ``ref`` (572), its own side only."""
    return [
        *[(35, "AE"), (571, report_id), (1003, "-"), (487, "0"), (856, "2" if accept else "3"), (572, ref)],
        *[(60, NOW), (167, "IRS"), (75, DAY), (552, "1"), (54, "2"), (453, "1"), (448, lei), (447, "N")],
        *[(452, "1"), (1937, continuation)],
    ]


async def cleared_swap(ccp: FixCcp) -> tuple[Session, Session, dict[str, str]]:
    """Bank A's and Bank B's sessions, their swap T1 cleared, each member's CCP trade id; statuses read."""
    a = await ccp.session("BANKA_FIX")
    b = await ccp.session("BANKB_FIX")
    await registered(ccp, a, b, "R1", swap("T1"))
    assert await ccp.clear() == 1
    for s in (a, b):
        await ccp.statuses(s)
    return a, b, await ccp_trade_ids(ccp)


async def notionals(ccp: FixCcp) -> dict[str, tuple[Decimal, str]]:
    c = t.cleared_trades.c
    async with ccp.gateway.engine.connect() as conn:
        rows = await conn.execute(select(c.member_id, c.notional, c.status))
        return {m: (Decimal(n), s) for m, n, s in rows}


def streams_notional(msg: Msg) -> list[str]:
    return msg.all(40054)


async def test_a_partial_termination_proposed_by_a_and_accepted_by_b_shows_both_the_new_notional(
    ccp: FixCcp,
) -> None:
    a, b, ids = await cleared_swap(ccp)
    ack = await a.ask(
        proposal("E1", ids["BANKA"], "3", outstanding="30000000", change="20000000", fee=("1", "125000")),
        "AR",
    )
    assert ack.pick(571, 1003, 487, 856, 939, 1523) == ("E1", ids["BANKA"], "2", "0", "4", "0"), ack.get(1328)
    (alleged,) = await ccp.statuses(b)  # Bank B is asked: Alleged, with the proposal's id to accept it by
    assert alleged.pick(856, 572, 1003, 487, 1937, 939, 32, 2301, 15) == (
        *("1", "E1", ids["BANKB"], "2", "3", "4", "30000000", "20000000", "EUR"),
    )
    # Bank A pays the fee: on Bank B's own trade (CCP side 1, Bank B side 2) the paying side is the other one
    assert alleged.pick(40213, 40214, 40216, 40217) == ("4", "1", "EUR", "125000")
    (proposed,) = await ccp.statuses(a)
    assert proposed.pick(856, 572, 1003, 939) == ("0", "E1", ids["BANKA"], "4")
    assert await notionals(ccp) == {
        "BANKA": (Decimal(50_000_000), "CLEARED"),
        "BANKB": (Decimal(50_000_000), "CLEARED"),
    }

    accepted = await b.ask(reply("E1-OK", "E1"), "AR")
    assert accepted.pick(571, 856, 939, 1523) == ("E1-OK", "2", "0", "0"), accepted.get(1328)
    for session, member_id in ((a, "BANKA"), (b, "BANKB")):
        taken, done = await ccp.statuses(session)
        assert taken.pick(1003, 939, 1937) == (ids[member_id], "0", "3")
        assert done.pick(1003, 487, 1937, 939, 1832, 32, 2301, 572) == (
            *(ids[member_id], "2", "3", "0", "1", "30000000", "20000000", "E1"),
        )
        assert streams_notional(done) == ["30000000", "30000000"]  # the member's trade as it now stands
    assert await notionals(ccp) == {
        "BANKA": (Decimal(30_000_000), "CLEARED"),
        "BANKB": (Decimal(30_000_000), "CLEARED"),
    }

    # each member's MQTT topic gets the outcome only (the proposal and the Accept are FIX statuses), in FpML
    mqtt = [
        i for i in await ccp.gateway.clearing.pending(DeliveryChannel.MQTT, 100) if i.update.event is not None
    ]
    assert sorted((i.recipient, i.update.status.value) for i in mqtt) == [
        ("BANKA", "Cleared"),
        ("BANKB", "Cleared"),
    ]
    for item, lei in zip(sorted(mqtt, key=lambda i: i.recipient), (LEI_A, LEI_B), strict=True):
        xml = status_update_to_fpml(item.update, ccp=CCP_IDENTITY, recipient=item.recipient, member_party=lei)
        assert b"<clearingConfirmed " in xml
        assert b"30000000" in xml

    # positions (RequestForPositions) show the reduced notional on each side
    for session, lei, qty_tag in ((a, LEI_A, 705), (b, LEI_B, 704)):
        request: Pairs = [(35, "AN"), (710, "P1"), (724, "0"), (715, DAY), (60, NOW)]
        request += [(453, "1"), (448, lei), (447, "N"), (452, "1")]
        ack = await session.ask(request, "AO")
        assert ack.pick(727, 728) == ("1", "0")
        position = await session.reply("AP")
        assert position.get(qty_tag) == "30000000"


async def test_a_declined_proposal_changes_nothing_and_both_are_told(ccp: FixCcp) -> None:
    a, b, ids = await cleared_swap(ccp)
    await a.ask(proposal("E2", ids["BANKA"], "3", outstanding="40000000", change="10000000"), "AR")
    declined = await b.ask(reply("E2-NO", "E2", accept=False), "AR")
    assert declined.pick(856, 939, 1523) == ("3", "1", "0")  # the Decline is taken; the event is refused
    for session, member_id in ((a, "BANKA"), (b, "BANKB")):
        statuses = await ccp.statuses(session)
        refused = statuses[-1]
        assert refused.pick(1003, 939, 1832, 751, 572) == (ids[member_id], "1", "1", OTHER, "E2")
        assert "declined by BANKB_FIX" in refused[1328]
        assert streams_notional(refused) == ["50000000", "50000000"]
    assert await notionals(ccp) == {
        "BANKA": (Decimal(50_000_000), "CLEARED"),
        "BANKB": (Decimal(50_000_000), "CLEARED"),
    }
    (to_b,) = [
        i
        for i in await ccp.gateway.clearing.pending(DeliveryChannel.MQTT, 100)
        if i.update.event is not None and i.recipient == "BANKB"
    ]
    xml = status_update_to_fpml(to_b.update, ccp=CCP_IDENTITY, recipient="BANKB", member_party=LEI_B)
    assert b"<clearingRefused " in xml
    assert b"declined by BANKB_FIX" in xml
    again = await b.ask(reply("E2-OK", "E2"), "AR")  # answered already: nothing waits for an answer
    assert again.pick(939, 1523) == ("1", "1")
    assert "no proposal 'E2' waits for an answer" in again[1328]


async def test_a_member_naming_the_other_side_is_refused_with_a_security_log_line(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, ids = await cleared_swap(ccp)
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        # Bank A names Bank B's cleared trade, then puts Bank B's side (with its account) in its report
        theirs = await a.ask(
            proposal("E3", ids["BANKB"], "3", outstanding="40000000", change="10000000"), "AR"
        )
        their_side = await a.ask(
            proposal("E4", ids["BANKA"], "3", outstanding="40000000", change="10000000", other_side=LEI_B),
            "AR",
        )
        their_account = await a.ask(
            proposal("E5", ids["BANKA"], "3", outstanding="40000000", change="10000000", account="CLIENT1"),
            "AR",
        )
    for ack in (theirs, their_side, their_account):
        assert ack.pick(939, 1523, 751) == ("1", "1", NOT_AUTHORISED), ack.get(1328)
    assert (
        theirs[1328]
        == f"TradeID(1003): {ids['BANKB']} is the other member's side; name your own ({ids['BANKA']})"
    )
    assert their_side[1328].startswith(f"NoSides(552): an event report names only {LEI_A}'s own side")
    assert their_account[1328].startswith("Account(1): 'CLIENT1' is not the account of")
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.security"]
    assert sum("channel=fix identity=BANKA_FIX reason=ELIG_ACCOUNT_NOT_YOURS" in m for m in lines) == 3
    assert await ccp.statuses(b) == []  # nothing was alleged
    assert await ccp.count(t.trade_events) == 0


async def test_a_third_member_cannot_accept_and_the_counterparty_still_can(
    ccp: FixCcp, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, ids = await cleared_swap(ccp)
    c = await ccp.session("BANKC_FIX")
    await a.ask(proposal("E6", ids["BANKA"], "9", outstanding="70000000", change="20000000"), "AR")
    with caplog.at_level(logging.WARNING, logger="gateway.security"):
        third = await c.ask(reply("C-OK", "E6", lei=LEI_C, continuation="9"), "AR")
        own = await a.ask(reply("A-OK", "E6", lei=LEI_A, continuation="9"), "AR")  # the proposer itself
    for ack in (third, own):
        assert ack.pick(939, 1523, 751) == ("1", "1", NOT_AUTHORISED)
        assert "only the trade's other member accepts or declines it" in ack[1328]
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.security"]
    assert any("identity=BANKC_FIX reason=ELIG_NOT_COUNTERPARTY" in m for m in lines)
    assert await notionals(ccp) == {
        "BANKA": (Decimal(50_000_000), "CLEARED"),
        "BANKB": (Decimal(50_000_000), "CLEARED"),
    }
    # the increase is still Bank B's to accept
    accepted = await b.ask(reply("B-OK", "E6", continuation="9"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    assert await notionals(ccp) == {
        "BANKA": (Decimal(70_000_000), "CLEARED"),
        "BANKB": (Decimal(70_000_000), "CLEARED"),
    }
    await ccp.statuses(a)
    done = (await ccp.statuses(b))[-1]
    assert done.pick(487, 1937, 939, 32, 2301) == ("2", "9", "0", "70000000", "20000000")


async def test_a_full_termination_ends_the_trade_and_a_later_event_is_refused_as_not_live(
    ccp: FixCcp,
) -> None:
    a, b, ids = await cleared_swap(ccp)
    ack = await b.ask(
        proposal(
            "E7", ids["BANKB"], "2", trans="1", lei=LEI_B, side="2", change="50000000", fee=("2", "90000")
        ),
        "AR",
    )
    assert ack.pick(939, 1523) == ("4", "0"), ack.get(1328)
    (alleged,) = await ccp.statuses(a)
    assert alleged.pick(856, 487, 1937, 32, 2301) == ("1", "1", "2", "0", "50000000")
    accepted = await a.ask(reply("E7-OK", "E7", lei=LEI_A, continuation="2"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    for session in (a, b):
        statuses = await ccp.statuses(session)
        assert statuses[-1].pick(939, 1832, 32, 2301) == ("7", "1", "0", "50000000")  # 7: terminated
    assert await notionals(ccp) == {"BANKA": (Decimal(0), "TERMINATED"), "BANKB": (Decimal(0), "TERMINATED")}
    later = await a.ask(proposal("E8", ids["BANKA"], "3", outstanding="10000000", change="40000000"), "AR")
    assert later.pick(939, 1523, 751) == ("1", "1", OTHER)
    assert later[1328] == f"TradeID(1003): cleared trade {ids['BANKA']} is terminated"


async def test_a_de_clear_takes_the_trade_out_of_clearing_once_accepted(ccp: FixCcp) -> None:
    a, b, ids = await cleared_swap(ccp)
    await a.ask(proposal("E9", ids["BANKA"], "15", trans="1", text="back to bilateral"), "AR")
    (alleged,) = await ccp.statuses(b)
    assert alleged.pick(856, 487, 1937, 2374) == ("1", "1", "15", "back to bilateral")
    accepted = await b.ask(reply("E9-OK", "E9", continuation="15"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    for session in (a, b):
        assert (await ccp.statuses(session))[-1].pick(939, 1832, 1937) == ("2", "0", "15")
    assert await notionals(ccp) == {
        "BANKA": (Decimal(50_000_000), "DEREGISTERED"),
        "BANKB": (Decimal(50_000_000), "DEREGISTERED"),
    }


async def test_a_trade_id_update_gives_the_member_its_new_own_trade_id(ccp: FixCcp) -> None:
    a, b, ids = await cleared_swap(ccp)
    await a.ask(proposal("E10", ids["BANKA"], "30", side_trade_id="A-NEW-1"), "AR")
    accepted = await b.ask(reply("E10-OK", "E10", continuation="30"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    await ccp.statuses(b)
    done = (await ccp.statuses(a))[-1]
    assert done.pick(939, 1937) == ("0", "30")
    assert done.all(1506)[0] == "A-NEW-1"  # its own side's id (the CCP's side carries the CCP's)


async def test_an_accepted_event_is_still_refused_by_the_event_rules(ccp: FixCcp) -> None:
    """Accepted is not confirmed: the amounts must add up, and no termination on a day the trade pays."""
    a, b, ids = await cleared_swap(ccp)
    await a.ask(proposal("E16", ids["BANKA"], "3", outstanding="30000000", change="10000000"), "AR")
    payday = [
        (t_, "20270107" if t_ == 75 else v)
        for t_, v in proposal("E17", ids["BANKA"], "3", outstanding="30000000", change="20000000")
    ]
    await a.ask(payday, "AR")  # 2027-01-07: the swap's first fixed payment
    for ref in ("E16", "E17"):
        taken = await b.ask(reply(f"{ref}-OK", ref), "AR")
        assert taken.pick(856, 939, 1523, 751) == ("2", "1", "1", OTHER)  # the Accept's outcome: refused
    await ccp.statuses(a)
    refusals = [m for m in await ccp.statuses(b) if m.get(939) == "1"]
    assert [m[572] for m in refusals] == ["E16", "E17"]
    assert "change 10000000 + outstanding 30000000 is not the live notional 50000000" in refusals[0][1328]
    assert "scheduled payment on 2027-01-07" in refusals[1][1328]
    assert await notionals(ccp) == {
        "BANKA": (Decimal(50_000_000), "CLEARED"),
        "BANKB": (Decimal(50_000_000), "CLEARED"),
    }


async def test_a_member_may_name_the_trade_by_its_own_trade_id(ccp: FixCcp) -> None:
    a, b, _ = await cleared_swap(ccp)
    ack = await a.ask(
        proposal("E14", "T1", "3", outstanding="45000000", change="5000000"), "AR"
    )  # T1: A's id
    assert ack.pick(939, 1523) == ("4", "0"), ack.get(1328)
    unknown = await b.ask(
        proposal("E15", "T1", "3", lei=LEI_B, outstanding="45000000", change="5000000"), "AR"
    )
    assert unknown.pick(939, 1523) == ("1", "1")  # not Bank B's id: Bank B reported nothing
    assert unknown[1328] == (
        "TradeID(1003): no cleared trade has the id 'T1': neither a CCP trade id nor a trade BANKB_FIX reported"
    )
    accepted = await b.ask(reply("E14-OK", "E14"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    assert (await notionals(ccp))["BANKB"] == (Decimal(45_000_000), "CLEARED")


def amendment(report_id: str, trade_id: str, fixed_rate: str) -> Pairs:
    """Bank A's economic amendment (1937=8) of the example swap: its instrument with a new fixed rate, in
    the stream fields, and Bank A's own side only."""
    instrument = VANILLA[[t_ for t_, _ in VANILLA].index(167) : [t_ for t_, _ in VANILLA].index(75)]
    return [
        *[(35, "AE"), (571, report_id), (1003, trade_id), (487, "2"), (856, "0"), (60, NOW)],
        *[(t_, fixed_rate if t_ == 40784 else v) for t_, v in instrument],
        *[(75, DAY), (552, "1"), (54, "1"), (453, "1"), (448, LEI_A), (447, "N"), (452, "1"), (1937, "8")],
    ]


async def test_an_economic_amendment_replaces_the_cleared_trade_once_accepted(ccp: FixCcp) -> None:
    a, b, ids = await cleared_swap(ccp)
    ack = await a.ask(amendment("E13", ids["BANKA"], "0.05"), "AR")
    assert ack.pick(939, 1523) == ("4", "0"), ack.get(1328)
    (alleged,) = await ccp.statuses(b)
    assert alleged.pick(856, 487, 1937, 1003) == ("1", "2", "8", ids["BANKB"])
    accepted = await b.ask(reply("E13-OK", "E13", continuation="8"), "AR")
    assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
    c = t.cleared_trades.c
    async with ccp.gateway.engine.connect() as conn:
        rows = {
            tid: (m, s_, Decimal(r))
            for tid, m, s_, r in await conn.execute(
                select(c.ccp_trade_id, c.member_id, c.status, c.fixed_rate)
            )
        }
    new = {tid: m for tid, (m, s_, _) in rows.items() if s_ == "CLEARED"}
    assert sorted(new.values()) == ["BANKA", "BANKB"]
    assert {r for m, s_, r in rows.values() if s_ == "CLEARED"} == {Decimal("0.05")}
    assert {s_ for tid, (m, s_, _) in rows.items() if tid in ids.values()} == {"TERMINATED"}
    for session, member_id in ((a, "BANKA"), (b, "BANKB")):
        done = (await ccp.statuses(session))[-1]
        own_new = next(tid for tid, m in new.items() if m == member_id)
        assert done.pick(1003, 939, 1937) == (own_new, "0", "8")  # its new cleared trade, on a new id
        assert "0.05" in done.all(40784)


async def test_an_unanswered_proposal_never_acts_and_is_refused_at_end_of_day(ccp: FixCcp) -> None:
    a, b, ids = await cleared_swap(ccp)
    await a.ask(proposal("E11", ids["BANKA"], "3", outstanding="40000000", change="10000000"), "AR")
    assert await ccp.clear() == 0
    report = await ccp.gateway.clearing.end_of_day(date(2026, 1, 7))
    assert report.proposals_refused == ("E11",)
    for session, member_id in ((a, "BANKA"), (b, "BANKB")):
        refused = (await ccp.statuses(session))[-1]
        assert refused.pick(1003, 939, 751) == (ids[member_id], "1", OTHER)
        assert "had not accepted proposal E11 by the end of 2026-01-07" in refused[1328]
    assert (await notionals(ccp))["BANKA"] == (Decimal(50_000_000), "CLEARED")


async def test_a_one_sided_request_over_fix_is_refused_by_the_event_rules(ccp: FixCcp) -> None:
    """The rules themselves refuse a FIX request no counterparty accepted: neither the trade's source nor
    an approved one, and naming one member only."""
    _, _, ids = await cleared_swap(ccp)
    terms = EventTerms(
        kind=EventKind.TERMINATION,
        trade=TradeRef(ccp_trade_id=ids["BANKA"]),
        parties=(LEI_A,),
        agreement_date=date(2026, 1, 7),
        effective_date=date(2026, 1, 7),
        notional=NotionalChange(Money(Decimal(10_000_000), "EUR"), Money(Decimal(40_000_000), "EUR")),
    )
    request = EventRequest(Channel.FIX, "BANKC_FIX", "X1", ccp.clock.now(), terms)
    *_, final = await ccp.gateway.clearing.submit_event(request)
    assert final.status is ClearingStatusCode.REJECTED
    assert {i.code for i in final.reasons} == {ReasonCode.LIFE_SOURCE_NOT_APPROVED, ReasonCode.LIFE_ONE_SIDED}
    assert (await notionals(ccp))["BANKB"] == (Decimal(50_000_000), "CLEARED")


async def test_a_proposal_survives_a_restart_and_is_accepted_after_it(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    async with fix_ccp(engine, db_url, tmp_path / "fix", MEMBERS, collateral=COLLATERAL) as first:
        _, _, ids = await cleared_swap(first)
        a = first.sessions[0]
        await a.ask(proposal("E12", ids["BANKA"], "3", outstanding="20000000", change="30000000"), "AR")
        await first.delivered()
    async with fix_ccp(engine, db_url, tmp_path / "fix2", (), collateral={}) as second:
        b = await second.session("BANKB_FIX")
        accepted = await b.ask(reply("E12-OK", "E12"), "AR")
        assert accepted.pick(939, 1523) == ("0", "0"), accepted.get(1328)
        assert await notionals(second) == {
            "BANKA": (Decimal(20_000_000), "CLEARED"),
            "BANKB": (Decimal(20_000_000), "CLEARED"),
        }


def test_the_golden_event_messages_are_what_the_tests_send() -> None:
    """tests/golden/fix/event_*.fix hold the worked examples of docs/FIX_ROE.md; they read as the tests'
    own messages (a partial termination with a fee, its Accept)."""
    golden = parse_pairs((GOLDEN / "event_partial_termination.fix").read_text(encoding="utf-8"))
    sent = proposal("E1", "CCP-A-1", "3", outstanding="30000000", change="20000000", fee=("1", "125000"))
    assert list(golden) == sent
    accept = parse_pairs((GOLDEN / "event_accept.fix").read_text(encoding="utf-8"))
    assert list(accept) == reply("E1-OK", "E1")
