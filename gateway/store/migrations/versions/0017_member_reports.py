"""The members' daily reports: ``margin_history`` (each account's initial margin as a business date's
reports took it) and ``report_notices`` (one MQTT notification per member and date, until delivered).

Revision ID: 0017_member_reports
Revises: 0012_eod_cycle
Create Date: 2026-12-08 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal, UtcDateTime

revision = "0017_member_reports"
down_revision = "0016_positions_asof"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "margin_history",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("initial_margin", ExactDecimal(), nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "member_id", "account_id", name="pk_margin_history"),
    )
    op.create_table(
        "report_notices",
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("member_id", "business_date", name="pk_report_notices"),
    )
    op.create_index("ix_report_notices_pending", "report_notices", ["delivered_at"])


def downgrade() -> None:
    op.drop_index("ix_report_notices_pending", table_name="report_notices")
    op.drop_table("report_notices")
    op.drop_table("margin_history")
