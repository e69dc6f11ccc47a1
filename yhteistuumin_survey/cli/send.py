"""``yhteistuumin send invite|remind|check``."""

import datetime as dt
from typing import Annotated

import typer

from ..errors import SendError
from .app import FormatOption, confirm, emit, group, project

send_app = group("send", "Send invitations and reminders over SMTP (never twice).")

OnlyOption = Annotated[list[str] | None, typer.Option(
    "--only", help="Only these municipality codes (repeat, or separate with commas).")]


def _send_command(kind: str, doc: str) -> None:
    """Add ``send KIND``: invite and remind take the same options."""

    def command(
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Write every message as .eml under outputs/outbox/ and send "
                              "nothing.")] = False,
        limit: Annotated[int | None, typer.Option(
            "--limit", min=0, help="Send at most N messages in this run (the rest wait for "
                                   "the next).")] = None,
        only: OnlyOption = None,
        rate: Annotated[str | None, typer.Option(
            "--rate", help="Sending rate in the provider's terms, e.g. 30/min (default [smtp] "
                           "rate).")] = None,
        yes: Annotated[bool, typer.Option(
            "--yes", "-y", help="Do not ask for confirmation before sending to more than 5 "
                                "addresses.")] = False,
        resend_uncertain: Annotated[bool, typer.Option(
            "--resend-uncertain", help="Send again the messages whose fate is unknown (a "
                                       "killed run).")] = False,
        retry_failed: Annotated[bool, typer.Option(
            "--retry-failed", help="Try again the messages that failed for a reason that can "
                                   "pass (a quota, a full mailbox); never an unknown "
                                   "address.")] = False,
        fmt: FormatOption = "table",
        now: Annotated[str | None, typer.Option(
            "--now", hidden=True, help="Pretend it is this time (ISO 8601), for tests.")] = None,
    ) -> None:
        try:
            moment = dt.datetime.fromisoformat(now) if now else None
        except ValueError:
            raise SendError(f"--now {now}: not an ISO 8601 time such as 2026-12-01T09:00") from None
        emit(project().send(kind, dry_run=dry_run, limit=limit, only=only, rate=rate,
                            resend_uncertain=resend_uncertain, retry_failed=retry_failed,
                            now=moment, confirm=None if yes else confirm), fmt)

    send_app.command(kind, help=doc)(command)


_send_command("invite", """Send the invitation and questionnaire to every municipality's contacts, once.

    Example: yhteistuumin send invite --only 091 --only 599 --dry-run
    """)
_send_command("remind", """Remind the municipalities that have not answered (rule: [reminders] max, min_days).

    Example: yhteistuumin send remind --dry-run
    """)


@send_app.command("check")
def check_cmd(
    kind: Annotated[str, typer.Option(
        "--kind", help="The batch to check: invite or remind.")] = "invite",
    only: OnlyOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Check the round before a real send: example settings, {token}, deadline, SMTP, templates.

    Example: yhteistuumin send check
    """
    emit(project().check_send(kind, only=only), fmt)
