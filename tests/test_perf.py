"""Everyday commands open an up-to-date database with one query, without loading Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from yhteistuumin_survey.db.engine import head_revision, known_revisions, open_database


def test_the_head_read_from_the_migration_files_is_alembics_head() -> None:
    head, known = known_revisions()
    assert head == head_revision() and head in known


def test_an_up_to_date_database_opens_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    open_database(url).dispose()  # creates and migrates
    code = ("import sys; from yhteistuumin_survey.db.engine import open_database; "
            f"open_database({url!r}).dispose(); print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_a_database_not_at_the_newest_schema_still_goes_through_the_full_check(
        tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from yhteistuumin_survey.errors import DatabaseError

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    open_database(url).dispose()
    with sqlite3.connect(tmp_path / "db.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(DatabaseError, match="newer than this program knows"):
        open_database(url)
