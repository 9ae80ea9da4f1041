"""Approved trade sources (reference data) and the audit of admin commands.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "trade_sources",
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("mqtt_user", sa.String(128), nullable=False),
        sa.Column("fix_comp_id", sa.String(64), nullable=True),
        sa.Column("venue", sa.Boolean(), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name="pk_trade_sources"),
        sa.UniqueConstraint("fix_comp_id", name="uq_trade_sources_fix_comp_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_operator", "audit_log", ["operator"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_operator", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("trade_sources")
