"""``yhteistuumin send invite|remind``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from ..errors import SendError
from .app import Format, FormatOption, emit, group, project, warn

send_app = group("send", "Send invitations and reminders over SMTP (never twice).")

DryRunOption = Annotated[bool, typer.Option(
    "--dry-run", help="Write every message as .eml under outputs/outbox/ and send nothing.")]
LimitOption = Annotated[int | None, typer.Option(
    "--limit", min=0, help="Send at most N messages in this run (the rest wait for the next).")]
OnlyOption = Annotated[list[str] | None, typer.Option(
    "--only", help="Only these municipality codes (repeat, or separate with commas).")]
RateOption = Annotated[str | None, typer.Option(
    "--rate", help="Sending rate in the provider's terms, e.g. 30/min (default [smtp] rate).")]
YesOption = Annotated[bool, typer.Option(
    "--yes", "-y", help="Do not ask for confirmation before sending to more than 5 addresses.")]
ResendOption = Annotated[bool, typer.Option(
    "--resend-uncertain", help="Send again the messages whose fate is unknown (a killed run).")]
RetryFailedOption = Annotated[bool, typer.Option(
    "--retry-failed", help="Try again the messages that failed for a reason that can pass "
                           "(a quota, a full mailbox); never an unknown address.")]

@send_app.command("invite")
def invite_cmd(
    ctx: typer.Context,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
    only: OnlyOption = None,
    rate: RateOption = None,
    yes: YesOption = False,
    resend_uncertain: ResendOption = False,
    retry_failed: RetryFailedOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Send the invitation and questionnaire to every municipality's contacts, once.

    Example: yhteistuumin send invite --only 091 --only 599 --dry-run
    """
    _send(ctx, "invite", dry_run=dry_run, limit=limit, only=only, rate=rate, yes=yes,
          resend_uncertain=resend_uncertain, retry_failed=retry_failed, fmt=fmt, now=None)


@send_app.command("remind")
def remind_cmd(
    ctx: typer.Context,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
    only: OnlyOption = None,
    rate: RateOption = None,
    yes: YesOption = False,
    resend_uncertain: ResendOption = False,
    retry_failed: RetryFailedOption = False,
    fmt: FormatOption = Format.table,
    now: Annotated[str | None, typer.Option(
        "--now", hidden=True, help="Pretend it is this time (ISO 8601), for tests.")] = None,
) -> None:
    """Remind the municipalities that have not answered (rule: [reminders] max, min_days).

    Example: yhteistuumin send remind --dry-run
    """
    moment: dt.datetime | None = None
    if now:
        try:
            moment = dt.datetime.fromisoformat(now)
        except ValueError:
            raise SendError(f"--now {now}: not an ISO 8601 time such as 2026-12-01T09:00") from None
    _send(ctx, "remind", dry_run=dry_run, limit=limit, only=only, rate=rate, yes=yes,
          resend_uncertain=resend_uncertain, retry_failed=retry_failed, fmt=fmt, now=moment)


def _send(ctx: typer.Context, kind: str, *, yes: bool, fmt: Format, **options: Any) -> None:
    emit(project(ctx).send(kind, confirm=None if yes else _confirm, **options), fmt)


@send_app.command("check")
def check_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option(
        "--kind", help="The batch to check: invite or remind.")] = "invite",
    only: OnlyOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check the round before a real send: example settings, {token}, deadline, SMTP, templates.

    Example: yhteistuumin send check
    """
    emit(project(ctx).check_send(kind, only=only), fmt)


def _confirm(question: str, count: int, details: Sequence[str] = ()) -> None:
    if not sys.stdin.isatty():
        raise SendError(f"about to send {count} messages and there is no terminal to confirm "
                        "on; add --yes to send, or --dry-run to look first")
    for line in details:
        warn(line)
    if not typer.confirm(question, default=False):
        raise SendError("nothing sent: not confirmed")
