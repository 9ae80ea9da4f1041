"""A cleared side's lifecycle in the positions, and lifecycle events waiting for collateral.

``cleared_trades`` gains ``original_notional`` (the notional a side was novated with), ``last_event`` (the
kind of the last lifecycle event confirmed on it) and ``last_event_date`` (that event's business date);
the view ``member_positions`` carries them after the standard position columns (``ccp_positions`` keeps
the standard columns only). Existing sides are filled in from the confirmed ``trade_events``: the notional
before the first event that changed a side is its original one, and an event's business date is taken as
the UTC date it was confirmed on.

``trade_events.needs_recheck``: an event short of collateral (``on_shortfall = "pend"``) is stored PENDING;
a lodgement on either member's account flags it, and the next clearing pass decides it again.

Revision ID: 0010_lifecycle_history
Revises: 0007
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal

revision = "0010_lifecycle_history"
down_revision = "0007"
branch_labels = None
depends_on = None

MEMBER_POSITIONS_0010 = """
CREATE VIEW member_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv, last_event, last_event_date, original_notional
FROM cleared_trades
"""
# as revision 0005 made it (what a downgrade restores)
MEMBER_POSITIONS_0005 = """
CREATE VIEW member_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
"""
CCP_POSITIONS = """
CREATE VIEW ccp_positions AS
SELECT trade_id, uti, member, account, product, currency, notional, direction, fixed_rate, floating_index,
       index_tenor, spread, effective_date, maturity_date, status, npv
FROM member_positions
WHERE status = 'CLEARED'
"""


def _drop_views() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    op.execute("DROP VIEW IF EXISTS member_positions")


def upgrade() -> None:
    _drop_views()
    op.add_column(
        "trade_events", sa.Column("needs_recheck", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("cleared_trades", sa.Column("original_notional", ExactDecimal(length=64), nullable=True))
    op.add_column("cleared_trades", sa.Column("last_event", sa.String(24), nullable=True))
    op.add_column("cleared_trades", sa.Column("last_event_date", sa.Date(), nullable=True))
    _fill_in(op.get_bind())
    op.execute(MEMBER_POSITIONS_0010)
    op.execute(CCP_POSITIONS)


def _fill_in(conn: Any) -> None:
    """Each existing side's lifecycle from the confirmed events, oldest first."""
    conn.execute(sa.text("UPDATE cleared_trades SET original_notional = notional"))
    events = conn.execute(
        sa.text(
            "SELECT kind, at, ccp_trade_ids, notional_before FROM trade_events "
            "WHERE outcome = 'CONFIRMED' ORDER BY id"
        )
    ).all()
    changed: set[str] = set()
    for kind, at, ids_json, before in events:
        ids = json.loads(ids_json)  # the sides after the event, then (an amendment) the ones it replaced
        day = (datetime.fromisoformat(at) if isinstance(at, str) else at).date()
        for ccp_id in ids:
            values: dict[str, Any] = {"id": ccp_id, "kind": kind, "day": day}
            sql = "UPDATE cleared_trades SET last_event = :kind, last_event_date = :day"
            if ccp_id not in changed and before is not None and kind != "Amendment" and ids.index(ccp_id) < 2:
                sql += ", original_notional = :before"
                values["before"] = before
            conn.execute(sa.text(sql + " WHERE ccp_trade_id = :id"), values)
            changed.add(ccp_id)


def downgrade() -> None:
    _drop_views()
    # a plain DROP COLUMN (SQLite 3.35 and later): a batch copy of trade_events could not drop the table
    # the status history refers to
    for table, column in (
        ("cleared_trades", "last_event_date"),
        ("cleared_trades", "last_event"),
        ("cleared_trades", "original_notional"),
        ("trade_events", "needs_recheck"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute(MEMBER_POSITIONS_0005)
    op.execute(CCP_POSITIONS)
