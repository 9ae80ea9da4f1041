"""The one credit rule (``gateway.clearing.credit``), on its own: figures in, a decision out."""

from __future__ import annotations

from decimal import Decimal

from gateway.clearing.credit import ZERO, CreditPosition, decide, effective_tolerance
from gateway.domain.reasons import ReasonCode

D = Decimal


def position(
    collateral: str = "0", margin: str = "0", reserved: str = "0", limit: str = "0", used: str = "0"
) -> CreditPosition:
    return CreditPosition(D(collateral), D(margin), D(reserved), D(limit), D(used))


def test_headroom_is_excess_collateral_plus_the_unused_tolerance() -> None:
    pos = position(collateral="1000", margin="600", reserved="100", limit="500", used="200")
    assert pos.excess == D(300)
    assert pos.headroom == D(600)
    assert decide("M", "H", D(600), pos).approved  # an exact fit is approved
    refused = decide("M", "H", D("600.01"), pos)
    assert not refused.approved
    assert refused.shortfall == D("0.01")
    assert refused.headroom_before == D(600)


def test_a_deficit_or_an_overdrawn_tolerance_never_counts_against_the_other() -> None:
    short = position(collateral="100", margin="400", limit="500", used="0")  # excess -300
    assert short.headroom == D(500)
    over = position(collateral="1000", margin="200", limit="100", used="300")  # tolerance overdrawn
    assert over.headroom == D(800)


def test_a_trade_that_lowers_the_margin_is_approved_without_headroom() -> None:
    broke = position(collateral="0", margin="1000000")
    assert broke.headroom == ZERO
    assert decide("M", "H", D("-5000"), broke).approved
    assert not decide("M", "H", D("0.01"), broke).approved


def test_a_refusal_names_the_account_and_the_figures() -> None:
    refused = decide("BANKA", "HOUSE", D("1500"), position(collateral="1000", limit="200"))
    (issue,) = refused.reasons
    assert issue.code is ReasonCode.RISK_INSUFFICIENT_COLLATERAL
    assert issue.path == "member[BANKA].account[HOUSE]"
    assert "1500.00 exceeds headroom 1200.00" in issue.message
    assert "short by 300.00" in issue.message


def test_the_tolerance_limit_is_capped_by_the_pool() -> None:
    assert effective_tolerance(D(1000), D(5000), D("0.1")) == D(500)
    assert effective_tolerance(D(300), D(5000), D("0.1")) == D(300)
