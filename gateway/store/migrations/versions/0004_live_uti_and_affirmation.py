"""One live UTI, one trade; two-sided FIX: the member that must affirm a member's report.

``submissions.uti`` holds a trade's UTI while its submission may be live, under a unique index over
the rows whose stage is not REJECTED or WITHDRAWN (a refused or withdrawn trade frees its UTI; a
cleared one keeps it). ``submissions.affirm_member`` names the counterparty member that must accept a
trade reported by a member that is not an approved trade source. Existing rows get their UTI from the
stored trade only where it is still unique among live rows (the oldest keeps it).

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-07 16:50:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LIVE_UTI = "stage NOT IN ('REJECTED', 'WITHDRAWN')"


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uti", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("affirm_member", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, trade_json FROM submissions WHERE stage NOT IN ('REJECTED', 'WITHDRAWN') ORDER BY id"
        )
    ).fetchall()
    seen: set[str] = set()
    for row_id, trade_json in rows:
        uti = json.loads(trade_json).get("uti")
        if not uti or uti in seen:
            continue
        seen.add(uti)
        conn.execute(sa.text("UPDATE submissions SET uti = :uti WHERE id = :id"), {"uti": uti, "id": row_id})
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_submissions_live_uti",
            ["uti"],
            unique=True,
            sqlite_where=sa.text(LIVE_UTI),
            postgresql_where=sa.text(LIVE_UTI),
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_live_uti")
        batch_op.drop_column("affirm_member")
        batch_op.drop_column("uti")
