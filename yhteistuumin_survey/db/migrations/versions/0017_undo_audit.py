"""a coordinator's record taken back says who took it back and why.

``coordinatorrecord.undone_by`` is the login that ran ``register retire --undo`` or
``register answered --undo`` (``who`` of the record), ``undo_reason`` the ``--reason`` given
with it. Before, only the moment (``undone_at``) was kept: who put a retired address back in
use, or took back an answer recorded by hand, and why, was not known. NULL for records taken
back before.

Revision ID: 0014_undo_audit
Revises: 0013_audit7_review
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014_undo_audit"
down_revision = "0013_audit7_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coordinatorrecord", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undone_by", sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column("undo_reason", sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coordinatorrecord", schema=None) as batch_op:
        batch_op.drop_column("undo_reason")
        batch_op.drop_column("undone_by")
