"""Alembic environment: the engine comes from ``engine.upgrade_database`` (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from yhteistuumin_survey.db import models  # noqa: F401 - registers every table

target_metadata = SQLModel.metadata
config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")



def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


# A connection given is the caller's transaction (the repair of a half-done migration runs
# several upgrades in one); else the engine's own, committed at the end.
if config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    with engine.begin() as connection:
        _run(connection)
