"""The daily margin cycle: ``eod_runs`` (end of day's progress by step), ``npv_history``,
``variation_margin`` (per cleared trade side and business date) and ``price_alignment_interest`` (per
account and currency and business date).

Revision ID: 0012_eod_cycle
Revises: 0007
Create Date: 2026-12-08 00:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal, UtcDateTime

revision = "0012_eod_cycle"
down_revision = "0011_fixings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eod_runs",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("step", sa.String(16), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("business_date", "step", name="pk_eod_runs"),
    )
    op.create_table(
        "npv_history",
        sa.Column("ccp_trade_id", sa.String(40), primary_key=True),
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("npv", ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("ccp_trade_id", "business_date", name="pk_npv_history"),
        sa.ForeignKeyConstraint(
            ["ccp_trade_id"],
            ["cleared_trades.ccp_trade_id"],
            name="fk_npv_history_ccp_trade_id_cleared_trades",
        ),
    )
    op.create_index("ix_npv_history_business_date", "npv_history", ["business_date"])
    op.create_table(
        "variation_margin",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("ccp_trade_id", sa.String(40), primary_key=True),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("npv", ExactDecimal(), nullable=False),
        sa.Column("previous_npv", ExactDecimal(), nullable=False),
        sa.Column("payments", ExactDecimal(), nullable=False),
        sa.Column("vm", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "ccp_trade_id", name="pk_variation_margin"),
        sa.ForeignKeyConstraint(
            ["ccp_trade_id"],
            ["cleared_trades.ccp_trade_id"],
            name="fk_variation_margin_ccp_trade_id_cleared_trades",
        ),
    )
    op.create_index("ix_variation_margin_trade", "variation_margin", ["ccp_trade_id", "business_date"])
    op.create_index(
        "ix_variation_margin_account",
        "variation_margin",
        ["member_id", "account_id", "currency", "business_date"],
    )
    op.create_table(
        "price_alignment_interest",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("balance", ExactDecimal(), nullable=False),
        sa.Column("overnight_index", sa.String(16), nullable=False),
        sa.Column("rate", ExactDecimal(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Integer(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(
            "business_date", "member_id", "account_id", "currency", name="pk_price_alignment_interest"
        ),
    )


def downgrade() -> None:
    op.drop_table("price_alignment_interest")
    op.drop_index("ix_variation_margin_account", table_name="variation_margin")
    op.drop_index("ix_variation_margin_trade", table_name="variation_margin")
    op.drop_table("variation_margin")
    op.drop_index("ix_npv_history_business_date", table_name="npv_history")
    op.drop_table("npv_history")
    op.drop_table("eod_runs")
