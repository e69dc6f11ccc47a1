"""municipality.aland is derived from region_code (region 21, Åland), no longer stored.

Revision ID: 0004_house
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_house"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it copies the table, and dropping the old copy fails while
    # aliases, contacts and practices refer to it (foreign keys are on). SQLite drops a plain
    # column in place since 3.35.
    op.drop_column('municipality', 'aland')


def downgrade() -> None:
    op.add_column('municipality', sa.Column('aland', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.execute("UPDATE municipality SET aland = (region_code = '21')")
