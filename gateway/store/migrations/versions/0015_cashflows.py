"""Cash flows of cleared trades: ``cash_flows`` (one row per payment of a member side, by the end of day
that computed it) and ``net_cash_flows`` (netted per payment date, member, account and currency).

Revision ID: 0015_cashflows
Revises: 0012_eod_cycle
Create Date: 2026-12-08 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.store.types import ExactDecimal

revision = "0015_cashflows"
down_revision = "0014_calls"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cash_flows",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("ccp_trade_id", sa.String(40), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stream", sa.Integer(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("notional", ExactDecimal(), nullable=True),
        sa.Column("rate", ExactDecimal(), nullable=True),
        sa.Column("accrual_start", sa.Date(), nullable=True),
        sa.Column("accrual_end", sa.Date(), nullable=True),
        sa.Column("floating_index", sa.String(64), nullable=True),
        sa.Column("fixing_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cash_flows"),
        sa.ForeignKeyConstraint(
            ["ccp_trade_id"],
            ["cleared_trades.ccp_trade_id"],
            name="fk_cash_flows_ccp_trade_id_cleared_trades",
        ),
    )
    op.create_index("ix_cash_flows_business_date", "cash_flows", ["business_date"])
    op.create_index(
        "ix_cash_flows_payment", "cash_flows", ["payment_date", "member_id", "account_id", "currency"]
    )
    op.create_table(
        "net_cash_flows",
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("flows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "payment_date", "member_id", "account_id", "currency", name="pk_net_cash_flows"
        ),
    )


def downgrade() -> None:
    op.drop_table("net_cash_flows")
    op.drop_index("ix_cash_flows_payment", table_name="cash_flows")
    op.drop_index("ix_cash_flows_business_date", table_name="cash_flows")
    op.drop_table("cash_flows")
