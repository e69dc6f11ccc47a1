"""Sending throughput: our outbox sender against mailmerge, same server, same attachments.

A local aiosmtpd server with STARTTLS and AUTH (a certificate made for the run), in a child
process as a remote server would be, receives the invitations, one per municipality (308 by
default), each with its questionnaire attached. The server advertises PIPELINING (RFC 2920),
as Postfix, Exchange and Gmail do. Three scenarios, each in the same run, alternately (ours
first in odd rounds, mailmerge first in even ones), several rounds:

* **at once**: the server on loopback, reached directly;
* **10 ms latency** (the target): the same server behind a TCP proxy (in the server's
  process) that holds every chunk 5 ms in each direction, in order and not cumulatively: a
  10 ms round trip, as a network has; a new connection first waits one and a half round
  trips more (the TCP handshake before the server greets). Both senders go through it;
* **10 ms per reply** (the old model, for comparison only, not a target): the server itself
  holds each reply 10 ms, so a sender pays per reply rather than per round trip.

In each:

* **ours**: ``plan_round`` + ``send_round`` (real templates, tokens, questionnaires, the
  durable outbox with its claim and record commits per message, the copy of each message
  kept under outputs/outbox) over one ``SmtpSession``;
* **mailmerge**: its own ``TemplateMessage`` + ``SendmailClient`` loop, exactly what the
  ``mailmerge`` command runs, with a template and a CSV database naming the same
  recipients and the same attachment files; it connects, STARTTLSes and logs in per message.

Printed per scenario: messages per second of each round, min and median seconds per message,
the ratio of mailmerge's median time to ours (our speed-up; targets >= 1.5x at once, >= 4x at
10 ms latency), the logins the server counted (target: one per batch for ours), the replies
per message and, behind the proxy, the round trips per message each sender waited for (the
proxy counts a turn each time the client speaks after the server did; at 10 ms a message
costs at least round trips x 10 ms). Then the peak traced memory of our sender for 100 and
for all messages (it should stay flat as the batch grows).

Usage: .venv/bin/python bench/send.py [--count N] [--rounds N] [--slow-rounds N]
       [--per-reply-rounds N] [--check]
"""


from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the SMTP servers of the test suite
sys.path.insert(0, str(REPO / "bench"))

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
        keep: dict[str, int | None] = {}
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

    def __init__(self, cert, delay: float, latency: float = 0.0):  # type: ignore[no-untyped-def]
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--delay", str(delay), "--latency",
             str(latency), "--cert", str(cert.cert), "--key", str(cert.key)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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


class LatencyProxy:
    """A TCP proxy on 127.0.0.1 in front of ``port``: every chunk read from either side is
    written to the other ``one_way`` seconds after it arrived, in the order it came (a queue
    per direction, each chunk with its own deadline: delays never add up). A new connection
    waits ``3 * one_way`` before the server sees it (SYN, SYN-ACK, ACK: the server greets one
    and a half round trips after the client asked). Runs its own event loop in a thread.

    ``turns`` counts the round trips clients waited for: each time a client speaks after
    the server last did (a group of pipelined commands is one turn).
    """

    def __init__(self, port: int, one_way: float):
        self.target, self.one_way = port, one_way
        self.turns = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0), self.loop).result()
        self.port = int(self.server.sockets[0].getsockname()[1])

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    async def _shutdown(self) -> None:
        self.server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _connection(self, client_reader: asyncio.StreamReader,
                          client_writer: asyncio.StreamWriter) -> None:
        import socket

        await asyncio.sleep(3 * self.one_way)  # the TCP handshake of a real network
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target)
        for writer in (client_writer, server_writer):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        last = ["server"]  # who spoke last: the greeting comes first
        try:
            await asyncio.gather(self._pump(client_reader, server_writer, "client", last),
                                 self._pump(server_reader, client_writer, "server", last))
        except asyncio.CancelledError:  # the proxy closes: end quietly (asyncio's stream
            return  # callback would report a cancelled connection task as an error)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    side: str, last: list[str]) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def forward() -> None:
            while True:
                deadline, data = await queue.get()
                wait = deadline - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                try:
                    await writer.drain()
                except ConnectionError:
                    break
            writer.close()

        sender = asyncio.create_task(forward())
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            if data and side == "client" and last[0] == "server":
                self.turns += 1
            if data:
                last[0] = side
            queue.put_nowait((loop.time() + self.one_way, data))
            if not data:
                break
        await sender


