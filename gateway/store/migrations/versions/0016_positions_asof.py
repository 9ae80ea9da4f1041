"""Positions as of a business date: ``side_events`` (each side's state after every lifecycle event, by the
event's business date) and the views ``position_states`` and ``position_npvs`` that the published query
``gateway.domain.positions_asof`` reads; the view ``member_variation_margin`` (each side's VM by business
date in the figure layout clearing-recon matches).

Existing sides that carry a lifecycle event get one state row: their current notional and status at their
``last_event_date`` (the states between earlier events were not kept before this revision).

Revision ID: 0016_positions_asof
Revises: 0012_eod_cycle
Create Date: 2026-12-08 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal

revision = "0016_positions_asof"
down_revision = "0015_cashflows"
branch_labels = None
depends_on = None

POSITION_STATES = """
CREATE VIEW position_states AS
SELECT ccp_trade_id AS trade_id, business_date AS valid_from, 0 AS sequence,
       CAST(NULL AS VARCHAR(24)) AS last_event, CAST(NULL AS DATE) AS last_event_date,
       COALESCE(original_notional, notional) AS notional, 'CLEARED' AS status
FROM cleared_trades
UNION ALL
SELECT ccp_trade_id, business_date, id, kind, business_date, notional, status
FROM side_events
"""
POSITION_NPVS = """
CREATE VIEW position_npvs AS
SELECT ccp_trade_id AS trade_id, business_date, npv, currency
FROM npv_history
"""
MEMBER_VARIATION_MARGIN = """
CREATE VIEW member_variation_margin AS
SELECT business_date, ccp_trade_id AS trade_id, member_id AS member, account_id AS account, currency,
       vm AS amount
FROM variation_margin
"""


def upgrade() -> None:
    op.create_table(
        "side_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ccp_trade_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("notional", ExactDecimal(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_side_events"),
        sa.ForeignKeyConstraint(
            ["ccp_trade_id"],
            ["cleared_trades.ccp_trade_id"],
            name="fk_side_events_ccp_trade_id_cleared_trades",
        ),
    )
    op.create_index("ix_side_events_trade", "side_events", ["ccp_trade_id", "business_date"])
    op.execute(
        "INSERT INTO side_events (ccp_trade_id, kind, business_date, notional, status) "
        "SELECT ccp_trade_id, last_event, last_event_date, notional, status FROM cleared_trades "
        "WHERE last_event IS NOT NULL AND last_event_date IS NOT NULL ORDER BY ccp_trade_id"
    )
    op.execute(POSITION_STATES)
    op.execute(POSITION_NPVS)
    op.execute(MEMBER_VARIATION_MARGIN)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS member_variation_margin")
    op.execute("DROP VIEW IF EXISTS position_npvs")
    op.execute("DROP VIEW IF EXISTS position_states")
    op.drop_index("ix_side_events_trade", table_name="side_events")
    op.drop_table("side_events")
