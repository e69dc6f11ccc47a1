"""database identity: a random id made once, carried by review workbooks.

Revision ID: 0004_faults
Revises: 0004_answers
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004_faults"
down_revision = "0004_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "databaseidentity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("databaseidentity")
