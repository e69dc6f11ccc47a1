"""a review decision records who last saved its workbook.

``reviewdecision.saved_by`` is the name the workbook's own properties give as the person who
last saved it (``lastModifiedBy`` in an .xlsx's ``docProps/core.xml``, ``dc:creator`` in an
.ods's ``meta.xml``; Excel and LibreOffice write the user's name). A workbook named for
"Liisa" and forwarded to a colleague keeps her name, but not her saver: ``review import``
says the colleague's later decision as a conflict instead of taking it as Liisa changing her
mind. NULL when the file does not say (CSV, a program's save) and for decisions recorded
before.

Revision ID: 0013_audit7_review
Revises: 0012_audit6_faults
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013_audit7_review"
down_revision = "0012_audit6_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("saved_by",
                                      sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewdecision", schema=None) as batch_op:
        batch_op.drop_column("saved_by")