def serve(args: argparse.Namespace) -> int:
    """Child process: run the server (behind the latency proxy when asked) until told to stop;
    answer ``stats`` on standard input."""
    from send_support import TestCertificate, mail_server

    cert = TestCertificate(Path(args.cert), Path(args.key))
    with mail_server(certificate=cert, users={USER: PASSWORD}, command_delay=args.delay,
                     keep=False, pipelining=True) as server:
        proxy = LatencyProxy(server.port, args.latency / 2) if args.latency else None
        print(proxy.port if proxy else server.port, flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps({"logins": server.logins, "count": server.count(),
                                  "connections": server.connections,
                                  "replies": server.replies,
                                  "lines": server.reply_lines,
                                  "turns": proxy.turns if proxy else 0}), flush=True)
            elif line.strip() == "stop":
                break
        if proxy is not None:
            proxy.close()
    return 0


def run_ours(workspace, settings, engine, codes, server, cert, limit=None) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, delete

    from yhteistuumin_survey.db.models import OutboundMessage
    from yhteistuumin_survey.mailer import make_composer, plan_round, send_round, sent_folder
    from yhteistuumin_survey.smtp_auth import SmtpOptions, SmtpSession

    with Session(engine, expire_on_commit=False) as session:
        session.exec(delete(OutboundMessage))  # a fresh round each time
        session.commit()
        # ... with no copies either: a real round writes each copy under a new name, while
        # overwriting one (the ids start again) makes ext4 flush it on close.
        shutil.rmtree(sent_folder(workspace, round_name=settings.round_name),
                      ignore_errors=True)
        started = time.perf_counter()
        plan = plan_round(session=session, settings=settings, kind="invite", only=codes,
                          limit=limit)
        compose = make_composer(workspace, session=session, settings=settings)
        options = SmtpOptions("127.0.0.1", server.port, "starttls", user=USER, password=PASSWORD,
                              ca_file=str(cert.cert))
        with SmtpSession(options) as transport:
            result = send_round(plan, session=session, settings=settings, compose=compose,
                                transport=transport, rate=None,
                                copies=sent_folder(workspace, round_name=settings.round_name))
        elapsed = time.perf_counter() - started
    sent = result.report.counts.get("sent", 0)
    assert sent == len(plan.to_send), result.report.counts
    return sent, elapsed


