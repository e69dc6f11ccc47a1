"""Sending throughput: our outbox sender against mailmerge, same server, same attachments.

A local aiosmtpd server with STARTTLS and AUTH (a certificate made for the run), in a child
process as a remote server would be, receives 308
invitations, one per municipality, each with its questionnaire attached; once answering at
once and once answering every command after 10 ms, as a remote server does. In the same run:

* **ours**: ``plan_round`` + ``send_round`` (real templates, tokens, questionnaires, the
  durable outbox with its two commits per message) over one ``SmtpSession``;
* **mailmerge**: its own ``TemplateMessage`` + ``SendmailClient`` loop, exactly what the
  ``mailmerge`` command runs, with a template and a CSV database naming the same
  recipients and the same attachment files; it connects, STARTTLSes and logs in per message.

Printed: messages per second for each, the logins the server counted, the ratio (target:
ours >= 2x mailmerge, one login per batch), and the peak traced memory of our sender for
100 and for 308 messages (it should stay flat as the batch grows).

Usage: .venv/bin/python bench/send.py [--count N] [--check]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the SMTP servers of the test suite

TARGET = 2.0
USER, PASSWORD = "kysely@yhteistuumin.example.fi", "bench-salasana"

MAILMERGE_TEMPLATE = """\
TO: {{email}}
FROM: Kulttuuria yhteistuumin <kysely@yhteistuumin.example.fi>
REPLY-TO: koordinaattori@yhteistuumin.example.fi
SUBJECT: Kysely: kuntanne kulttuuripalvelujen hyvät käytännöt ({{name}})
ATTACHMENT: {{attachment}}

Hyvä vastaanottaja,

Kulttuuria yhteistuumin -ohjelma kerää kuntien kulttuuripalvelujen hyviä käytäntöjä.
Liitteenä on kunnan {{name}} kyselylomake. Vastauslinkki: {{link}}

