"""Position: one list of columns, one mapping from a stored member side or a row of the view."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal

from gateway.domain.clearing import (
    LIFECYCLE_COLUMNS,
    MEMBER_POSITION_COLUMNS,
    POSITION_COLUMNS,
    SIDE_ATTRIBUTES,
    Position,
)
from gateway.domain.enums import PositionStatus
from gateway.domain.workflow import ClearedRow
from tests.strategies import LEI_A, vanilla_irs

ROW = ClearedRow(
    ccp_trade_id="CCP-1",
    member_id="BANKA",
    account_id="CLIENT1",
    party_id=LEI_A,
    trade=vanilla_irs(),
    uti="UTI-1",
    product="IRS",
    currency="AUD",
    notional=Decimal("10000000"),
    direction="PAY",
    fixed_rate=Decimal("0.0415"),
    floating_index="AUD-BBR-BBSW",
    index_tenor="6M",
    spread=None,
    effective_date=date(2026, 1, 9),
    maturity_date=date(2031, 1, 9),
)


def test_the_position_columns_are_the_position_fields_in_order() -> None:
    # the position file's columns, then the side's lifecycle (the member_positions view has both)
    assert [f.name for f in fields(Position)] == list(MEMBER_POSITION_COLUMNS)
    assert MEMBER_POSITION_COLUMNS == POSITION_COLUMNS + LIFECYCLE_COLUMNS
    assert POSITION_COLUMNS[0] == "trade_id"
    assert POSITION_COLUMNS[-2:] == ("status", "npv")
    # every other column comes from an attribute a stored member side has
    assert [*SIDE_ATTRIBUTES, "status", "npv"] == list(POSITION_COLUMNS)
    assert all(hasattr(ROW, name) for name in SIDE_ATTRIBUTES.values())


def test_a_stored_side_and_a_view_row_make_the_same_position() -> None:
    stored = Position.of(ROW, PositionStatus.CLEARED, Decimal("-1.5"))
    assert (stored.trade_id, stored.member, stored.account, stored.notional) == (
        "CCP-1",
        "BANKA",
        "CLIENT1",
        Decimal("10000000"),
    )
    view_row = {
        "trade_id": "CCP-1", "uti": "UTI-1", "member": "BANKA", "account": "CLIENT1", "product": "IRS",
        "currency": "AUD", "notional": Decimal("10000000"), "direction": "PAY", "fixed_rate": Decimal("0.0415"),
        "floating_index": "AUD-BBR-BBSW", "index_tenor": "6M", "spread": None,
        "effective_date": date(2026, 1, 9), "maturity_date": date(2031, 1, 9), "status": "CLEARED",
        "npv": Decimal("-1.5"), "business_date": date(2026, 1, 7),
    }  # fmt: skip
    assert Position.from_row(view_row) == stored  # columns beyond the position's are not read
