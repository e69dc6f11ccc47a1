"""outbox rows claimed in batches: the state claimed from, the durability epoch, the mark.

``outboundmessage.claimed_from`` is the state a row had when a run claimed it (restored when
the run stopped before handing it over), ``claim_epoch`` the database's durability epoch at
the claim (``mailer.durability_epoch``), ``handing_at`` the mark written just before the
message went to the server. All NULL for rows claimed before: such a row left ``sending``
counts as uncertain, as it always did.

Revision ID: 0006_sender
Revises: 0005_review
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006_sender"
down_revision = "0005_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outboundmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_from", sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
        batch_op.add_column(sa.Column("claim_epoch", sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
        batch_op.add_column(sa.Column("handing_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outboundmessage", schema=None) as batch_op:
        batch_op.drop_column("handing_at")
        batch_op.drop_column("claim_epoch")
        batch_op.drop_column("claimed_from")