Ystävällisin terveisin
Kulttuuria yhteistuumin -koordinaattori
"""


def prepare(root: Path, count: int):  # type: ignore[no-untyped-def]
    """A workspace with one contact per municipality and every questionnaire built."""
    from send_support import load_example_contacts
    from sqlmodel import Session, col, delete, select

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import Contact, Municipality
    from yhteistuumin_survey.questionnaire import build_questionnaires, questionnaire_path
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.survey import workspace_survey
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(root / "ws").root)
    settings = load_settings(workspace.root, env={})
    engine = open_database(settings.database_url)
    ensure_register(engine, workspace=workspace)
    with Session(engine, expire_on_commit=False) as session:
        codes = [m.code for m in session.exec(select(Municipality).where(
            col(Municipality.active).is_(True)).order_by(col(Municipality.code)))][:count]
        load_example_contacts(session, codes)
        keep = {}
        for contact in session.exec(select(Contact).order_by(col(Contact.id))):
            keep.setdefault(contact.municipality_code, contact.id)
        session.exec(delete(Contact).where(col(Contact.id).not_in(list(keep.values()))))
        session.commit()
        build_questionnaires(workspace, session=session, settings=settings,
                             survey=workspace_survey(workspace), only=codes)
        rows = []
        by_code = {m.code: m for m in session.exec(select(Municipality))}
        for contact in session.exec(select(Contact).order_by(col(Contact.municipality_code))):
            path = questionnaire_path(workspace, round_name=settings.round_name,
                                      code=contact.municipality_code)
            rows.append({"email": contact.email, "name": by_code[contact.municipality_code].name_fi,
                         "attachment": str(path),
                         "link": f"https://www.yhteistuumin.fi/kysely?kunta={contact.municipality_code}"})
    return workspace, settings, engine, codes, rows


class ServerProcess:
    """The STARTTLS+AUTH server in a child process, as a remote server would be: its CPU and
    its GIL are not ours. It keeps no messages, it counts them, the logins and connections."""

    def __init__(self, cert, delay: float):  # type: ignore[no-untyped-def]
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--delay", str(delay), "--cert", str(cert.cert),
             "--key", str(cert.key)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def stats(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)


def serve(args: argparse.Namespace) -> int:
    """Child process: run the server until told to stop; answer ``stats`` on standard input."""
    from send_support import TestCertificate, mail_server

    cert = TestCertificate(Path(args.cert), Path(args.key))
    with mail_server(certificate=cert, users={USER: PASSWORD}, command_delay=args.delay,
                     keep=False) as server:
        print(server.port, flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps({"logins": server.logins, "count": server.count(),
                                  "connections": server.connections}), flush=True)
            elif line.strip() == "stop":
                break
    return 0


def run_ours(workspace, settings, engine, codes, server, cert, limit=None) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, delete

    from yhteistuumin_survey.db.models import OutboundMessage
    from yhteistuumin_survey.mailer import make_composer, plan_round, send_round
    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    with Session(engine, expire_on_commit=False) as session:
        session.exec(delete(OutboundMessage))  # a fresh round each time
        session.commit()
        started = time.perf_counter()
        plan = plan_round(session=session, settings=settings, kind="invite", only=codes,
                          limit=limit)
        compose = make_composer(workspace, session=session, settings=settings)
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user=USER, password=PASSWORD,
                              ca_file=str(cert.cert))
        with SmtpSession(options) as transport:
            result = send_round(plan, session=session, settings=settings, compose=compose,
                                transport=transport, rate=None)
        elapsed = time.perf_counter() - started
    sent = result.report.counts.get("sent", 0)
    assert sent == len(plan.to_send), result.report.counts
    return sent, elapsed


def run_mailmerge(folder: Path, rows: list[dict[str, str]], server) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from mailmerge.__main__ import read_csv_database
    from mailmerge.sendmail_client import SendmailClient
    from mailmerge.template_message import TemplateMessage

    template = folder / "mailmerge_template.txt"
    template.write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    database = folder / "mailmerge_database.csv"
    with database.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["email", "name", "attachment", "link"])
        writer.writeheader()
        writer.writerows(rows)
    config = folder / "mailmerge_server.conf"
    config.write_text("[smtp_server]\nhost = 127.0.0.1\n"
                      f"port = {server.port}\nsecurity = STARTTLS\nusername = {USER}\n"
                      "ratelimit = 0\n", encoding="utf-8")
    started = time.perf_counter()
    # The loop of mailmerge's main(), without its console printing.
    message_template = TemplateMessage(template)
    client = SendmailClient(config, dry_run=False)
    client.password = PASSWORD  # what its getpass prompt would read
    sent = 0
    for row in read_csv_database(database):
        sender, recipients, message = message_template.render(row)
        client.sendmail(sender, recipients, message)
        sent += 1
    return sent, time.perf_counter() - started


def scenario(label: str, delay: float, prepared, folder: Path, cert) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    workspace, settings, engine, codes, rows = prepared
    with ServerProcess(cert, delay) as server:
        ours_sent, ours_time = run_ours(workspace, settings, engine, codes, server, cert)
        after_ours = server.stats()
        mm_sent, mm_time = run_mailmerge(folder, rows, server)
        after_mm = server.stats()
    ours_logins, ours_received = after_ours["logins"], after_ours["count"]
    mm_logins = after_mm["logins"] - after_ours["logins"]
    mm_received = after_mm["count"] - after_ours["count"]
    assert ours_received == ours_sent and mm_received == mm_sent
    ours_rate, mm_rate = ours_sent / ours_time, mm_sent / mm_time
    print(f"{label}:")
    print(f"  ours       {ours_sent:4d} messages in {ours_time:6.2f} s = {ours_rate:7.1f} msg/s, "
          f"{ours_logins} login(s) at the server")
    print(f"  mailmerge  {mm_sent:4d} messages in {mm_time:6.2f} s = {mm_rate:7.1f} msg/s, "
          f"{mm_logins} login(s) at the server")
    print(f"  ratio ours/mailmerge: {ours_rate / mm_rate:.2f}x (target >= {TARGET:.1f}x)")
    return ours_rate / mm_rate, float(ours_logins)


def peak_memory(prepared, cert, limit: int) -> float:  # type: ignore[no-untyped-def]
    workspace, settings, engine, codes, _rows = prepared
    with ServerProcess(cert, 0.0) as server:
        gc.collect()
        tracemalloc.start()
        try:
            run_ours(workspace, settings, engine, codes, server, cert, limit=limit)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak / 1_048_576


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=308, help="municipalities (default 308)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--cert", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import logging

    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's deprecation chatter
    if args.serve:
        return serve(args)
    from send_support import make_certificate

    with tempfile.TemporaryDirectory(prefix="yhteistuumin-bench-send-") as tmp:
        folder = Path(tmp)
        cert = make_certificate(folder / "cert")
        print(f"Preparing {args.count} municipalities (contacts, questionnaires)...", flush=True)
        prepared = prepare(folder, args.count)
        n = len(prepared[4])
        print(f"{n} invitations, each with its questionnaire attached; STARTTLS + AUTH on "
              "127.0.0.1\n")
        from _report import emit  # bench/ is this script's folder

        ratios = []
        logins = []
        for label, delay, goal in (("server answering at once", 0.0, 1.5),
                                   ("server answering each command after 10 ms", 0.010, 4.0)):
            ratio, ours_logins = scenario(label, delay, prepared, folder, cert)
            ratios.append(ratio)
            logins.append(ours_logins)
            emit("send", f"rate ours / mailmerge, {delay * 1000:.0f} ms server", ratio=ratio,
                 target=goal, better="higher", logins=ours_logins)
        small = min(100, n)
        peak_small = peak_memory(prepared, cert, small)
        peak_all = peak_memory(prepared, cert, n)
        print(f"\npeak traced memory of our sender: {small} messages {peak_small:.1f} MiB, "
              f"{n} messages {peak_all:.1f} MiB ({peak_all / peak_small:.2f}x for "
              f"{n / small:.1f}x the messages)")
        prepared[2].dispose()
    ok = all(r >= TARGET for r in ratios) and all(x == 1 for x in logins)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
