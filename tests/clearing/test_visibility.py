"""A member is told about its own shortfall, and only that the other side's is not covered."""

from __future__ import annotations

from gateway.clearing.visibility import reasons_for_member
from gateway.domain.errors import Issue
from gateway.domain.reasons import ReasonCode as R

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
