"""A whole survey round on the embedded defaults, for ``yhteistuumin demo`` and ``make demo``.

The demo makes a fresh workspace (``outputs/demo/`` by default), starts an SMTP server inside
the process on 127.0.0.1 that keeps every message as an ``.eml`` file under ``mailbox/``, and
runs the real stages one after the other: register and example contacts, questionnaires,
invitations to all 308 municipalities, a few dozen answers (the questionnaires received by
mail filled in from ``survey/samples/practices.yaml``, one sent back as an email, plus a web-form
export), a bounce and an out-of-office reply, ingest, reminders, the review workbook with the
decisions of ``survey/samples/decisions.yaml``, the published site and the status. Nothing
leaves the machine: every address is on a reserved ``example`` domain and the only server is
the demo's own.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from .errors import SurveyError

MARKER = ".yhteistuumin-demo"
ROUND = "demo-2026"
SENDER = "kysely@yhteistuumin.example.fi"
COORDINATOR = "koordinaattori@yhteistuumin.example.fi"
#: The municipality whose address bounces, and the one whose contact is on holiday.
BOUNCING_CODE = "047"  # Enontekiö
AWAY_CODE = "069"  # Haapajärvi


@dataclass
class DemoStep:
    """One stage of the demo round and what it did."""

    name: str
    summary: str
    seconds: float

    def line(self) -> str:
        """The step as the demo announces it."""
        return f"  {self.name:<15} {self.summary}  ({self.seconds:.1f} s)"


@dataclass
class DemoResult:
    """What the demo produced and where."""

    root: Path
    steps: list[DemoStep] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    status: Any = None
    messages_received: int = 0

    failed = False

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def summary(self) -> list[str]:
        return [f"Done in {self.seconds:.1f} s; {self.messages_received} messages reached the "
                "demo mailbox. Open:", *(f"  {label:<16} {path}" for label, path in
                                         self.paths.items())]

    def text(self) -> str:
        """The round's status table, then where everything is."""
        status = ["", self.status.text()] if self.status is not None else []
        return "\n".join([*status, "", *self.summary()])

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["name", "summary", "seconds"], [vars(step) for step in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "steps": self.table()[1], "seconds": self.seconds,
                "messages_received": self.messages_received,
                "paths": {label: str(path) for label, path in self.paths.items()}}


# --- the in-process SMTP server -----------------------------------------------------------


class MailboxServer:
    """An SMTP server on 127.0.0.1 that stores every accepted message in a folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self._lock = threading.Lock()
        self._controller: Any = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.count += 1
            number = self.count
        for recipient in envelope.rcpt_tos:
            safe = "".join(ch if ch.isalnum() or ch in "@.-_" else "_" for ch in recipient)
            path = self.folder / f"{number:05d}-{safe}.eml"
            path.write_bytes(envelope.original_content or envelope.content)
        return "250 2.0.0 OK: stored in the demo mailbox"

    def __enter__(self) -> MailboxServer:
        from aiosmtpd.controller import Controller

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._controller is not None:
            self._controller.stop()

    def first_by_municipality(self, codes: set[str]) -> dict[str, EmailMessage]:
        """Return the first message stored for each of ``codes`` (by its municipality header)."""
        from email.parser import BytesHeaderParser

        headers = BytesHeaderParser(policy=policy.default)
        found: dict[str, EmailMessage] = {}
        for path in sorted(self.folder.glob("*.eml")):
            with path.open("rb") as handle:
                code = str(headers.parse(handle).get("X-Yhteistuumin-Municipality", ""))
            if code in codes and code not in found:
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
                found[code] = message  # type: ignore[assignment]
        return found


# --- setting up -----------------------------------------------------------------------------


def _prepare_folder(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise SurveyError(f"{root}: exists and is not a demo folder; give another --out "
                              "(the demo starts from an empty folder)")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("Made by `yhteistuumin demo`; removed by the next demo run.\n",
                               encoding="utf-8")


def _write_config(root: Path, port: int, deadline: dt.date) -> None:
    (root / "yhteistuumin.toml").write_text(f"""\
