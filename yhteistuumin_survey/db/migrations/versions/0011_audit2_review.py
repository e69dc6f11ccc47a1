"""a review decision remembers when its workbook was exported.

``reviewdecision.exported_at`` is the export time the workbook's hidden sheet carries: a
workbook exported before the one an earlier decision came from (last week's file, imported
after this week's) is then held back instead of overruling the newer decision. NULL for
decisions stored before (their order is not known; the earlier rules apply).

Revision ID: 0008_audit2_review
Revises: 0007_indexes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_audit2_review"
down_revision = "0007_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.drop_column("exported_at")
