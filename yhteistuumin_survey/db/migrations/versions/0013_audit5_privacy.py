"""an erasure record says which erasure key made it.

``erasure.key_check`` is a short keyed check of the workspace's erasure key
(``outputs/.erasure-key``): two workspaces that use one PostgreSQL database, each with its
own key, record erasures the other cannot match to an address; with the check, ``person``
and ``forget`` tell how many were made with another key and say to copy it. NULL for
erasures recorded before (their key is not known).

Revision ID: 0010_audit5_privacy
Revises: 0009_audit5_coordinator
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010_audit5_privacy"
down_revision = "0009_audit5_coordinator"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_check", sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_column("key_check")
