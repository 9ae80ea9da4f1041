"""A member is told about its own shortfall, and only that the other side's is not covered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.clearing.ports import Channel, StatusUpdate
from gateway.clearing.visibility import member_view, reasons_for_member
from gateway.domain.enums import ClearingStatusCode
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode as R
from gateway.domain.trade import Party, PartyTradeId
from tests.strategies import LEI_A, LEI_B, vanilla_irs

SHORT_A = Issue(R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKA].account[HOUSE]", "short by 1,000,000.00")
SHORT_B = Issue(R.RISK_INSUFFICIENT_COLLATERAL, "member[BANKB].account[C1]", "short by 7,000,000.00")
HOURS = Issue(R.ELIG_OUTSIDE_SERVICE_HOURS, "receivedAt", "queued for the open")


def test_own_figures_kept_other_members_redacted() -> None:
    for_a = reasons_for_member([SHORT_A, SHORT_B, HOURS], "BANKA")
    assert for_a[0] == SHORT_A
    assert for_a[1].code is R.RISK_INSUFFICIENT_COLLATERAL
    assert for_a[1].path == "counterparty"
    assert "7,000,000" not in for_a[1].message
    assert for_a[2] == HOURS
    assert reasons_for_member([SHORT_A], "BANKAB") == (
        Issue(R.RISK_INSUFFICIENT_COLLATERAL, "counterparty", "the counterparty's side is not yet covered"),
    )


def _update_with_both_sides() -> StatusUpdate:
    base = vanilla_irs()
    trade = replace(
        base,
        parties=(Party(LEI_A, account="CLIENT1"), Party(LEI_B, account="HOUSE")),
        identifiers=replace(
            base.identifiers, party_trade_ids=(PartyTradeId(LEI_A, "A-1"), PartyTradeId(LEI_B, "B-1"))
        ),
    )
    return StatusUpdate(
        sequence=2,
        submission_id="S1",
        source="MW",
        channel=Channel.MQTT_FPML,
        status=ClearingStatusCode.PENDING,
        trade=trade,
        at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        reasons=(SHORT_A, SHORT_B, HOURS),
        cleared=(trade, trade),
    )


def test_member_view_withholds_the_other_sides_account_trade_ids_and_figures() -> None:
    view = member_view(_update_with_both_sides(), member_id="BANKB", member_party=LEI_B, ccp_party_id="CCP")
    for trade in (view.trade, *(view.cleared or ())):
        assert [p.account for p in trade.parties] == [None, "HOUSE"]
        assert [p.trade_id for p in trade.identifiers.party_trade_ids] == ["B-1"]
    assert view.reasons == reasons_for_member((SHORT_A, SHORT_B, HOURS), "BANKB")
    assert SHORT_A not in view.reasons


def test_member_view_of_a_party_outside_the_trade_is_refused() -> None:
    with pytest.raises(LookupError):
        member_view(
            _update_with_both_sides(), member_id="BANKC", member_party="NOT-A-PARTY", ccp_party_id="CCP"
        )
