"""Published fixings of floating rate indices: ``fixings``, one rate per index and fixing date.

Loaded by ``clearing-gateway fixings load`` and with each daily market data drop; valuation sets a
floating coupon whose fixing date has passed from it.

Revision ID: 0011_fixings
Revises: 0007
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.types

revision = "0011_fixings"
down_revision = "0010_lifecycle_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fixings",
        sa.Column("index", sa.String(length=64), nullable=False),
        sa.Column("fixing_date", sa.Date(), nullable=False),
        sa.Column("rate", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("loaded_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("index", "fixing_date", name=op.f("pk_fixings")),
    )


def downgrade() -> None:
    op.drop_table("fixings")
