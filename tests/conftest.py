"""Shared fixtures: a workspace, real SQLite and PostgreSQL databases, a real SMTP server, the CLI.

PostgreSQL is a throwaway cluster started from the machine's binaries (``initdb``/``pg_ctl``);
as root it runs as the ``postgres`` user in a temporary folder that user owns. On CI
(``CI=true``) a missing PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REPO = Path(__file__).resolve().parents[1]
pytest_plugins = [
    "fixtures_house",
    "fixtures_fetch",
    "fixtures_suite",
    "fixtures_audit2_faults",
    "fixtures_voikko",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- workspace and CLI -------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path, sqlite_template: Path):
    """A fresh workspace made by ``init_workspace`` (the bundled register, templates, survey).

    Its default database is already migrated, with the register (a copy of the template).
    """
    from fixtures_house import copy_sqlite_template

    from yhteistuumin_survey.workspace import init_workspace

    result = init_workspace(tmp_path / "ws")
    copy_sqlite_template(sqlite_template, result.root / "outputs" / "yhteistuumin.sqlite")
    from yhteistuumin_survey.workspace import Workspace

    return Workspace(result.root)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Cli:
    """Run ``yhteistuumin`` in-process on a workspace, with a clean environment."""

    workspace: Any
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, env: dict[str, str] | None = None,
                 input: str | None = None) -> CliResult:
        from yhteistuumin_survey.cli import app
        from yhteistuumin_survey.cli.app import State

        full_env = {k: v for k, v in os.environ.items() if not k.startswith("YHTEISTUUMIN_")}
        full_env.update(self.env)
        full_env.update(env or {})
        state = State(env=full_env)
        runner = CliRunner()
        result = runner.invoke(app, ["--workspace", str(self.workspace.root), *args],
                               obj=state, input=input, env=full_env, catch_exceptions=True)
        exception = result.exception if not isinstance(result.exception, SystemExit) else None
        return CliResult(result.exit_code, result.stdout, result.stderr, exception)


@pytest.fixture
def cli(workspace) -> Cli:
    return Cli(workspace)


# --- databases ---------------------------------------------------------------------------


@dataclass
class PostgresCluster:
    datadir: Path
    port: int
    socket_dir: Path
    _admin: Any = field(default=None, repr=False)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        """Run ``sql`` on the ``postgres`` database, outside a transaction (CREATE DATABASE).

        One connection for the session: a ``psql`` process per statement cost a tenth of a
        second or more each, three times for every PostgreSQL test.
        """
        if self._admin is None or self._admin.closed:
            import psycopg

            self._admin = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                                          dbname="postgres", autocommit=True)
        self._admin.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create database ``name``, a copy of ``template`` (default: an empty one).

        PostgreSQL 15 copies through its write-ahead log by default (every page of the
        template logged); ``STRATEGY = FILE_COPY`` copies the files: 0.08 s a database instead
        of 0.18 s, for each of the hundreds of PostgreSQL tests (and their drop twice as fast).
        """
        self.psql("SELECT 1")  # connected, to ask the version
        strategy = " STRATEGY = FILE_COPY" if self._admin.info.server_version >= 150000 else ""
        self.psql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
                  + strategy)

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


def _as_postgres(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)


def _postgres_binaries() -> bool:
    return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on a free port, stopped at the end of the session."""
    if not _postgres_binaries():
        message = "PostgreSQL binaries (initdb, pg_ctl) are not installed"
        if ON_CI:
            pytest.fail(message + "; .ci/run must install postgresql")
        pytest.skip(message)
    from pg_leftovers import mark_as_mine, stop_clusters_of_dead_runs

    stop_clusters_of_dead_runs()  # those of killed test runs, which never stopped theirs
    base = Path(tempfile.mkdtemp(prefix="yhteistuumin-pg-"))
    mark_as_mine(base)
    datadir, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = free_port()
    _as_postgres(["initdb", "-D", str(datadir), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    _as_postgres(["pg_ctl", "-D", str(datadir), "-o", options, "-w", "-t", "60",
                  "-l", str(base / "log"), "start"])
    cluster = PostgresCluster(datadir, port, sockets)
    try:
        yield cluster
    finally:
        cluster.close()
        subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
                       + ["pg_ctl", "-D", str(datadir), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


_db_counter = iter(range(1_000_000))
_CLONED: set[str] = set()  # URLs of test databases made as clones of the migrated template


def _postgres_database(request: pytest.FixtureRequest, *, template: str | None) -> str:
    """Create a database for one test (a clone of ``template``, or empty); drop it after.

    Dropped at the end of its test, so the cluster stays small: hundreds of kept databases
    made stopping and removing the cluster take over a minute at the end of the run.
    """
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"t{os.getpid()}_{next(_db_counter)}_{int(time.time() * 1000) % 100000}"
    cluster.create_database(name, template)

    def drop() -> None:
        try:
            cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception:  # noqa: BLE001 - a leftover database goes with the cluster
            pass

    request.addfinalizer(drop)
    url = cluster.url(name)
    if template is not None:
        _CLONED.add(url)
    return url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, postgres_cluster: PostgresCluster) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return _postgres_database(request, template=None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: once SQLite, once PostgreSQL.

    When the test also uses ``engine``, the PostgreSQL database is made as a clone of the
    migrated template at once (``engine`` would otherwise drop the empty one and clone).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    if "engine" in request.fixturenames:
        return _postgres_database(request, template=request.getfixturevalue("postgres_template"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(request: pytest.FixtureRequest, db_url: str, workspace, sqlite_template: Path):
    """A migrated database with the register loaded (SQLite and PostgreSQL), from a template."""
    from fixtures_house import clone_postgres_template, copy_sqlite_template

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register

    if db_url.startswith("sqlite:///"):
        copy_sqlite_template(sqlite_template, Path(db_url.removeprefix("sqlite:///")))
    elif db_url not in _CLONED:  # db_url made it a clone at once when it knew (see there)
        clone_postgres_template(request.getfixturevalue("postgres_cluster"),
                                request.getfixturevalue("postgres_template"), db_url)
    engine = open_database(db_url)
    ensure_register(engine, workspace=workspace)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    """A real aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    connections: int = 0

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts in self.envelopes for rcpt in rcpts]


class _CollectingHandler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        self.server.messages.append(message)  # type: ignore[arg-type]
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 (no TLS, no auth) collecting what it receives."""
    from aiosmtpd.controller import Controller

    port = free_port()
    server = SmtpServer("127.0.0.1", port)
    controller = Controller(_CollectingHandler(server), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
