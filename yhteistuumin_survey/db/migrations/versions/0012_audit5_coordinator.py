"""the coordinator's own records get a table of their own, apart from the bounces.

``register answered`` and ``register checked`` stored their records as ``bounce`` rows
(classification ``answered-outside`` / ``checked``), mixed with the mail the servers sent back.
They move to ``coordinatorrecord`` (round, municipality, kind, address, reason, who, when,
undone_at). An ``answered`` record's round and municipality come from its key
(``answered:<round>:<code>:<time>``) and detail (``<code>: <reason>``); a ``checked`` record kept
no round, so it gets the round of the last message sent to the municipality ("" if none).
Records taken back before were deleted, so none moves as undone. The downgrade moves the
records still in force back into ``bounce``.

``fetchedmessage.municipality_code``: the municipality a message to read came from (it answers
our message, or comes from its contact's address), so that ``send remind`` waits until the
coordinator has read it (a reply "emme osallistu tällä kertaa" is never reminded blindly).

Revision ID: 0009_audit5_coordinator
Revises: 0008_audit2_review
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009_audit5_coordinator"
down_revision = "0008_audit2_review"
branch_labels = None
depends_on = None

_ANSWERED_KEY = re.compile(r"^answered:(?P<round>.*):(?P<code>\d{3}):\d{4}-\d\d-\d\d[T ]")

_bounce = sa.table("bounce", sa.column("id", sa.Integer()),
                   sa.column("message_key", sa.String()),
                   sa.column("classification", sa.String()),
                   sa.column("address", sa.String()), sa.column("detail", sa.String()),
                   sa.column("source", sa.String()), sa.column("processed_at", sa.DateTime()))
_record = sa.table("coordinatorrecord", sa.column("round_name", sa.String()),
                   sa.column("municipality_code", sa.String()), sa.column("kind", sa.String()),
                   sa.column("address", sa.String()), sa.column("reason", sa.String()),
                   sa.column("who", sa.String()),
                   sa.column("recorded_at", sa.DateTime(timezone=True)),
                   sa.column("undone_at", sa.DateTime(timezone=True)))


def _utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # written as naive UTC


def upgrade() -> None:
    op.create_table('coordinatorrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('who', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coordinatorrecord', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinatorrecord_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordinatorrecord_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordinatorrecord_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordinatorrecord_round_name'), ['round_name'], unique=False)

    # A message to read from a municipality holds its reminder until it is read (fetch).
    with op.batch_alter_table('fetchedmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_code',
                                      sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.create_index(batch_op.f('ix_fetchedmessage_municipality_code'),
                              ['municipality_code'], unique=False)

    bind = op.get_bind()
    known = {code for (code,) in bind.execute(sa.text("SELECT code FROM municipality"))}
    last_round: dict[str, str] = dict(bind.execute(sa.text(
        "SELECT municipality_code, round_name FROM outboundmessage ORDER BY id")).all())
    moved: list[dict[str, object]] = []
    ids: list[int] = []
    for row in bind.execute(sa.select(_bounce).where(
            _bounce.c.classification.in_(["answered-outside", "checked"]))):
        code, _, reason = (row.detail or "").partition(":")
        code = code.strip()
        if row.classification == "answered-outside":
            match = _ANSWERED_KEY.match(row.message_key or "")
            round_name, code = (match["round"], match["code"]) if match else ("", code)
            kind, address = "answered", None
        else:
            round_name, kind, address = last_round.get(code, ""), "checked", row.address
        if code not in known:
            continue  # not a record this program wrote: left where it is
        moved.append({"round_name": round_name, "municipality_code": code, "kind": kind,
                      "address": address, "reason": reason.strip(), "who": "",
                      "recorded_at": _utc(row.processed_at), "undone_at": None})
        ids.append(row.id)
    if moved:
        op.bulk_insert(_record, moved)
        bind.execute(sa.delete(_bounce).where(_bounce.c.id.in_(ids)))


def downgrade() -> None:
    bind = op.get_bind()
    back = []
    for row in bind.execute(sa.select(_record).where(_record.c.undone_at.is_(None))):
        when = _utc(row.recorded_at)
        if row.kind == "answered":
            key = f"answered:{row.round_name}:{row.municipality_code}:{when.isoformat()}"
            classification, source = "answered-outside", "register answered"
        elif row.kind != "checked":
            # A kind recorded by later versions ("read", "retired") has no counterpart before
            # this table: taken for a check, it ended the municipality's follow-up notes. A
            # retired address stays retired on its contact row.
            continue
        else:
            key = f"checked:{row.municipality_code}:{(row.address or '').casefold()}:" \
                  f"{when.isoformat()}"
            classification, source = "checked", "register checked"
        back.append({"message_key": key, "classification": classification,
                     "address": row.address, "detail": f"{row.municipality_code}: {row.reason}",
                     "source": source, "processed_at": when.replace(tzinfo=None)})
    if back:
        op.bulk_insert(sa.table("bounce", *(sa.column(name) for name in back[0])), back)
    with op.batch_alter_table('coordinatorrecord', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinatorrecord_round_name'))
        batch_op.drop_index(batch_op.f('ix_coordinatorrecord_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_coordinatorrecord_kind'))
        batch_op.drop_index(batch_op.f('ix_coordinatorrecord_address'))

    op.drop_table('coordinatorrecord')
    with op.batch_alter_table('fetchedmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetchedmessage_municipality_code'))
        batch_op.drop_column('municipality_code')
