"""two indexes dropped that the unique constraints' indexes already serve.

``submission.received_file_id`` is the first column of ``uq_submission_loc`` and
``practiceversion.practice_id`` the first of ``uq_practice_version``: their own indexes served
no query the constraints' indexes do not, and an ingest kept both up to date on every row.

Revision ID: 0007_indexes
Revises: 0006_sender
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0007_indexes"
down_revision = "0006_sender"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_received_file_id")
    with op.batch_alter_table("practiceversion", schema=None) as batch_op:
        batch_op.drop_index("ix_practiceversion_practice_id")


def downgrade() -> None:
    with op.batch_alter_table("practiceversion", schema=None) as batch_op:
        batch_op.create_index("ix_practiceversion_practice_id", ["practice_id"], unique=False)
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_received_file_id", ["received_file_id"],
                              unique=False)
