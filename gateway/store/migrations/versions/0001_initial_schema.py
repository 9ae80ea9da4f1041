"""Initial schema: reference data, collateral, submissions, status history, cleared trades, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:49:10.557716
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.types

# The view's text is frozen here, not imported: a later migration that changes it must not rewrite this one.
CCP_POSITIONS_VIEW = """
CREATE VIEW ccp_positions AS
SELECT ccp_trade_id AS trade_id, uti, member_id AS member, account_id AS account, product, currency,
       notional, direction, fixed_rate, floating_index, index_tenor, spread, effective_date,
       maturity_date, status, npv
FROM cleared_trades
"""


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collateral_movements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity_delta", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("price", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("haircut", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collateral_movements")),
    )
    with op.batch_alter_table("collateral_movements", schema=None) as batch_op:
        batch_op.create_index("ix_collateral_movements_account", ["member_id", "account_id"], unique=False)

    op.create_table(
        "credit_reservations",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("amount", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "order_id", name=op.f("pk_credit_reservations")),
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("tolerance_limit", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("credit_score", sa.Integer(), nullable=False),
        sa.Column("created_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_members")),
    )
    op.create_table(
        "submissions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=256), nullable=False),
        sa.Column("source_trade_id", sa.String(length=256), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("is_correction", sa.Boolean(), nullable=False),
        sa.Column("correlation_id", sa.String(length=256), nullable=True),
        sa.Column("package_id", sa.String(length=256), nullable=True),
        sa.Column("received_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("trade_json", sa.Text(), nullable=False),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("party_a", sa.String(length=64), nullable=False),
        sa.Column("party_b", sa.String(length=64), nullable=False),
        sa.Column("member_a", sa.String(length=64), nullable=True),
        sa.Column("member_b", sa.String(length=64), nullable=True),
        sa.Column("sub_block", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("due_at", gateway.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("backload", sa.Boolean(), nullable=False),
        sa.Column("needs_recheck", sa.Boolean(), nullable=False),
        sa.Column("updated_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("source", "message_id", name=op.f("uq_submissions_source_message_id")),
        sa.UniqueConstraint(
            "source",
            "source_trade_id",
            "source_version",
            name=op.f("uq_submissions_source_source_trade_id_source_version"),
        ),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_stage_due", ["stage", "due_at"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("account_type", sa.String(length=8), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_accounts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", "account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "cleared_trades",
        sa.Column("ccp_trade_id", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("uti", sa.String(length=128), nullable=True),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("notional", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("fixed_rate", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("floating_index", sa.String(length=64), nullable=True),
        sa.Column("index_tenor", sa.String(length=8), nullable=True),
        sa.Column("spread", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("npv", gateway.store.types.ExactDecimal(length=64), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("novated_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("trade_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_cleared_trades_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("ccp_trade_id", name=op.f("pk_cleared_trades")),
    )
    with op.batch_alter_table("cleared_trades", schema=None) as batch_op:
        batch_op.create_index("ix_cleared_trades_member", ["member_id", "account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cleared_trades_submission_id"), ["submission_id"], unique=False)

    op.create_table(
        "member_comp_ids",
        sa.Column("comp_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_member_comp_ids_member_id_members")
        ),
        sa.PrimaryKeyConstraint("comp_id", name=op.f("pk_member_comp_ids")),
    )
    with op.batch_alter_table("member_comp_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_comp_ids_member_id"), ["member_id"], unique=False)

    op.create_table(
        "member_parties",
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_member_parties_member_id_members")
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_member_parties")),
    )
    with op.batch_alter_table("member_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_parties_member_id"), ["member_id"], unique=False)

    op.create_table(
        "status_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("submission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("ccp_trade_ids", sa.Text(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_status_history_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_history")),
        sa.UniqueConstraint(
            "submission_id", "sequence", name=op.f("uq_status_history_submission_id_sequence")
        ),
    )
    op.create_table(
        "account_risk",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("margin", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("pnl_vector", sa.LargeBinary(), nullable=True),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id", "account_id"],
            ["accounts.member_id", "accounts.account_id"],
            name=op.f("fk_account_risk_member_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("member_id", "account_id", name=op.f("pk_account_risk")),
    )
    op.create_table(
        "collateral",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("price", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("haircut", gateway.store.types.ExactDecimal(length=64), nullable=False),
        sa.Column("updated_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id", "account_id"],
            ["accounts.member_id", "accounts.account_id"],
            name=op.f("fk_collateral_member_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("member_id", "account_id", "asset_id", name=op.f("pk_collateral")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("history_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", gateway.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["history_id"], ["status_history.id"], name=op.f("fk_outbox_history_id_status_history")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["channel", "delivered_at", "id"], unique=False)
    op.execute(CCP_POSITIONS_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ccp_positions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("collateral")
    op.drop_table("account_risk")
    op.drop_table("status_history")
    with op.batch_alter_table("member_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_parties_member_id"))

    op.drop_table("member_parties")
    with op.batch_alter_table("member_comp_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_comp_ids_member_id"))

    op.drop_table("member_comp_ids")
    with op.batch_alter_table("cleared_trades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cleared_trades_submission_id"))
        batch_op.drop_index("ix_cleared_trades_member")

    op.drop_table("cleared_trades")
    op.drop_table("accounts")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_stage_due")

    op.drop_table("submissions")
    op.drop_table("members")
    op.drop_table("credit_reservations")
    with op.batch_alter_table("collateral_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_collateral_movements_account")

    op.drop_table("collateral_movements")
