"""a review decision records the reviewer's answer to a new reading.

``reviewdecision.reread_answer`` is ``keep`` or ``take`` when the decision's row answered
"Uusi luenta" (``pidä nykyinen`` / ``ota uusi luenta``): ``practices show`` says it on the
decision's history line. NULL for a decision without such an answer, and for decisions
recorded before (their answer is on the version's ``reread-kept`` / ``reread-taken`` flags).

Revision ID: 0011_audit6_review
Revises: 0010_audit5_privacy
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011_audit6_review"
down_revision = "0010_audit5_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reread_answer",
                                      sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.drop_column("reread_answer")
