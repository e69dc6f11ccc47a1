"""Baseline schema.

DEVELOPMENT PLACEHOLDER: while the first release is being built, the baseline creates the
tables of ``models.py``. Before release it is frozen into explicit operations by
``python -m yhteistuumin_survey.db.revision --freeze-baseline``.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op
from sqlmodel import SQLModel

from yhteistuumin_survey.db import models  # noqa: F401

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    SQLModel.metadata.create_all(op.get_bind())


def downgrade() -> None:
    SQLModel.metadata.drop_all(op.get_bind())
