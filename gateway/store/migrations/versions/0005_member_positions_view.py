"""The view ``member_positions``: one row per cleared member side, exactly the position columns.

The SQL store's positions, ``clearing-gateway export positions`` and ``clearing-recon run --db`` read it.
``ccp_positions`` (the open positions, migration 0002) becomes the CLEARED rows of ``member_positions``, so
the mapping of ``cleared_trades`` onto the position columns is written once.

The views were created from their queries in ``gateway.store.tables``; revision 0010_lifecycle_history
changed ``member_positions``, so this revision's SQL is written out here (what it created, whatever the
current queries say).

Revision ID: 0005_member_positions
Revises: 0004
Create Date: 2026-12-07 22:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0005_member_positions"
down_revision = "0004"
branch_labels = None
depends_on = None

# ccp_positions as revision 0002 made it (frozen: what a downgrade restores)
CCP_POSITIONS_0002 = """
CREATE VIEW ccp_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
WHERE status = 'CLEARED'
"""


# the views as this revision created them (frozen)
MEMBER_POSITIONS_0005 = """
CREATE VIEW member_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
"""
CCP_POSITIONS_0005 = """
CREATE VIEW ccp_positions AS
SELECT trade_id, uti, member, account, product, currency, notional, direction, fixed_rate, floating_index,
       index_tenor, spread, effective_date, maturity_date, status, npv
FROM member_positions
WHERE status = 'CLEARED'
"""


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    op.execute(MEMBER_POSITIONS_0005)
    op.execute(CCP_POSITIONS_0005)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    op.execute("DROP VIEW IF EXISTS member_positions")
    op.execute(CCP_POSITIONS_0002)
