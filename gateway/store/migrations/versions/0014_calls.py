"""Margin calls: ``margin_calls`` (end-of-day and intraday calls per account and currency, their due time,
state and settlement).

Revision ID: 0014_calls
Revises: 0012_eod_cycle
Create Date: 2026-12-08 01:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal, UtcDateTime

revision = "0014_calls"
down_revision = "0012_eod_cycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "margin_calls",
        sa.Column("call_id", sa.String(200), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("components", sa.Text(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("settled_amount", ExactDecimal(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("settled_at", UtcDateTime(), nullable=True),
        sa.Column("settled_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("call_id", name="pk_margin_calls"),
    )
    op.create_index("ix_margin_calls_member", "margin_calls", ["member_id", "business_date"])
    op.create_index("ix_margin_calls_state", "margin_calls", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_margin_calls_state", table_name="margin_calls")
    op.drop_index("ix_margin_calls_member", table_name="margin_calls")
    op.drop_table("margin_calls")
