"""One boundary for faults: a locked, read-only or damaged database and a folder that cannot be
written each give one line ``where: what happened; what to do``, exit 1, no traceback."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from cli_support import one_error_line
from ingest_support import DATA


def database(workspace):
    return workspace.outputs / "yhteistuumin.sqlite"


def ready(cli, tmp_path):
    """A workspace whose database exists, and a file to ingest."""
    first = tmp_path / "eka.csv"
    shutil.copyfile(DATA / "googleforms.csv", first)
    assert cli("ingest", str(first)).exit_code == 0
    path = tmp_path / "vastaukset.csv"
    shutil.copyfile(DATA / "limesurvey-texts.csv", path)
    return path


@pytest.fixture
def immutable(make_immutable):
    """chattr +i (root ignores mode bits, not this flag); undone afterwards
    (``fixtures_audit2_faults.make_immutable``)."""
    return make_immutable


def test_a_damaged_database_is_one_line(cli, workspace, tmp_path):
    path = ready(cli, tmp_path)
    for extra in ("-wal", "-shm"):
        database(workspace).with_name(database(workspace).name + extra).unlink(missing_ok=True)
    database(workspace).write_bytes(b"this is not a database at all" * 200)
    line = one_error_line(cli("ingest", str(path)))
    assert line == (f"Error: {database(workspace)}: the database file is damaged (not a "
                    "database); restore it from a backup")


def test_a_read_only_database_is_one_line_and_the_report_is_written(cli, workspace, tmp_path,
                                                                    immutable):
    path = ready(cli, tmp_path)
    immutable(database(workspace))
    result = cli("ingest", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{database(workspace)}: the database is read-only" in result.output
    assert "1 file not read (the next run reads it)" in result.output
    reports = sorted((workspace.outputs / "reports").glob("ingest-*.xlsx"))
    assert len(reports) == 2  # the first run's and this one's
    assert "the database is read-only" in _workbook_text(reports[-1])


def test_a_report_folder_that_cannot_be_written_is_one_line(cli, workspace, tmp_path,
                                                            immutable):
    path = ready(cli, tmp_path)
    immutable(workspace.outputs / "reports")
    result = cli("ingest", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the report could not be written: not permitted" in result.output
    assert "1 new" in result.output  # the answers were stored all the same


def test_a_database_locked_by_another_run_is_one_line(cli, workspace, tmp_path):
    path = ready(cli, tmp_path)
    holder = sqlite3.connect(database(workspace), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another run writing, and not letting go
    try:
        # the URL's timeout: a second's wait instead of the default 30 s
        result = cli("--db", f"sqlite:///{database(workspace)}?timeout=1", "ingest", str(path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{database(workspace)}: the database is locked by another run; wait for it to "
            "finish and run the command again") in result.output


def _workbook_text(path):
    """Every cell of a report workbook, as one text."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


@pytest.mark.parametrize("command", [("ingest", "nothing.csv"), ("status",)])
def test_a_lock_wait_that_is_no_number_is_one_line(cli, workspace, command):
    url = f"sqlite:///{database(workspace)}?timeout=abc"
    line = one_error_line(cli("--db", url, *command))
    assert "timeout=abc is not a number of seconds; use e.g. ?timeout=5" in line
