"""``yhteistuumin fetch``: read the coordinator's mailbox over IMAP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated, Any

import typer

from .app import Format, FormatOption, app, echo, get_state, progress


@contextmanager
def _stages() -> Iterator[Any]:
    """Yield a ``(label, n, total)`` callback that shows one progress bar per stage."""
    with ExitStack() as stack:
        bars: dict[str, Any] = {}

        def advance(label: str, n: int, total: int) -> None:
            if label not in bars:
                bars.clear()
                stack.close()
                bars[label] = stack.enter_context(progress(label, total))
            bars[label](n)

        yield advance


@app.command("fetch")
def fetch_cmd(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what each message would become; change nothing, on the server "
                          "or in the database.")] = False,
    since: Annotated[dt.datetime | None, typer.Option(
        "--since", formats=["%Y-%m-%d", "%d.%m.%Y"], metavar="DATE",
        help="Only messages received on or after this day (2026-12-01 or 1.12.2026).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Read the mailbox ([imap] settings): ingest answers, record bounces, list the rest; never delete.

    Example: yhteistuumin fetch --dry-run   (password in YHTEISTUUMIN_IMAP_PASSWORD or the keyring)
    """
    from ..fetch import fetch_mailbox
    from ..reports import render, to_json

    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session, _stages() as advance:
        result = fetch_mailbox(settings, session=session, workspace=state.workspace,
                               dry_run=dry_run, since=since.date() if since else None,
                               progress=advance)
    columns, rows = result.table()
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        typer.echo(render(rows, columns or ["uid", "status", "from", "subject", "date", "reason"],
                          "csv"), nl=False)
    else:
        for line in result.summary():
            echo(line)
        if rows:
            echo()
            echo(render(rows, columns, "table"))
    if result.failed:
        raise typer.Exit(code=1)