def write_mailmerge_files(folder: Path, rows: list[dict[str, str]], port: int) -> None:
    (folder / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    with (folder / "mailmerge_database.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["email", "name", "attachment", "link"])
        writer.writeheader()
        writer.writerows(rows)
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nsecurity = STARTTLS\n"
        f"username = {USER}\nratelimit = 0\n", encoding="utf-8")


def run_mailmerge(folder: Path) -> tuple[int, float]:
    from mailmerge.__main__ import read_csv_database
    from mailmerge.sendmail_client import SendmailClient
    from mailmerge.template_message import TemplateMessage

    started = time.perf_counter()
    # The loop of mailmerge's main(), without its console printing.
    message_template = TemplateMessage(folder / "mailmerge_template.txt")
    client = SendmailClient(folder / "mailmerge_server.conf", dry_run=False)
    client.password = PASSWORD  # what its getpass prompt would read
    sent = 0
    for row in read_csv_database(folder / "mailmerge_database.csv"):
        sender, recipients, message = message_template.render(row)
        client.sendmail(sender, recipients, message)
        sent += 1
    return sent, time.perf_counter() - started


def scenario(label: str, delay: float, rounds: int, goal: float | None, prepared,  # type: ignore[no-untyped-def]
             folder: Path, cert, *, latency: float = 0.0, measure: str = "") -> bool:
    """Run ours and mailmerge alternately ``rounds`` times against one server (``delay`` held
    by the server per reply, ``latency`` a round trip through the proxy); print the ratio of
    the median times per message, and emit it as ``measure`` when it has a target (``goal``).
    Return whether the targets were met (always, for a comparison without a target)."""
    import statistics

    from _report import emit, spread  # bench/ is this script's folder

    workspace, settings, engine, codes, rows = prepared
    per_message: dict[str, list[float]] = {"ours": [], "mailmerge": []}
    logins: list[int] = []
    replies: dict[str, list[float]] = {"ours": [], "mailmerge": []}
    lines: dict[str, list[float]] = {"ours": [], "mailmerge": []}
    turns: dict[str, list[float]] = {"ours": [], "mailmerge": []}
    print(f"{label}:")
    with ServerProcess(cert, delay, latency) as server:
        write_mailmerge_files(folder, rows, server.port)
        for number in range(1, rounds + 1):
            order = ("ours", "mailmerge") if number % 2 else ("mailmerge", "ours")
            line = []
            for who in order:
                before = server.stats()
                if who == "ours":
                    sent, seconds = run_ours(workspace, settings, engine, codes, server, cert)
                else:
                    sent, seconds = run_mailmerge(folder)
                after = server.stats()
                assert after["count"] - before["count"] == sent == len(rows), (who, sent)
                if who == "ours":
                    logins.append(after["logins"] - before["logins"])
                replies[who].append((after["replies"] - before["replies"]) / sent)
                lines[who].append((after["lines"] - before["lines"]) / sent)
                turns[who].append((after["turns"] - before["turns"]) / sent)
                per_message[who].append(seconds / sent)
                line.append(f"{who} {sent / seconds:6.1f} msg/s")
            print(f"  round {number}: " + ", ".join(line) + f"  (load {os.getloadavg()[0]:.2f})",
                  flush=True)
    ours, theirs = per_message["ours"], per_message["mailmerge"]
    ratio = statistics.median(theirs) / statistics.median(ours)
    best = min(theirs) / min(ours)
    ours_replies = statistics.median(replies["ours"])
    their_replies = statistics.median(replies["mailmerge"])
    print(f"  ours       min {min(ours) * 1000:6.2f} ms/msg, median "
          f"{statistics.median(ours) * 1000:6.2f} ms/msg, logins per batch {logins}, "
          f"{ours_replies:.1f} replies/msg")
    print(f"  mailmerge  min {min(theirs) * 1000:6.2f} ms/msg, median "
          f"{statistics.median(theirs) * 1000:6.2f} ms/msg, 1 login per message, "
          f"{their_replies:.1f} replies/msg")
    wanted = f"target >= {goal:.1f}x" if goal else "for comparison only, not a target"
    print(f"  speed-up ours vs mailmerge: {ratio:.2f}x by the medians, {best:.2f}x by the "
          f"minimums ({wanted})")
    ours_trips, their_trips = statistics.median(turns["ours"]), statistics.median(
        turns["mailmerge"])
    if latency:
        print(f"  round trips a message (counted by the proxy): ours {ours_trips:.2f}, "
              f"mailmerge {their_trips:.2f}; at {latency * 1000:.0f} ms each no sender beats "
              f"round trips x latency: the ratio is bounded by {their_trips:.1f} / "
              f"{ours_trips:.2f} = {their_trips / ours_trips:.1f}x")
    if delay:
        print(f"  at {delay * 1000:.0f} ms a reply no sender beats replies x delay: the ratio "
              f"is bounded by {their_replies:.1f} / {ours_replies:.1f} = "
              f"{their_replies / ours_replies:.2f}x (holding every line of a multi-line "
              f"reply instead, as this bench did before, would charge "
              f"{statistics.median(lines['mailmerge']):.1f} / "
              f"{statistics.median(lines['ours']):.1f} lines a message)")
    if goal is None:
        return True
    emit("send", measure,
         ratio=ratio, target=goal, better="higher", best=round(best, 3), rounds=rounds,
         messages=len(rows),
         ours_ms={k: round(v * 1000, 2) for k, v in spread(ours).items()},
         mailmerge_ms={k: round(v * 1000, 2) for k, v in spread(theirs).items()},
         logins_per_batch=max(logins), replies_per_message={
             "ours": round(ours_replies, 2), "mailmerge": round(their_replies, 2)},
         round_trips_per_message={"ours": round(ours_trips, 2),
                                  "mailmerge": round(their_trips, 2)} if latency else None,
         # what no sender can beat: round trips x latency, or replies x delay; none at 0 ms
         bound=round(their_trips / ours_trips if latency else their_replies / ours_replies, 2)
         if latency or delay else None)
    return ratio >= goal and max(logins) == 1


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
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternate rounds against the instant server (default 5)")
    parser.add_argument("--slow-rounds", type=int, default=3,
                        help="alternate rounds at 10 ms latency (default 3)")
    parser.add_argument("--per-reply-rounds", type=int, default=2,
                        help="alternate rounds against the server holding each reply 10 ms, "
                             "the old model, for comparison (default 2; 0 skips it)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=0.0, help=argparse.SUPPRESS)
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
        met = [scenario("server answering at once", 0.0, args.rounds, 1.5, prepared, folder,
                        cert, measure="speed-up vs mailmerge, 0 ms per command"),
               scenario("server 10 ms away (a 10 ms round trip through the proxy)", 0.0,
                        args.slow_rounds, 4.0, prepared, folder, cert, latency=0.010,
                        measure="speed-up vs mailmerge, 10 ms latency")]
        if args.per_reply_rounds:
            scenario("old model for comparison, NOT the target: server holding each reply "
                     "10 ms", 0.010, args.per_reply_rounds, None, prepared, folder, cert)
        small = min(100, n)
        peak_small = peak_memory(prepared, cert, small)
        peak_all = peak_memory(prepared, cert, n)
        print(f"\npeak traced memory of our sender: {small} messages {peak_small:.1f} MiB, "
              f"{n} messages {peak_all:.1f} MiB ({peak_all / peak_small:.2f}x for "
              f"{n / small:.1f}x the messages)")
        prepared[2].dispose()
    ok = all(met)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
