"""Lifecycle events on cleared trades: ``trade_events`` and the status history rows that tell of them.

One ``trade_events`` row per event request taken (a termination, ...), confirmed or refused: when, which
message, the terms asked, the effect (notional before and after, fee) and the two cleared trades after
it. Its statuses are ``status_history`` rows of the trade's submission with ``event_id`` set, so the
trade's history reads in one place and the outbox owes them like any other status.

Revision ID: 0006
Revises: 0005_member_positions
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.types

revision = "0006"
down_revision = "0005_member_positions"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "trade_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("submission_id", Id, nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=256), nullable=False),
        sa.Column("correlation_id", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("received_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("ccp_trade_ids", sa.Text(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("notional_before", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("notional_after", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("fee_amount", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("fee_currency", sa.String(length=3), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_trade_events_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_events")),
        sa.UniqueConstraint("source", "message_id", name=op.f("uq_trade_events_source_message_id")),
    )
    op.create_index(op.f("ix_trade_events_submission_id"), "trade_events", ["submission_id"])
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", Id, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_status_history_event_id_trade_events"), "trade_events", ["event_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_status_history_event_id_trade_events"), type_="foreignkey")
        batch_op.drop_column("event_id")
    op.drop_index(op.f("ix_trade_events_submission_id"), table_name="trade_events")
    op.drop_table("trade_events")
