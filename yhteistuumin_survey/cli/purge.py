"""``yhteistuumin purge``: remove what the round no longer needs, after a date."""

import datetime as dt
from typing import Annotated

import typer

from ..errors import InputError
from .app import FormatOption, app, confirm, emit, project


@app.command("purge")
def purge_cmd(
    before: Annotated[str, typer.Option(
        "--before", help="Remove what is older than this day (YYYY-MM-DD).")],
    received: Annotated[bool, typer.Option(
        "--received", help="Stored copies of received files (the record of receipt stays).")
    ] = False,
    messages: Annotated[bool, typer.Option(
        "--messages", help="Copies of messages under outputs/outbox (the outbox rows stay).")
    ] = False,
    reports: Annotated[bool, typer.Option(
        "--reports", help="Files under outputs/reports (ingest reports, charts).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List what would be deleted; delete nothing.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Delete without asking (needed when there is no terminal).")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Delete received originals, message copies or reports older than a day (dry run first).

    Example: yhteistuumin purge --received --messages --before 2027-06-30 --dry-run
    """
    try:
        day = dt.date.fromisoformat(before)
    except ValueError:
        raise InputError(f"--before {before}: not a day such as 2027-06-30") from None
    kinds = [k for k, on in (("received", received), ("messages", messages),
                             ("reports", reports)) if on]
    emit(project().purge(before=day, kinds=kinds, dry_run=dry_run,
                         confirm=None if yes else confirm), fmt)
