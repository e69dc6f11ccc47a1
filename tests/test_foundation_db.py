"""The database opens, migrates, refuses what it cannot use: on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from yhteistuumin_survey.db.engine import current_revision, head_revision, open_database
from yhteistuumin_survey.db.models import Municipality, MunicipalityAlias, Region
from yhteistuumin_survey.errors import DatabaseError


def test_new_database_is_migrated_to_head_with_register_loaded(engine) -> None:
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Municipality)).one() == 308
        assert session.exec(select(func.count()).select_from(Region)).one() == 19
        helsinki = session.get(Municipality, "091")
        assert helsinki is not None
        assert (helsinki.name_sv, helsinki.language, helsinki.region_code) == \
            ("Helsingfors", "fi-sv", "01")
        pertunmaa = session.exec(select(MunicipalityAlias)
                                 .where(MunicipalityAlias.alias == "Pertunmaa")).one()
        assert pertunmaa.code == "507"


def test_database_newer_than_program_is_refused(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer than this program"):
        open_database(db_url)


def test_unreachable_postgres_names_host_and_reason() -> None:
    with pytest.raises(DatabaseError, match=r"postgresql://127\.0\.0\.1:1/survey: cannot connect"):
        open_database("postgresql://someone:secret@127.0.0.1:1/survey")


def test_connection_error_never_shows_the_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        open_database("postgresql://someone:s3cr3t-pw@127.0.0.1:1/survey")
    assert "s3cr3t-pw" not in str(caught.value)


def test_sqlite_commits_survive_a_power_cut(tmp_path) -> None:
    """WAL with synchronous=FULL: the outbox's record of a hand-over is on disk at commit."""
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()
