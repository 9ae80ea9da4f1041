"""Golden renderings of what the CCP sends: status reports, acks, execution reports, position reports."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway.clearing.ports import Channel, CreditDecision, Position, StatusUpdate
from gateway.domain.enums import ClearingStatusCode as S
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode
from gateway.formats.fix import replies
from gateway.formats.fix.wire import Out
from tests.channels.fix.script import GOLDEN
from tests.strategies import LEI_A, LEI_B, vanilla_irs

AT = datetime(2026, 1, 5, 9, 31, 2, 345000, tzinfo=UTC)


def _update(status: S, **kw: object) -> StatusUpdate:
    return StatusUpdate(
        sequence=4,
        submission_id="S9",
        source="MEMBER1",
        channel=Channel.FIX,
        status=status,
        trade=vanilla_irs(),
        at=AT,
        in_reply_to="R1",
        **kw,  # type: ignore[arg-type]
    )


POSITION = Position(
    "CCP-A-9",
    "UTI-MW-1",
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
    Decimal("-1250.50"),
)

CASES: dict[str, Out] = {
    "status_cleared_member1": replies.status_report(
        _update(S.CLEARED, ccp_trade_ids=("CCP-A-9", "CCP-B-9"), clearing_business_date=date(2026, 1, 5)),
        recipient_comp_id="MEMBER1",
        participant=LEI_A,
    ),
    "status_pending_credit_member2": replies.status_report(
        _update(
            S.PENDING,
            reasons=(Issue(ReasonCode.RISK_TOLERANCE_EXCEEDED, "credit", "waiting for collateral"),),
        ),
        recipient_comp_id="MEMBER2",
        participant=LEI_B,
    ),
    "status_refused_member1": replies.status_report(
        _update(
            S.REJECTED,
            reasons=(
                Issue(ReasonCode.ELIG_MATURITY_TOO_LONG, "trade", "maturity 2086-01-07 beyond 50 years"),
            ),
        ),
        recipient_comp_id="MEMBER1",
        participant=LEI_A,
    ),
    "ack_received": replies.trade_report_ack(
        report_id="R1", trade_id="MW-1", trans_type="0", at=AT, update=_update(S.RECEIVED)
    ),
    "execution_accepted": replies.execution_report(
        order_id="MEMBER1-O1",
        cl_ord_id="O1",
        side="1",
        account="HOUSE",
        order_qty="50000000",
        at=AT,
        decision=CreditDecision(True, LEI_A, "HOUSE", Decimal("125000.00"), Decimal("4000000")),
    ),
    "position_report": replies.position_report(
        POSITION,
        req_id="P1",
        index=1,
        total=1,
        business_date=date(2026, 1, 5),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_golden(name: str) -> None:
    golden = (GOLDEN / f"{name}.fix").read_text(encoding="utf-8").strip()
    assert CASES[name].text() == golden


@pytest.mark.parametrize(
    ("status", "cleared"),
    [("Cleared", "1"), ("CLEARED", "1"), ("MATURED", "1"), ("Pending", "0"), ("REJECTED", "0")],
)
def test_a_position_report_says_cleared_for_a_cleared_or_matured_trade(status: str, cleared: str) -> None:
    """The store says CLEARED, or MATURED for a position still listed on its maturity date: both were
    cleared by the CCP (ClearedIndicator 1)."""
    position = dataclasses.replace(POSITION, status=status)
    out = replies.position_report(position, req_id="P1", index=1, total=1, business_date=date(2026, 1, 5))
    assert dict(out.pairs())[1832] == cleared
