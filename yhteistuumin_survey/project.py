"""``Project``: the pipeline's front door for the command line, the demo and scripts.

A project is a workspace opened with its settings and its (migrated) database. Every command
of ``yhteistuumin`` is one method here; each calls the stage's core function and returns its
result, which renders itself (``summary()``, ``table()``, ``to_dict()``, some ``to_frame()``)::

    from yhteistuumin_survey import Project

    project = Project.open("kysely-2026")
    print(project.status().to_dict()["totals"])
    frame = project.list_practices(status="new").to_frame()
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import InputError, Interrupted, NoWorkspace, SendError, stopped_by_interrupt
from .reports import plural

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from .bounces import BounceResult
    from .config import Settings
    from .contact_checks import CheckedResult
    from .contact_retire import RetireResult
    from .contacts import ContactImport, Coverage
    from .db.engine import Upgrade
    from .db.read import Reader
    from .fetch import FetchResult
    from .followup import FollowUp
    from .ingest import IngestReport
    from .mailer import SendResult
    from .normalise import Vocabulary
    from .outside_answers import OutsideAnswerResult
    from .person import PersonReport
    from .practice_list import MessagesToRead, PracticeList
    from .practices import PracticeDetail
    from .preflight import PreflightResult
    from .privacy import ErasureResult
    from .publish import PublishResult
    from .purge import PurgeResult
    from .questionnaire import BuildReport
    from .read_replies import ReadResult
    from .register import RegisterList, RegisterUpdate
    from .resolve import Resolutions, Resolver
    from .review.export import ExportResult
    from .review.import_ import ImportResult
    from .status import RoundStatus
    from .survey import Survey
    from .webform import WebformResult
    from .workspace import Workspace

#: ``progress(label, total)``: a context manager yielding ``advance(n=1)``.
Progress = Callable[[str, int | None], AbstractContextManager[Callable[..., Any]]]
#: ``confirm(question)``: returns when the user agreed to a :class:`Question`, raises a
#: ``SurveyError`` (``NotConfirmed``, with ``refused`` or ``no_terminal``) otherwise.
Confirm = Callable[["Question"], None]
#: ``notify(line)``: news while a command works (connecting, a retry, a warning).
Notify = Callable[[str], object]


@dataclass(frozen=True)
class Question:
    """What a command asks before a step that cannot be undone, and what a refusal says."""

    text: str
    #: The error when the answer is no, and when there is no terminal to ask on.
    refused: str
    no_terminal: str
    #: The lines to show before the question (sender, deadline, a sample link …).
    details: Sequence[str] = ()


def _helsinki_day(now: dt.datetime | None) -> dt.date:
    """The day in Finland at ``now`` (naive: UTC; None: now): the deadline is a Finnish day."""
    from .finnish_time import finnish_day

    return finnish_day(now)


def _no_progress(label: str, total: int | None) -> AbstractContextManager[Callable[..., Any]]:
    return nullcontext(lambda n=1: None)


class Project:
    """A workspace, its settings and its database, with one method per pipeline command."""

    def __init__(self, workspace: Workspace, *, db_url: str | None = None,
                 env: Mapping[str, str] | None = None, progress: Progress | None = None,
                 notify: Notify | None = None):
        self.workspace = workspace
        self.db_url = db_url
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.progress: Progress = progress or _no_progress
        self.notify: Notify = notify or (lambda line: None)
        self._engine: Engine | None = None

    @classmethod
    def open(cls, path: str | Path | None = None, *, db_url: str | None = None,
             env: Mapping[str, str] | None = None, progress: Progress | None = None,
             notify: Notify | None = None,
             outside: Literal["here", "bundled", "refuse"] = "here") -> Project:
        """Open the workspace at ``path`` (default: the nearest one up from the current folder).

        ``db_url`` overrides the configured database; ``env`` replaces ``os.environ`` for
        settings (``YHTEISTUUMIN_*``, the SMTP password). The database opens on first use.
        ``outside`` says what no ``path`` and no workspace up from the current folder gives:
        ``"here"`` the current folder on the defaults; ``"bundled"`` the same with, unless a
        database is given, the bundled register in memory (``register list`` anywhere) and no
        ``outputs/`` made where one stands; ``"refuse"`` a ``NoWorkspace`` error.
        """
        from .workspace import Workspace, find_workspace, workspace_root

        if path is None:
            if workspace_root(Path.cwd()) is None:
                if outside == "refuse":
                    raise NoWorkspace("no yhteistuumin.toml here or in any folder above: run "
                                      "'yhteistuumin init DIR' or give --workspace")
                if (outside == "bundled" and db_url is None
                        and not (os.environ if env is None else env).get("YHTEISTUUMIN_DB")):
                    db_url = "sqlite://"
            return cls(find_workspace(Path.cwd()), db_url=db_url, env=env, progress=progress,
                       notify=notify)
        root = Path(path).resolve()
        if not root.is_dir():  # a mistyped path must not become a new, empty workspace
            raise InputError(f"{root}: no such workspace folder; check --workspace / "
                             f"YHTEISTUUMIN_WORKSPACE, or create it with "
                             f"'yhteistuumin init {root}'")
        return cls(Workspace(root), db_url=db_url, env=env, progress=progress, notify=notify)

    # --- what every command needs -----------------------------------------------------------

    @property
    def login(self) -> str:
        """The login running the command, for the coordinator's records ("" if not known)."""
        return next((self.env[key] for key in ("USER", "LOGNAME", "USERNAME")
                     if self.env.get(key)), "")

    def load_settings(self, **overrides: Any) -> Settings:
        """Return the settings with command options by ``section.key`` (None: not given)."""
        from .config import load_settings

        merged = {"database.url": self.db_url, **overrides}
        return load_settings(self.workspace.root, env=self.env, overrides=merged)

    @cached_property
    def settings(self) -> Settings:
        """The workspace's settings: defaults < yhteistuumin.toml < environment < db_url."""
        return self.load_settings()

    @property
    def engine(self) -> Engine:
        """The database engine, migrated, with the register loaded (opened on first use)."""
        if self._engine is None:
            from .db.engine import open_database
            from .register import ensure_register
            # Only in a workspace still there: one moved away since the command started would
            # get a new empty database (and its folders) in the old place.
            if not self.workspace.root.is_dir():
                from .errors import WorkspaceGone

                raise WorkspaceGone(self.workspace.root)
            made = self._new_database_given()
            self._engine = open_database(self.settings.database_url,
                                         on_migrated=self._say_migrated, on_wait=self.notify)
            ensure_register(self._engine, workspace=self.workspace)
            if made is not None:
                self.notify(f"Note: there was no database at {made} (the database URL from "
                            f"{self._database_given_by()}); a new, empty one was made there. "
                            "If you meant the round's existing database, check the path")
        return self._engine

    def _database_given_by(self) -> str:
        """Where the database URL came from, as the user would look for it."""
        from .config import DB_ENV

        if self.db_url:
            return "--db"
        if self.settings.sources.get("database.url") == DB_ENV:
            return DB_ENV
        return "[database] url in yhteistuumin.toml"

    def _new_database_given(self) -> Path | None:
        """The SQLite file a database URL given by the user (not the workspace's own) names
        when no database is there yet: a mistyped path must not pass for a round with nothing
        sent. A folder that does not exist is refused; a file not there yet is made and said."""
        from .db.read import sqlite_file

        if not self.settings.get("database.url"):
            return None  # the workspace's own database, made on first use
        path = sqlite_file(self.settings.database_url)
        if path is None or (path.is_file() and path.stat().st_size > 0):
            return None
        if not path.parent.is_dir():
            from .errors import DatabaseError

            raise DatabaseError(f"{path}: no database there and no folder {path.parent}; "
                                f"check the database URL ({self._database_given_by()}), or "
                                "make the folder first to start a new database there")
        return path

    def _say_migrated(self, migrated: Any) -> None:
        """A command that migrated an older database on its way says so, and where the copy
        taken before is (``db upgrade`` says it in its summary)."""
        if migrated.backup is None:
            return
        self.notify(f"Note: the database was upgraded from schema {migrated.before} to "
                    f"{migrated.after}"
                    + (f" (the migration to {migrated.repaired}, left half-done by an "
                       "earlier version, was finished)" if migrated.repaired else "")
                    + f"; the database as it was before is kept in {migrated.backup}; delete "
                    "it once the upgraded one works")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a database session that commits when the block succeeds."""
        from .db.engine import session_scope

        with session_scope(self.engine) as session:
            yield session

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """Yield the database for reading with plain SQL (``status``, ``practices list``).

        A command that only looks checks the schema with one query and never migrates: an
        older database is an error naming ``db upgrade``. On SQLite neither SQLAlchemy nor the
        models are imported. A database not made yet is made first, as any command does.
        """
        from .db.read import SqlAlchemyReader, open_reader

        found = open_reader(self.settings.database_url) if self._engine is None else None
        if found is None:
            with self.engine.connect() as connection:
                yield SqlAlchemyReader(connection)
            return
        try:
            yield found
        finally:
            found.close()

    def database_label(self) -> str:
        """The database for an error line: a SQLite file's path, or the URL without user and
        password."""
        from .db.engine import database_label
        from .errors import SurveyError

        try:
            return database_label(self._engine.url if self._engine is not None
                                  else self.settings.database_url)
        except (SurveyError, OSError):  # the settings themselves are wrong or unreadable
            return "database"

    def close(self) -> None:
        """Close the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @cached_property
    def survey(self) -> Survey:
        """The survey definition: the workspace's own ``survey/`` or the bundled one."""
        from .survey import workspace_survey

        return workspace_survey(self.workspace)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The keyword vocabulary (``survey/keywords.yaml``)."""
        from .normalise import load_vocabulary

        return load_vocabulary(self.workspace)

    @cached_property
    def resolver(self) -> Resolver:
        """The municipality-name resolver over the register in the database."""
        from .resolve import Resolver

        with self.session() as session:
            return Resolver.from_session(session)

    # --- workspace and database ---------------------------------------------------------------

    def upgrade_db(self) -> Upgrade:
        """Apply the database migrations (``db upgrade``)."""
        from .db.engine import Upgrade, describe_url, make_engine, migrate

        url = self.settings.database_url
        engine = make_engine(url)
        try:
            done = migrate(engine)
        finally:
            engine.dispose()
        return Upgrade(describe_url(url), done.before, done.after, done.backup, done.repaired)

    # --- register -----------------------------------------------------------------------------

    def list_register(self, *, region: str | None = None,
                      language: str | None = None) -> RegisterList:
        """The municipalities in force, optionally of one region or language (``register list``)."""
        from .register import RegisterList, list_register

        with self.session() as session:
            return RegisterList(list_register(session=session, region=region, language=language))

    def resolve(self, texts: Sequence[str]) -> Resolutions:
        """Which municipalities each text names (``register resolve``)."""
        from .resolve import Resolutions

        resolver = self.resolver
        return Resolutions(resolver.resolve_many(list(texts)), resolver.names)

    def update_register(self, path: Path, *, mergers: Path | None = None, partial: bool = False,
                        dry_run: bool = False) -> RegisterUpdate:
        """Load a newer classification (``register update``); ``dry_run`` changes nothing."""
        from .register import load_mergers_csv, update_register

        merger_rows = load_mergers_csv(self.workspace.resolve("recipients/mergers.csv"))
        if mergers is not None:
            merger_rows += load_mergers_csv(mergers)
        with self.session() as session:
            result = update_register(Path(path), session=session, mergers=merger_rows,
                                     partial=partial)
            if dry_run:
                session.rollback()
        result.dry_run = dry_run
        self.__dict__.pop("resolver", None)  # the register changed
        return result

    def import_contacts(self, path: Path, *, display: str | None = None,
                        retire_missing: bool = False) -> ContactImport:
        """Import the coordinator's contact list (``register contacts``); with
        ``retire_missing`` retire the addresses of its municipalities it no longer has."""
        from .contacts import import_contacts

        with self.session() as session:
            return import_contacts(Path(path), session=session, display=display or str(path),
                                   retire_missing=retire_missing,
                                   round_name=self.settings.round_name, who=self.login)

    def retire_contact(self, address: str, *, reason: str = "",
                       municipality: str | None = None, undo: bool = False) -> RetireResult:
        """Retire a contact address (``register retire``): kept for the record, never mailed
        again; says which municipality is left with no working address. With ``undo``, put a
        retired address back in use."""
        from .contact_retire import retire_address

        with self.session() as session:
            return retire_address(address, session=session, reason=reason,
                                  municipality=municipality, undo=undo,
                                  round_name=self.settings.round_name, who=self.login)

    def mark_checked(self, municipality: str, *, reason: str,
                     address: str | None = None) -> CheckedResult:
        """End the follow-up list's notes on a municipality's contacts, with the reason
        (``register checked``): the coordinator looked, and the contact stays as it is."""
        from .contact_checks import mark_checked

        with self.session() as session:
            return mark_checked(municipality, session=session, reason=reason, address=address,
                                soft_limit=int(self.settings.get("bounces.soft_limit")),
                                soft_days=int(self.settings.get("bounces.soft_days")),
                                round_name=self.settings.round_name, who=self.login)

    def record_outside_answer(self, municipality: str, *, reason: str = "",
                              undo: bool = False) -> OutsideAnswerResult:
        """Record that a municipality answered the round in a way nothing here reads (a reply
        saying it has nothing to report, a phone call), or take that back (``register
        answered``): it is counted as answered and never reminded."""
        from .outside_answers import record_outside_answer

        with self.session() as session:
            return record_outside_answer(municipality, session=session, reason=reason,
                                         undo=undo, round_name=self.settings.round_name,
                                         who=self.login)

    def record_read(self, municipality: str, *, reason: str = "") -> ReadResult:
        """Record that the coordinator read a municipality's message and there is nothing to
        record (``register read``): it no longer holds the reminders."""
        from .read_replies import record_read

        with self.session() as session:
            return record_read(municipality, session=session, reason=reason,
                               round_name=self.settings.round_name, who=self.login)

    def check_contacts(self, *, strict: bool = False) -> Coverage:
        """The contact list's coverage (``register check``); ``strict``: incomplete fails."""
        from .contacts import check_contacts

        with self.session() as session:
            coverage = check_contacts(session=session)
        coverage.strict = strict
        return coverage

    # --- survey and sending ------------------------------------------------------------------

    def build_questionnaires(self, *, only: list[str] | None = None) -> BuildReport:
        """Write each municipality's questionnaire workbook (``survey build``)."""
        from .questionnaire import build_questionnaires, select_municipalities

        with self.session() as session:
            total = len(select_municipalities(session=session, only=only))
            with self.progress("Building questionnaires", total) as advance:
                return build_questionnaires(self.workspace, session=session,
                                            settings=self.settings, survey=self.survey,
                                            only=only, progress=advance)

    def send(self, kind: str, *, dry_run: bool = False, limit: int | None = None,
             only: list[str] | None = None, rate: str | None = None,
             resend_uncertain: bool = False, retry_failed: bool = False,
             now: dt.datetime | None = None, confirm: Confirm | None = None,
             check: bool = True) -> SendResult:
        """Send the invitations (``kind="invite"``) or reminders (``"remind"``), never twice.

        ``dry_run`` writes the messages as ``.eml`` files instead. ``confirm`` is asked before
        a real send of more than ``mailer.CONFIRM_ABOVE`` messages. ``retry_failed`` queues
        again the messages that failed for a reason that can pass (a quota, a full mailbox). A
        real send holds the database's send lock: another one running is refused in one line.
        A real send first runs the pre-flight check (``send check``) unless ``check`` is False
        (the demo, whose round is made of examples on purpose).
        """
        from contextlib import nullcontext

        from .config import parse_rate
        from .mailer import (
            CONFIRM_ABOVE,
            KIND_LABEL,
            make_composer,
            one_sender,
            plan_round,
            send_round,
            sent_folder,
            write_dry_run,
        )
        from .smtp_auth import SmtpSession, smtp_options

        if kind not in KIND_LABEL:
            raise SendError(f"unknown kind of message {kind!r}; use invite or remind")
        settings = self.load_settings(**{"smtp.rate": rate}) if rate else self.settings
        today = _helsinki_day(now)
        with self.session() as session, \
                (nullcontext() if dry_run else one_sender(session)):
            plan = plan_round(session=session, settings=settings, kind=kind, only=only,
                              limit=limit, resend_uncertain=resend_uncertain,
                              retry_failed=retry_failed, now=now)
            compose = make_composer(self.workspace, session=session, settings=settings)
            count = len(plan.to_send)
            if dry_run:
                with self.progress("Writing", count) as advance:
                    result = write_dry_run(plan, workspace=self.workspace, compose=compose,
                                           progress=advance)
                from .preflight import deadline_passed

                result.deadline_passed = deadline_passed(settings, today) if count else ""
            else:
                from .preflight import PreflightResult, check_round

                preflight = check_round(self.workspace, session=session, settings=settings,
                                        plan=plan, today=today) if check else PreflightResult()
                if preflight.failed:
                    for line in preflight.summary():
                        self.notify(line)
                    raise SendError("nothing sent: fix the problems above ('yhteistuumin send "
                                    "check' checks again)")
                for line in preflight.cautions:
                    self.notify(f"Warning: {line}")
                options = smtp_options(settings)
                SmtpSession(options).check()  # refuse a clear-text login before asking anything
                if count > CONFIRM_ABOVE and confirm is not None:
                    confirm(Question(
                        f"Send {count} {KIND_LABEL[kind].lower()} through {options.where}?",
                        refused="nothing sent: not confirmed", details=preflight.details(),
                        no_terminal=f"about to send {count} messages and there is no terminal "
                                    "to confirm on; add --yes to send, or --dry-run to look "
                                    "first"))
                try:
                    with SmtpSession(options, on_event=self.notify) as transport, \
                            self.progress("Sending", count) as advance:
                        result = send_round(plan, session=session, settings=settings,
                                            compose=compose, transport=transport,
                                            rate=parse_rate(settings.get("smtp.rate")),
                                            progress=advance,
                                            copies=sent_folder(self.workspace,
                                                               round_name=settings.round_name))
                except Interrupted:
                    raise
                except KeyboardInterrupt as stopped:
                    # send_round says how many went (``mailer.send_round``); stopped before it
                    # began (while connecting), nothing went.
                    went = str(stopped) or ("nothing sent; run the same command again to "
                                            "send (nobody is mailed twice)")
                    raise Interrupted(
                        f"the {KIND_LABEL[kind].lower()} stopped part-way: {went}; a message "
                        "cut off while being handed over is listed as uncertain, not sent "
                        "again") from None
        result.held_back = plan.held_back
        result.notes = plan.notes
        result.municipalities = len({m.municipality_code for m in plan.to_send})
        return result

    def check_send(self, kind: str = "invite", *, only: list[str] | None = None) -> PreflightResult:
        """The check every real send runs first (``send check``): example settings, ``{token}``
        in the form link, the deadline, SMTP settings, templates for every municipality."""
        from .mailer import KIND_LABEL, plan_round
        from .preflight import check_round

        if kind not in KIND_LABEL:
            raise SendError(f"--kind {kind}: give invite or remind")
        with self.session() as session:
            plan = plan_round(session=session, settings=self.settings, kind=kind, only=only,
                              limit=None, resend_uncertain=False, now=None)
            return check_round(self.workspace, session=session, settings=self.settings,
                               plan=plan)

    def process_bounces(self, paths: Sequence[Path]) -> BounceResult:
        """Read bounces and auto-replies; mark dead addresses (``bounces``)."""
        from .bounces import process_bounces

        with self.session() as session:
            return process_bounces([Path(p) for p in paths], session=session,
                                   round_name=self.settings.round_name)

    # --- answers ------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path], *, source: str = "auto",
               structures: Sequence[Path] = (), retry_failed: bool = False,
               verbose: bool = False, reread: bool = False,
               reread_all: bool = False) -> IngestReport:
        """Ingest returned questionnaires, form exports, tables and saved emails (``ingest``);
        ``structures`` are LimeSurvey survey structures (.lss) that explain export codes;
        ``verbose`` reports also show how each column of a table was read; ``reread`` reads
        the files named again though read before, ``reread_all`` every received file."""
        from .ingest import count_files, ingest_paths

        paths = [Path(p) for p in paths]
        with self.session() as session, \
                self.progress("Ingesting", count_files(paths)) as advance:
            report = ingest_paths(paths, session=session, workspace=self.workspace,
                                  settings=self.settings, source=source, progress=advance,
                                  structures=[Path(p) for p in structures],
                                  retry_failed=retry_failed, reread=reread,
                                  reread_all=reread_all, on_wait=self.notify)
        report.verbose = verbose
        return report

    def fetch(self, *, dry_run: bool = False, since: dt.date | None = None) -> FetchResult:
        """Read the mailbox over IMAP and route each new message through ingest or bounces
        (``fetch``); never deletes."""
        from contextlib import ExitStack

        from .fetch import fetch_mailbox

        with self.session() as session, ExitStack() as stack:
            bars: dict[str, Any] = {}

            def advance(label: str, n: int, total: int) -> None:
                # one progress bar per stage: listing the folder, then the messages
                if label not in bars:
                    bars.clear()
                    stack.close()
                    bars[label] = stack.enter_context(self.progress(label, total))
                bars[label](n)

            return fetch_mailbox(self.settings, session=session, workspace=self.workspace,
                                 dry_run=dry_run, since=since, progress=advance)

    def webform(self, tool: str, *, out: Path | None = None, language: str = "both") -> WebformResult:
        """Write the web form of ``tool`` built from the survey definition (``survey webform``)."""
        from .webform import build_webform

        if tool != "limesurvey":
            return build_webform(self.workspace, session=None, settings=self.settings,
                                 survey=self.survey, tool=tool, out=out, language=language)
        with self.session() as session:
            return build_webform(self.workspace, session=session, settings=self.settings,
                                 survey=self.survey, tool=tool, out=out, language=language)

    def list_practices(self, *, status: str | None = None, municipality: str | None = None,
                       region: str | None = None) -> PracticeList | MessagesToRead:
        """The practices in the database, current versions, of a status, municipality and
        region (names or codes, ``practices list``); with status ``to-read``, the messages no
        reader could turn into a practice."""
        from .practice_list import STATUSES, MessagesToRead, PracticeList, read_practices

        if status and status not in STATUSES:
            raise InputError(f"unknown status {status!r}; use new, needs-info, approved, "
                             "rejected, duplicate or to-read")
        with self.reader() as db:  # checks the schema; an older one is refused, not migrated
            if status == "to-read":
                from .ingest.store import list_to_read

                with self.session() as session:
                    return MessagesToRead(list_to_read(session=session))
            brief = read_practices(db, status=status, brief=True)
        if municipality or region:  # names resolve through the register
            from .practices import filter_practices

            with self.session() as session:
                brief = filter_practices(brief, session=session, municipality=municipality,
                                         region=region)

        def load() -> list[dict[str, Any]]:
            with self.reader() as db:
                return read_practices(db, status=status)

        return PracticeList(brief=brief, load=load)

    def show_practice(self, practice_id: int) -> PracticeDetail:
        """One practice whole: card, flags, source, versions, reviews (``practices show``)."""
        from .practices import show_practice

        with self.session() as session:
            return show_practice(practice_id, session=session, survey=self.survey)

    def export_review(self, *, statuses: Sequence[str] | None = None,
                      reviewers: Sequence[str] = (), out: Path | None = None) -> ExportResult:
        """Write the reviewers' triage workbooks (``review export``)."""
        from .review import export_review

        with self.session() as session, self.progress("Writing", None) as advance:
            return export_review(self.workspace.outputs, session=session, out=out,
                                 statuses=statuses, reviewers=reviewers, survey=self.survey,
                                 progress=advance, round_name=self.settings.round_name)

    def import_review(self, paths: Sequence[Path], *,
                      reviewer: str | None = None) -> ImportResult:
        """Apply the decisions of returned review workbooks (``review import``)."""
        from sqlalchemy.exc import SQLAlchemyError

        from .locks import LockBusy, exclusive
        from .normalise import load_vocabulary
        from .privacy import erased_addresses
        from .publish import PUBLISH_LOCK_WAIT
        from .review import import_review
        from .review.import_ import TITLE_MAX_LENGTH, last_decision_id

        titles = [q.max_length for q in self.survey.questions if q.id == "title"]
        last: list[int] = []  # the newest decision before this import's
        try:
            # A forget running has not recorded its erasure yet: an import reading the
            # erasures meanwhile and writing after it brought her address back from a
            # workbook exported before. They wait for each other (Project.forget).
            with exclusive(self.engine, "review", wait=PUBLISH_LOCK_WAIT, on_wait=self.notify), \
                    self.session() as session, self.progress("Importing", None) as advance:
                last.append(last_decision_id(session))
                return import_review([Path(p) for p in paths], session=session,
                                     reviewer=reviewer, progress=advance,
                                     round_name=self.settings.round_name,
                                     title_max_length=titles[0] if titles and titles[0]
                                     else TITLE_MAX_LENGTH,
                                     vocabulary=load_vocabulary(self.workspace),
                                     erased=erased_addresses(self.workspace, session))
        except LockBusy as exc:
            raise InputError(f"{exc}; import when it has finished (nothing was imported)"
                             ) from None
        except Interrupted:
            raise  # while it waited for the lock: said there
        except (KeyboardInterrupt, SQLAlchemyError) as exc:  # one transaction: rolled back whole
            if not stopped_by_interrupt(exc):  # the database's own fault: said as such
                raise
            raise self._import_interrupted(paths, last[0] if last else None) from None

    def _import_interrupted(self, paths: Sequence[Path], last: int | None) -> Interrupted:
        """What an interrupted review import says: nothing stored (the one transaction rolled
        back), or, when the interrupt came after its commit (while the report was made), the
        decisions stored, as the database tells."""
        from sqlalchemy.exc import SQLAlchemyError

        from .review.import_ import decisions_stored_after

        stored = 0
        if last is not None:
            try:
                with self.session() as session:
                    stored = decisions_stored_after(session, last, paths)
            except SQLAlchemyError:  # the database cannot say now (gone, locked)
                return Interrupted("whether its decisions were stored could not be asked of "
                                   "the database; import the same workbooks again: what is "
                                   "stored already changes nothing")
        if not stored:
            return Interrupted("no decision of these workbooks was stored; run the same "
                               "command again")
        return Interrupted(f"it came after the decisions were stored ({plural(stored, 'decision')}"
                           " of these workbooks); importing them again changes nothing more "
                           "and shows the report")

    # --- publishing and following ---------------------------------------------------------

    def publish(self, *, out: Path | None = None, cms: Path | None = None) -> PublishResult:
        """Publish the approved practices as a static website (``publish``), and their
        Markdown for the CMS beside it (``outputs/cms`` or ``cms``)."""
        from .locks import LockBusy, exclusive
        from .privacy import check_no_interrupted_erasure
        from .publish import PUBLISH_LOCK_WAIT, count_published, publish_site

        check_no_interrupted_erasure(self.workspace)

        # One publish at a time per database, the lock taken before the session reads: a
        # second one started meanwhile waits, then publishes what the database holds then.
        # Two at once each wrote the pages of what it had read, and the slower one's lists,
        # search index and manifest ended over the faster one's newer pages.
        try:
            with exclusive(self.engine, "publish", wait=PUBLISH_LOCK_WAIT,
                           on_wait=self.notify) as held, \
                    self.session() as session:
                total = count_published(session=session)
                with self.progress("Publishing", total) as advance:
                    result = publish_site(self.workspace, session=session,
                                          settings=self.settings, out=out, cms=cms,
                                          progress=advance)
                if held.waited >= 1:
                    result.notes.insert(0, f"waited {held.waited:.0f} s for another publish "
                                           f"({held.holder or 'holder unknown'}) to finish")
                return result
        except LockBusy as exc:
            raise InputError(f"{exc}; waited {PUBLISH_LOCK_WAIT // 60:.0f} minutes; publish "
                             "again when it has finished") from None

    def status(self, *, by: str = "region", only_open: bool = False,
               page: bool | Path = False, chart: Path | None = None, out: Path | None = None,
               fmt: str = "table") -> RoundStatus | FollowUp:
        """The round at a glance (``status``): by region, or one follow-up row per
        municipality (``by="municipality"``). Only reads the database; writes the status page
        (``page``: True for ``outputs/status.html``, or a path) and the chart when asked, and
        the status itself to ``out`` in ``fmt`` (``xlsx`` only so)."""
        from .status import draw_chart, round_status

        if by not in {"region", "municipality"}:
            raise InputError(f"unknown view {by!r}; use region or municipality")
        if fmt == "xlsx" and out is None:
            raise InputError("--format xlsx writes a file; add --out FILE.xlsx")
        lang = str(self.settings.get("round.language"))
        round_name = self.settings.round_name
        rows: FollowUp | None = None
        with self.reader() as db:  # checks the schema; an older one is refused, not migrated
            status = round_status(session=db, round_name=round_name, lang=lang)
            if by == "municipality" or page:
                from .followup import follow_up

                with self.session() as session:
                    rows = follow_up(session=session, round_name=round_name, lang=lang,
                                     max_reminders=int(self.settings.get("reminders.max")),
                                     min_days=int(self.settings.get("reminders.min_days")),
                                     only_open=only_open,
                                     soft_limit=int(self.settings.get("bounces.soft_limit")),
                                     soft_days=int(self.settings.get("bounces.soft_days")))
        if chart is not None:  # refuses a .png before the page is written
            status.chart = draw_chart(status, chart, workspace=self.workspace)
        if page:
            from .status import write_status_page

            status.page = write_status_page(
                self.workspace, status, follow_up=rows, path=None if page is True else page,
                site_title=str(self.settings.get("site.title")))
        result: RoundStatus | FollowUp = status
        if rows is not None and by == "municipality":
            rows.page, rows.chart = status.page, status.chart
            result = rows
        if out is not None:
            result.written_to = result.write(out, fmt)
        return result

    def person(self, email: str, *, out: Path | None = None,
               lang: str | None = None) -> PersonReport:
        """Everything held about one person, for an access request (``person``); with ``out``
        also written as a workbook. In ``lang`` (fi, sv, en); by default Swedish for a person
        whose answers and municipalities are all Swedish, else the round's language."""
        from .person import person_report, write_person_workbook
        from .privacy import AddressMatcher

        AddressMatcher(email)  # refuse a non-address before opening anything
        if lang is not None and lang not in ("fi", "sv", "en"):
            raise InputError(f"--lang {lang}: the report is written in fi, sv or en")
        if out is not None and out.suffix.lower() != ".xlsx":
            raise InputError(f"{out}: --out writes a workbook; give a name ending in .xlsx")
        with self.session() as session:
            report = person_report(self.workspace, email, session=session,
                                   settings=self.settings, lang=lang)
        if out is not None:
            report.written = write_person_workbook(report, out)
        return report

    def purge(self, *, before: dt.date, kinds: Sequence[str], dry_run: bool = False,
              confirm: Confirm | None = None) -> PurgeResult:
        """Delete received originals, message copies or reports older than ``before``
        (``purge``); ``confirm`` is asked first when something would go."""
        from .purge import purge_outputs

        if not kinds:
            raise InputError("purge: say what to remove: --received, --messages and/or --reports")
        with self.session() as session:
            if not dry_run and confirm is not None:
                preview = purge_outputs(self.workspace, session=session, before=before,
                                        kinds=list(kinds), dry_run=True)
                if not preview.files:
                    return preview
                what = preview.summary()[0].replace("Dry run: ", "").split(" would")[0]
                confirm(Question(f"Delete {what}? This cannot be undone",
                                 details=preview.summary()[1:],
                                 refused="nothing deleted: not confirmed",
                                 no_terminal="purge: there is no terminal to confirm on; look "
                                             "first with --dry-run, then add --yes to delete"))
            return purge_outputs(self.workspace, session=session, before=before,
                                 kinds=list(kinds), dry_run=dry_run)

    def forget(self, email: str, *, dry_run: bool = False,
               confirm: Confirm | None = None) -> ErasureResult:
        """Erase exactly one person's name, email and phone everywhere, and republish
        (``forget``). ``dry_run`` lists every place and changes nothing; ``confirm``
        is asked first when the person is held somewhere (it raises to refuse)."""
        from .locks import LockBusy, exclusive
        from .privacy import AddressMatcher
        from .publish import PUBLISH_LOCK_WAIT

        AddressMatcher(email)  # refuse a non-address before opening anything
        if dry_run:
            return self._forget(email, dry_run=True)
        # Asked before any lock is taken: a coordinator who walks away from the question
        # leaves no send or publish blocked. What was shown is checked again under the locks.
        asked = self._ask_to_forget(email, confirm) if confirm is not None else None
        # A send running holds her queued messages and writes their copies: erased meanwhile,
        # she was still mailed, and the copy written after the erasure kept her address. So
        # forget holds the send lock: it is refused while a send runs, and a send started
        # meanwhile is refused in turn ('another send is running'). A publish running read
        # her card before the erasure and wrote it back after forget's republish: forget
        # waits for it, and a publish started meanwhile waits for forget (Project.publish).
        # A review import too: one that had read the erasures before hers was recorded
        # wrote her address back from a workbook exported before (Project.import_review).
        try:
            with exclusive(self.engine, "send", by="forget"), \
                    exclusive(self.engine, "publish", wait=PUBLISH_LOCK_WAIT, by="forget",
                              on_wait=self.notify), \
                    exclusive(self.engine, "review", wait=PUBLISH_LOCK_WAIT, by="forget",
                              on_wait=self.notify):
                if asked is not None:
                    self._check_unchanged(email, asked)
                return self._forget(email, dry_run=False)
        except LockBusy as exc:
            then = ("so that nothing is sent to this person after the erasure"
                    if exc.name == "send" else "so that it does not publish this person again"
                    if exc.name == "publish" else "so that it does not bring this person back")
            raise InputError(f"{exc}; forget when it has finished, {then} (nothing was "
                             "erased)") from None

    def _forget_places(self, email: str) -> list[tuple[str, str]]:
        """The places a dry run of forget names, as (where, what would happen)."""
        from .privacy import forget_person

        with self.session() as session:
            preview = forget_person(self.workspace, email, session=session,
                                    settings=self.settings, dry_run=True)
        return [(place.where, place.action) for place in preview.places]

    def _ask_to_forget(self, email: str, confirm: Confirm) -> list[tuple[str, str]]:
        """Ask to erase the person from the places a dry run finds (not when there are none:
        the request is then recorded without asking); return those places."""
        places = self._forget_places(email)
        if places:
            confirm(Question(
                f"Erase this person from {plural(len(places), 'place')}? This cannot be undone",
                refused="nothing erased: not confirmed",
                no_terminal="forget: there is no terminal to confirm on; look first with "
                            "--dry-run, then add --yes to erase"))
        return places

    def _check_unchanged(self, email: str, asked: list[tuple[str, str]]) -> None:
        """Refuse when the person is held elsewhere now than when the question was asked (an
        ingest or a send in between): the coordinator agreed to what they were shown."""
        now = self._forget_places(email)
        if now != asked:
            new = [where for where, _ in now if where not in {w for w, _ in asked}]
            raise InputError(
                f"forget: what is held about this person changed while the question was open "
                f"({plural(len(asked), 'place')} then, {len(now)} now"
                + (f", new: {'; '.join(new[:3])}" if new else "") + "); nothing was erased: "
                "look again with --dry-run and run forget again")

    def _forget(self, email: str, *, dry_run: bool) -> ErasureResult:
        from .privacy import forget_person
        from .publish import publish_site

        with self.session() as session:
            return forget_person(
                self.workspace, email, session=session, settings=self.settings, dry_run=dry_run,
                republish=lambda: publish_site(self.workspace, session=session,
                                               settings=self.settings),
                republish_to=lambda out, cms: publish_site(self.workspace, session=session,
                                                           settings=self.settings, out=out,
                                                           cms=cms))

