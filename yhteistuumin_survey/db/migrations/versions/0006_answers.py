"""practice version consent has three states: yes, no and unknown (NULL).

An empty consent cell is not a refusal: it is stored as NULL (unknown) and shown as unknown;
only yes publishes. Rows stored before keep their value (an earlier empty cell stays False,
which cannot be told apart from a refusal any more).

Revision ID: 0004_answers
Revises: 0004_fetch
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_answers"
down_revision = "0004_fetch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('practiceversion', schema=None) as batch_op:
        batch_op.alter_column('publish_consent', existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE practiceversion SET publish_consent = false WHERE publish_consent IS NULL")
    with op.batch_alter_table('practiceversion', schema=None) as batch_op:
        batch_op.alter_column('publish_consent', existing_type=sa.Boolean(), nullable=False)
