"""fetched message remembers what fetch took from the mailbox.

Revision ID: 0004_fetch
Revises: 0004_house
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004_fetch"
down_revision = "0004_house"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fetchedmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('folder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stored_path', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mailbox', 'folder', 'uidvalidity', 'uid', name='uq_fetched_uid')
    )
    with op.batch_alter_table('fetchedmessage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetchedmessage_message_key'), ['message_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_fetchedmessage_outcome'), ['outcome'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fetchedmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetchedmessage_outcome'))
        batch_op.drop_index(batch_op.f('ix_fetchedmessage_message_key'))

    op.drop_table('fetchedmessage')
