"""A package's legs found by index: ``submissions (source, package_id)``.

The clearing pass reads every leg of a package any due submission belongs to; without this index that
read scans the submissions table once per pass that meets a package.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_package", "submissions", ["source", "package_id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_package", table_name="submissions")
