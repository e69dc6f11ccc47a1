"""a reviewer can answer a possible-duplicate flag "not a duplicate".

``practice.not_duplicate_of`` holds the ids a practice was answered not to be a copy of
(``publish`` no longer names those pairs); ``reviewdecision.not_duplicate_of`` records the
answer in the audit trail. Both NULL for rows stored before (not answered).

Revision ID: 0005_review
Revises: 0004_faults
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_review"
down_revision = "0004_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_duplicate_of", sa.JSON(), nullable=True))
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_duplicate_of", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.drop_column("not_duplicate_of")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("not_duplicate_of")
