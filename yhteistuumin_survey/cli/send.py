"""``yhteistuumin send invite|remind``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import SendError
from .app import Format, FormatOption, echo, get_state, group, progress, warn

if TYPE_CHECKING:
    from ..mailer import SendResult

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

_KIND_LABEL = {"invite": "Invitations", "remind": "Reminders"}
_PROBLEMS = ("failed", "uncertain", "in-progress", "not-sent", "failed-earlier", "skipped")


@send_app.command("invite")
def invite_cmd(
    ctx: typer.Context,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
    only: OnlyOption = None,
    rate: RateOption = None,
    yes: YesOption = False,
    resend_uncertain: ResendOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Send the invitation and questionnaire to every municipality's contacts, once.

    Example: yhteistuumin send invite --only 091 --only 599 --dry-run
    """
    _send(ctx, "invite", dry_run=dry_run, limit=limit, only=only, rate=rate, yes=yes,
          resend_uncertain=resend_uncertain, fmt=fmt, now=None)


@send_app.command("remind")
def remind_cmd(
    ctx: typer.Context,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
    only: OnlyOption = None,
    rate: RateOption = None,
    yes: YesOption = False,
    resend_uncertain: ResendOption = False,
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
          resend_uncertain=resend_uncertain, fmt=fmt, now=moment)


def _send(ctx: typer.Context, kind: str, *, dry_run: bool, limit: int | None,
          only: list[str] | None, rate: str | None, yes: bool, resend_uncertain: bool,
          fmt: Format, now: dt.datetime | None) -> None:
    from ..config import parse_rate
    from ..mailer import CONFIRM_ABOVE, make_composer, plan_round, send_round, write_dry_run
    from ..smtp_auth import SmtpSession, smtp_options

    state = get_state(ctx)
    settings = state.settings(**{"smtp.rate": rate})
    workspace = state.workspace
    with state.session(settings) as session:
        plan = plan_round(session=session, settings=settings, kind=kind, only=only, limit=limit,
                          resend_uncertain=resend_uncertain, now=now)
        compose = make_composer(workspace, session=session, settings=settings)
        count = len(plan.to_send)
        if dry_run:
            with progress("Writing", count) as advance:
                result = write_dry_run(plan, workspace=workspace, compose=compose,
                                       progress=advance)
        else:
            from ..preflight import check_round

            preflight = check_round(workspace, session=session, settings=settings, plan=plan)
            if preflight.failed:
                for line in preflight.summary():
                    warn(line)
                raise SendError("nothing sent: fix the problems above ('yhteistuumin send "
                                "check' checks again)")
            for line in preflight.warnings:
                warn(f"Warning: {line}")
            options = smtp_options(settings)
            SmtpSession(options).check()  # refuse a clear-text login before asking anything
            if count > CONFIRM_ABOVE and not yes:
                _confirm(f"Send {count} {_KIND_LABEL[kind].lower()} through {options.where}?",
                         count, details=preflight.details())
            with SmtpSession(options, on_event=warn) as transport, \
                    progress("Sending", count) as advance:
                result = send_round(plan, session=session, settings=settings, compose=compose,
                                    transport=transport,
                                    rate=parse_rate(settings.get("smtp.rate")),
                                    progress=advance)
    _render(result, plan.held_back, fmt)
    if result.failed:
        raise typer.Exit(code=1)


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
    from ..mailer import plan_round
    from ..preflight import check_round
    from ..reports import to_json

    if kind not in _KIND_LABEL:
        raise SendError(f"--kind {kind}: give invite or remind")
    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        plan = plan_round(session=session, settings=settings, kind=kind, only=only, limit=None,
                          resend_uncertain=False, now=None)
        result = check_round(state.workspace, session=session, settings=settings, plan=plan)
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    else:
        for line in result.details():
            echo(line)
        for line in result.summary():
            echo(line)
    if result.failed:
        raise typer.Exit(code=1)


def _confirm(question: str, count: int, details: Sequence[str] = ()) -> None:
    if not sys.stdin.isatty():
        raise SendError(f"about to send {count} messages and there is no terminal to confirm "
                        "on; add --yes to send, or --dry-run to look first")
    for line in details:
        warn(line)
    if not typer.confirm(question, default=False):
        raise SendError("nothing sent: not confirmed")


def _render(result: SendResult, held_back: int, fmt: Format) -> None:
    from ..reports import render, to_json

    if fmt is Format.json:
        data = result.to_dict()
        data["held_back"] = held_back
        echo(to_json(data))
        return
    rows = [{"source": o.source, "status": o.status, "reason": o.reason}
            for o in result.report.outcomes]
    if fmt is Format.csv:
        echo(render(rows, ["source", "status", "reason"], "csv").rstrip("\n"))
        return
    counts = result.report.counts
    label = _KIND_LABEL.get(result.kind, result.kind)
    if result.dry_run:
        echo(f"Dry run, {label.lower()} of round {result.round_name}: "
             f"{counts.get('written', 0)} written to {result.folder}; nothing sent.")
    else:
        echo(f"{label}, round {result.round_name}: {counts.get('sent', 0)} sent, "
             f"{counts.get('failed', 0)} failed, {counts.get('uncertain', 0)} uncertain, "
             f"{counts.get('already-sent', 0)} already sent "
             f"({result.logins} login{'s' if result.logins != 1 else ''}).")
    extra = [f"{counts[s]} {s}" for s in ("skipped", "failed-earlier", "not-sent", "in-progress")
             if counts.get(s)]
    if held_back:
        extra.append(f"{held_back} left for the next run (--limit)")
    if extra:
        echo("Also: " + ", ".join(extra) + ".")
    problems = [row for row in rows if row["status"] in _PROBLEMS]
    if problems:
        echo()
        echo(render(problems, ["source", "status", "reason"], "table"))
    if result.stopped:
        echo()
        echo(f"Stopped early: {result.stopped}")
