"""Migrate once per test session: template databases that each test copies.

Running every migration and loading the register took about a second per database; a copy of
a migrated SQLite file takes milliseconds, and PostgreSQL clones a template database natively
(``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _migrate(url: str, root: Path) -> None:
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace

    engine = open_database(url)
    try:
        ensure_register(engine, workspace=Workspace(root))  # the bundled register
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema with the bundled register loaded."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    _migrate(f"sqlite:///{path}", folder)
    return path


def copy_sqlite_template(template: Path, path: Path) -> None:
    """Make ``path`` a migrated database with the register (a copy of the template)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)


def open_sqlite_copy(template: Path, path: Path, workspace: Any) -> Any:
    """Return an engine on ``path``, a copy of the migrated template, with the workspace's
    register loaded (what the tests' own SQLite databases are made of)."""
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register

    copy_sqlite_template(template, path)
    engine = open_database(f"sqlite:///{path}")
    ensure_register(engine, workspace=workspace)
    return engine


@pytest.fixture
def sqlite_engine(workspace: Any, sqlite_template: Path) -> Iterator[Any]:
    """A SQLite database of the test's own (in its workspace's outputs), from the template."""
    engine = open_sqlite_copy(sqlite_template, workspace.outputs / "test.sqlite", workspace)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a PostgreSQL database migrated once, which test databases are cloned from."""
    name = "yhteistuumin_template"
    postgres_cluster.psql(f"CREATE DATABASE {name}")
    _migrate(postgres_cluster.url(name), tmp_path_factory.mktemp("pg-template"))
    return name


def clone_postgres_template(cluster, template: str, url: str) -> None:
    """Replace the (empty) database of ``url`` with a clone of ``template``."""
    name = url.rsplit("/", 1)[1]
    cluster.psql(f"DROP DATABASE {name}")
    cluster.create_database(name, template)


@pytest.fixture
def settings(workspace: Any) -> Any:
    """The workspace's settings, without the environment (a module may define its own)."""
    from yhteistuumin_survey.config import load_settings

    return load_settings(workspace.root, env={})