# The demo's settings: a local SMTP server inside the demo process, SQLite under outputs/.
[round]
name = "{ROUND}"
sender = "{SENDER}"
reply_to = "{COORDINATOR}"
coordinator = "Demo-koordinaattori"
deadline = {deadline.isoformat()}
form_url = "https://www.yhteistuumin.example.fi/kysely?token={{token}}"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
rate = "1000/s"  # the demo's own server: no provider limit to respect
timeout = 30
""", encoding="utf-8")


def load_samples(workspace: Any) -> dict[str, Any]:
    """Return the bundled sample answers (``survey/samples/practices.yaml``)."""
    import yaml

    path = workspace.resolve("survey/samples/practices.yaml")
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_decisions(workspace: Any) -> dict[str, Any]:
    """Return the bundled reviewer decisions (``survey/samples/decisions.yaml``)."""
    import yaml

    path = workspace.resolve("survey/samples/decisions.yaml")
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- answering ------------------------------------------------------------------------------


def fill_questionnaire(data: bytes, answers: dict[str, Any], *, survey: Any) -> bytes:
    """Return the questionnaire ``data`` with its first practice sheet filled with ``answers``.

    Rows are found by the machine key in the hidden column C (see ``questionnaire``).
    """
    from openpyxl import load_workbook

    from .survey import fold

    workbook = load_workbook(io.BytesIO(data))
    sheet = next(ws for ws in workbook.worksheets
                 if str(ws["C1"].value or "").startswith("practice:"))
    question = survey.question("target_group")
    wanted = [part.strip() for part in str(answers.get("target_group", "")).split(";")
              if part.strip()]
    ticks: set[str] = set()
    others: list[str] = []
    for text in wanted:
        match = next((choice.id for choice in question.choices
                      if fold(text) in {fold(label) for label in choice.labels.values()}), None)
        if match:
            ticks.add(match)
        else:
            others.append(text)
    for row in range(1, sheet.max_row + 1):
        key = str(sheet.cell(row=row, column=3).value or "")
        if key.startswith("target_group:"):
            choice = key.split(":", 1)[1]
            if choice in ticks:
                sheet.cell(row=row, column=2).value = "x"
            elif choice == "other" and others:
                sheet.cell(row=row, column=2).value = ", ".join(others)
        elif key in answers and key != "target_group" and answers[key] not in (None, ""):
            sheet.cell(row=row, column=2).value = str(answers[key]).strip()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _questionnaires_by_code(invitations: dict[str, EmailMessage]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for code, message in invitations.items():
        for part in message.iter_attachments():
            if str(part.get_filename() or "").endswith(".xlsx"):
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    found[code] = payload
                break
    return found


def answer_by_mail(invitations: dict[str, EmailMessage], samples: dict[str, Any],
                   inbox: Path, *, survey: Any) -> int:
    """Fill the received questionnaires of the sample municipalities; return how many answered.

    Most come back as files saved from the coordinator's mailbox; the first one as the saved
    email itself (``.eml`` with the workbook attached), as coordinators often do.
    """
    received = _questionnaires_by_code(invitations)
    inbox.mkdir(parents=True, exist_ok=True)
    answered = 0
    for number, sample in enumerate(samples["practices"]):
        code = str(sample["reporter"])
        if code not in received:
            raise SurveyError(f"demo: no questionnaire reached municipality {code}")
        filled = fill_questionnaire(received[code], sample["answers"], survey=survey)
        name = f"{code}-vastaus.xlsx"
        if number == 0:
            reply = EmailMessage()
            reply["From"] = str(sample["answers"].get("contact_email") or f"kulttuuri@{code}.example.fi")
            reply["To"] = COORDINATOR
            reply["Subject"] = "Vs: Kysely kulttuuripalvelujen hyvistä käytännöistä"
            reply["Date"] = format_datetime(dt.datetime.now(dt.UTC))
            reply["Message-ID"] = make_msgid(domain="example.fi")
            reply.set_content("Hei,\n\nliitteenä kuntamme vastaus kyselyyn.\n\nTerveisin\n")
            reply.add_attachment(filled, maintype="application",
                                 subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 filename=name)
            (inbox / f"{code}-vastaus.eml").write_bytes(bytes(reply))
        else:
            (inbox / name).write_bytes(filled)
        answered += 1
    return answered


def write_forms_export(path: Path, samples: dict[str, Any], register: dict[str, Any], *,
                       survey: Any) -> int:
    """Write a Microsoft Forms export in which partner municipalities report joint practices."""
    from openpyxl import Workbook

    by_title = {s["answers"]["title"]: s["answers"] for s in samples["practices"]}
    questions = list(survey.questions)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name",
                  *[q.label("fi") for q in questions]])
    start = dt.datetime(2026, 12, 3, 9, 0)
    for number, item in enumerate(samples.get("web_form", []), start=1):
        answers = dict(by_title[item["copy_of"]])
        answers["municipalities"] = register[str(item["reporter"])]
        row: list[Any] = [number, start + dt.timedelta(hours=number),
                          start + dt.timedelta(hours=number, minutes=12), item["email"], ""]
        for question in questions:
            value = answers.get(question.id, "")
            if question.id == "target_group" and value:
                value = "".join(part.strip() + ";" for part in str(value).split(";"))
            row.append(value)
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return len(samples.get("web_form", []))


def _original_for(invitations: dict[str, EmailMessage], code: str) -> EmailMessage:
    if code not in invitations:
        raise SurveyError(f"demo: no invitation to municipality {code} in the mailbox")
    return invitations[code]


def write_bounce(path: Path, original: EmailMessage) -> None:
    """Write the delivery-status notification (RFC 3464) a mail server sends for a dead address.

    Written as the bytes a Postfix server sends: the human part, the machine-readable
    ``message/delivery-status`` part and the original message's headers.
    """
    address = str(original["To"]).split("<")[-1].rstrip(">").strip()
    date = format_datetime(dt.datetime.now(dt.UTC))
    boundary = "demo-dsn-boundary"
    headers = "".join(f"{name}: {value}\n" for name, value in original.items())
    text = f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.fi>
To: {SENDER}
Subject: Undelivered Mail Returned to Sender
Date: {date}
Message-ID: {make_msgid(domain="mx.example.fi")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.example.fi.

I'm sorry to have to inform you that your message could not be delivered
to one or more recipients.

<{address}>: host mx.example.fi said: 550 5.1.1 <{address}>:
    Recipient address rejected: User unknown in virtual mailbox table

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.fi
Arrival-Date: {date}

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822; {address}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.fi
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--{boundary}
Content-Type: text/rfc822-headers

{headers}
--{boundary}--
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))


def write_out_of_office(path: Path, original: EmailMessage) -> None:
    """Write the automatic out-of-office reply of a contact on holiday."""
    recipient = str(original["To"])
    address = recipient.split("<")[-1].rstrip(">").strip()
    reply = EmailMessage()
    reply["From"] = address
    reply["To"] = SENDER
    reply["Subject"] = f"Automaattinen vastaus: {original['Subject']}"
    reply["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    reply["Message-ID"] = make_msgid(domain="example.fi")
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_content("Olen lomalla 7.1. asti enkä lue sähköpostiani. Kiireellisissä asioissa "
                      "ota yhteyttä kirjaamoon.\n\nJag är ledig till 7.1.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(reply))


# --- the round ------------------------------------------------------------------------------


#: ``announce(line)``: the demo's news as it runs: where the round is, then each stage done.
Announce = Callable[[str], object]


def run_demo(root: Path, *, announce: Announce | None = None) -> DemoResult:
    """Run a whole round in a fresh demo workspace at ``root``; return what it made."""
    from .project import Project
    from .workspace import init_workspace

    if announce:
        announce(f"Demo round in {root} (a local SMTP server in this process; nothing leaves "
                 "the machine)")
    root = root.resolve()
    _prepare_folder(root)
    init_workspace(root)
    result = DemoResult(root=root)
    started = time.perf_counter()

    def step(name: str, summary: str) -> None:
        nonlocal started
        now = time.perf_counter()
        item = DemoStep(name, summary, now - started)
        started = now
        result.steps.append(item)
        if announce:
            announce(item.line())

    deadline = dt.date.today() + dt.timedelta(days=30)
    with MailboxServer(root / "mailbox") as mailbox:
        _write_config(root, mailbox.port, deadline)
        with Project.open(root, env={}) as project:
            _run_round(project, mailbox, step, result)
        result.messages_received = mailbox.count
    result.paths["mailbox"] = root / "mailbox"
    result.paths["database"] = root / "outputs" / "yhteistuumin.sqlite"
    result.paths["workspace"] = root
    return result


def _run_round(project: Any, mailbox: MailboxServer, step: Callable[[str, str], None],
               result: DemoResult) -> None:
    """Run the stages through ``project``, as the command line would, announcing each."""
    root = project.workspace.root
    imported = _check(project.import_contacts(
        project.workspace.resolve("recipients/contacts.example.csv"),
        display="contacts.example.csv"), "register contacts")
    step("contacts", f"register of 308 municipalities loaded; {imported.added} example "
                     "contacts imported (all on reserved example domains)")
    step("questionnaires", _check(project.build_questionnaires(), "survey build").summary()[0])
    step("invitations", _sent(_check(project.send("invite", check=False), "send invite")))

    samples = load_samples(project.workspace)
    inbox = root / "inbox"
    wanted = {str(p["reporter"]) for p in samples["practices"]}
    invitations = mailbox.first_by_municipality(wanted | {BOUNCING_CODE, AWAY_CODE})
    answered = answer_by_mail(invitations, samples, inbox / "answers", survey=project.survey)
    register = {e.code: e.name_fi for e in project.list_register().entries}
    forms = write_forms_export(inbox / "answers" / "lomakevastaukset.xlsx", samples, register,
                               survey=project.survey)
    step("answers", f"{answered} municipalities returned their questionnaire (one as a saved "
                    f"email), {forms} answered through the web form")

    write_bounce(inbox / "bounces" / "undelivered.eml", _original_for(invitations, BOUNCING_CODE))
    write_out_of_office(inbox / "bounces" / "out-of-office.eml",
                        _original_for(invitations, AWAY_CODE))
    bounced = project.process_bounces(sorted((inbox / "bounces").glob("*.eml")))
    step("bounces", _check(bounced, "bounces").summary()[0])
    step("ingest", _ingested(_check(project.ingest([inbox / "answers"]), "ingest")))
    # The demo's round is made of examples on purpose: the pre-flight check would refuse it.
    reminded = project.send("remind", check=False,
                            now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    step("reminders", _sent(_check(reminded, "send remind")))

    reviewed, workbook = _review(project)
    result.paths["review workbook"] = workbook
    step("review", reviewed)

    published = project.publish()
    result.paths["site"] = published.out / "index.html"
    result.paths["CMS Markdown"] = published.cms
    step("publish", published.summary()[0])

    result.status = project.status(chart=project.workspace.outputs / "reports"
                                   / "vastausprosentti.svg", page=True)
    result.paths["status chart"] = result.status.chart
    result.paths["status page"] = result.status.page
    step("status", "status table, chart and page written")


def _sent(sent: Any) -> str:
    counts = sent.report.counts
    what = "invitations" if sent.kind == "invite" else "reminders"
    login = "no login (the demo server asks for none)" if not sent.logins else \
        f"{sent.logins} login{'s' if sent.logins > 1 else ''}"
    return (f"{counts.get('sent', 0)} {what} sent to {sent.municipalities} municipalities over "
            f"{sent.connections} SMTP connection{'s' if sent.connections != 1 else ''}, {login}")


def _check(result: Any, what: str) -> Any:
    if getattr(result, "failed", False):
        report = getattr(result, "report", None)
        reasons = [f"{o.source}: {o.reason}" for o in getattr(report, "outcomes", []) if o.failed]
        raise SurveyError(f"demo: {what} failed: {'; '.join(reasons[:3]) or 'see the report'}")
    return result


def _ingested(found: Any) -> str:
    counts = dict(found.counts)
    duplicates = counts.pop("duplicate candidate", 0)
    practices = counts.pop("new", 0) + counts.pop("new version", 0) + duplicates
    empty = counts.pop("empty", 0)
    rest = "".join(f", {n} {status}" for status, n in sorted(counts.items()))
    return (f"{found.files} files read: {practices} practices, {duplicates} of them flagged as "
            f"possible duplicates for the reviewers; {empty} blank practice sheets "
            f"skipped{rest}; report {found.report_path}")


def apply_decisions(path: Path, decisions: dict[str, Any]) -> int:
    """Fill a review workbook as the demo's reviewer would; return the rows decided."""
    from openpyxl import load_workbook

    from .review.common import COLUMNS, SHEET_NAME

    by_title = {item["title"]: item for item in decisions.get("decisions", [])}
    workbook = load_workbook(path)
    sheet = workbook[SHEET_NAME]
    header = {str(cell.value): cell.column for cell in sheet[1] if cell.value}
    column = {c.key: header[c.header] for c in COLUMNS if c.header in header}
    first_of_title: dict[str, int] = {}
    decided = 0
    for row in range(2, sheet.max_row + 1):
        practice_id = sheet.cell(row=row, column=column["id"]).value
        title = str(sheet.cell(row=row, column=column["title"]).value or "")
        if practice_id in (None, ""):
            continue
        rule = by_title.get(title, {})
        if decisions.get("duplicates_of_first") and title in first_of_title:
            sheet.cell(row=row, column=column["decision"]).value = "kaksoiskappale"
            sheet.cell(row=row, column=column["duplicate_of"]).value = first_of_title[title]
        else:
            first_of_title.setdefault(title, int(practice_id))
            sheet.cell(row=row, column=column["decision"]).value = rule.get("decision", "hyväksytty")
            if rule.get("comment"):
                sheet.cell(row=row, column=column["comment"]).value = rule["comment"]
            if rule.get("corrected_title"):
                sheet.cell(row=row, column=column["corrected_title"]).value = rule["corrected_title"]
        decided += 1
    workbook.save(path)
    return decided


def _review(project: Any) -> tuple[str, Path]:
    exported = project.export_review()
    if not exported.files:
        raise SurveyError("demo: the review export found no practices to review")
    path = exported.files[0].path
    decided = apply_decisions(path, load_decisions(project.workspace))
    imported = _check(project.import_review([path], reviewer="Demo-arvioija"), "review import")
    return (f"{exported.summary()[0][:-1]}; the bundled decisions filled {decided} rows; "
            f"import: {imported.summary()[0]}"), path
