"""an erasure record names the messages on the mail server that held the person.

``erasure.on_server`` lists [account, folder, UID, marked] of each message ``fetch`` read
whose copy under ``outputs/mailbox/`` showed the person when she was erased: the copies are
gone after the first run, and a later ``forget`` still says which messages on the server to
delete (fetch never deletes there). The coordinator's mailbox and its numbers only, none of
her data; NULL for erasures recorded before.

Revision ID: 0012_audit6_faults
Revises: 0011_audit6_review
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_audit6_faults"
down_revision = "0011_audit6_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_server", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_column("on_server")
