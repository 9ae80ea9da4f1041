"""ccp_positions shows open positions only: cleared trades not yet matured (end of day marks them MATURED).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE_VIEW = """
CREATE VIEW ccp_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
WHERE status = 'CLEARED'
"""

ALL_VIEW = """
CREATE VIEW ccp_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
"""


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    op.execute(LIVE_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    op.execute(ALL_VIEW)
