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

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
