"""The AE a member's session is sent about a lifecycle event (gateway/formats/fix/event_write.py), against
the golden files of docs/FIX_ROE.md's worked example: Bank A proposes a partial termination of EUR 20m of
the example swap (EUR 50m) with a fee it pays; Bank B is sent it as Alleged, then both the confirmation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway.clearing.novation import novate
from gateway.clearing.ports import Channel, StatusUpdate
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.errors import Issue
from gateway.domain.events import (
    EventEffect,
    EventKind,
    EventNote,
    EventOutcome,
    EventTerms,
    Fee,
    Money,
    NotionalChange,
    TradeRef,
)
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Party
from gateway.formats.fix.event_write import event_report
from gateway.formats.fix.wire import Out
from tests.channels.fix.script import GOLDEN
from tests.strategies import LEI_A, LEI_B, vanilla_irs

AT = datetime(2026, 1, 7, 10, 15, 0, 250000, tzinfo=UTC)
IDS = ("CCP-A-1", "CCP-B-1")
TRADE = vanilla_irs()
BEFORE = novate(TRADE, Party("CCP"), IDS)
AFTER = tuple(
    dataclasses.replace(
        t, streams=tuple(dataclasses.replace(s, notional=Decimal(30_000_000)) for s in t.streams)
    )
    for t in BEFORE
)
TERMS = EventTerms(
    kind=EventKind.TERMINATION,
    trade=TradeRef(ccp_trade_id="CCP-A-1"),
    parties=(LEI_A,),
    agreement_date=date(2026, 1, 7),
    effective_date=date(2026, 1, 7),
    notional=NotionalChange(Money(Decimal(20_000_000), "EUR"), Money(Decimal(30_000_000), "EUR")),
    fee=Fee(LEI_A, LEI_B, Money(Decimal(125_000), "EUR")),
    event_id="E1",
)


def _update(status: S, note: EventNote, sequence: int, reasons: tuple[Issue, ...] = ()) -> StatusUpdate:
    return StatusUpdate(
        sequence=sequence,
        submission_id="S1",
        source="BANKA_FIX",
        channel=Channel.FIX,
        status=status,
        trade=TRADE,
        at=AT,
        reasons=reasons,
        ccp_trade_ids=IDS,
        in_reply_to="E1",
        event=note,
    )


PROPOSED = EventNote(1, TERMS, EventOutcome.PROPOSED, IDS, (BEFORE[0], BEFORE[1]))
CONFIRMED = EventNote(
    1,
    dataclasses.replace(TERMS, parties=(LEI_A, LEI_B)),
    EventOutcome.CONFIRMED,
    IDS,
    (AFTER[0], AFTER[1]),
    EventEffect(Decimal(50_000_000), Decimal(30_000_000), "EUR"),
)

CASES: dict[str, Out] = {
    "event_alleged_member2": event_report(_update(S.AWAITING_ACCEPTANCE, PROPOSED, 4), participant=LEI_B),
    "event_confirmed_member1": event_report(_update(S.CLEARED, CONFIRMED, 6), participant=LEI_A),
}


def _all(out: Out, tag: int) -> list[str]:
    return [v for t, v in out.pairs() if t == tag]


@pytest.mark.parametrize("name", sorted(CASES))
def test_event_status_matches_golden(name: str) -> None:
    golden = (GOLDEN / f"{name}.fix").read_text(encoding="utf-8").strip()
    assert CASES[name].text() == golden


def test_the_proposer_is_sent_its_own_proposal_as_a_submit_not_alleged() -> None:
    out = event_report(_update(S.AWAITING_ACCEPTANCE, PROPOSED, 4), participant=LEI_A)
    assert (out.get(856), out.get(1003), out.get(939)) == ("0", "CCP-A-1", "4")
    assert _all(out, 40214) == ["1"]  # Bank A (side 1 of its own trade with the CCP) pays the fee


def test_a_refused_event_leaves_the_trade_cleared_and_names_the_rule() -> None:
    refused = dataclasses.replace(
        CONFIRMED, outcome=EventOutcome.REFUSED, effect=None, cleared=(BEFORE[0], BEFORE[1])
    )
    reason = Issue(ReasonCode.LIFE_PAYMENT_DATE_BLACKOUT, "effectiveDate", "the trade pays on 2026-01-07")
    out = event_report(_update(S.REJECTED, refused, 6, (reason,)), participant=LEI_B)
    assert (out.get(939), out.get(1832), out.get(751), out.get(32)) == ("1", "1", "99", "30000000")
    assert out.get(1328) == "effectiveDate: the trade pays on 2026-01-07"
    assert _all(out, 40054) == ["50000000", "50000000"]  # the trade as it stands


def test_a_compression_tells_a_terminated_trade_as_fully_netted_and_a_residual_as_the_netting_new_trade() -> (
    None
):
    netted = dataclasses.replace(
        CONFIRMED,
        terms=dataclasses.replace(
            TERMS,
            kind=EventKind.COMPRESSION,
            fee=None,
            notional=NotionalChange(Money(Decimal(50_000_000), "EUR"), Money(Decimal(0), "EUR")),
        ),
        cleared=(BEFORE[0], BEFORE[1]),
        effect=EventEffect(Decimal(50_000_000), Decimal(0), "EUR"),
    )
    out = event_report(_update(S.CLEARED, netted, 6), participant=LEI_A)
    # TradeContinuation full netting, a cancel; the trade terminated and still a cleared trade's record
    assert (out.get(1937), out.get(487), out.get(939), out.get(1832)) == ("6", "1", "7", "1")
    assert (out.get(32), out.get(2301), out.get(1003)) == ("0", "50000000", "CCP-A-1")
    residual_terms = dataclasses.replace(
        TERMS,
        kind=EventKind.COMPRESSION,
        trade=TradeRef(ccp_trade_id="CCP-R-1"),
        fee=None,
        notional=None,
        originating=("CCP-A-1", "CCP-A-2"),
    )
    residual = EventNote(
        2,
        residual_terms,
        EventOutcome.CONFIRMED,
        ("CCP-R-1", "CCP-R-1"),
        (AFTER[0], AFTER[0]),
        EventEffect(Decimal(0), Decimal(30_000_000), "EUR"),
    )
    out = event_report(_update(S.CLEARED, residual, 3), participant=LEI_A)
    assert (out.get(1937), out.get(487), out.get(939), out.get(1832)) == ("5", "0", "0", "1")
    assert (out.get(32), out.get(2301), out.get(1003)) == ("30000000", "30000000", "CCP-R-1")
