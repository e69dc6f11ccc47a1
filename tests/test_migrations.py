"""The migrations and the models agree: a database upgraded to head needs no further change."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from yhteistuumin_survey.db import models  # noqa: F401
from yhteistuumin_survey.db.engine import open_database


def test_migrated_database_matches_the_models(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == [], "models.py changed without a migration: " \
        "run python -m yhteistuumin_survey.db.revision 'what changed'"
