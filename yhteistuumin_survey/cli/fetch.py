"""``yhteistuumin fetch``: read the coordinator's mailbox over IMAP."""

import datetime as dt
from typing import Annotated

import typer

from .app import FormatOption, app, emit, project


@app.command("fetch")
def fetch_cmd(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what each message would become; change nothing, on the server "
                          "or in the database.")] = False,
    since: Annotated[dt.datetime | None, typer.Option(
        "--since", formats=["%Y-%m-%d", "%d.%m.%Y"], metavar="DATE",
        help="Only messages received on or after this day (2026-12-01 or 1.12.2026).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Read the mailbox ([imap] settings): ingest answers, record bounces, list the rest; never delete.

    Example: yhteistuumin fetch --dry-run   (password in YHTEISTUUMIN_IMAP_PASSWORD or the keyring)
    """
    emit(project().fetch(dry_run=dry_run, since=since.date() if since else None), fmt)
