"""``yhteistuumin bounces``: bounces and auto-replies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import Format, FormatOption, app, echo, get_state


@app.command("bounces")
def bounces_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help=".eml files, mbox files or maildir folders with bounces and auto-replies.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Read bounces and auto-replies; mark hard-bounced addresses so they get no reminders.

    Example: yhteistuumin bounces ~/Mail/bounces.mbox
    """
    from ..bounces import process_bounces
    from ..reports import render, to_json

    state = get_state(ctx)
    settings = state.settings()
    with state.session(settings) as session:
        result = process_bounces(paths, session=session, round_name=settings.round_name)
    rows: list[dict[str, Any]] = [
        {"source": o.source, "status": o.status, "reason": o.reason, **o.detail}
        for o in result.report.outcomes]
    columns = ["source", "status", "address", "municipality", "reason"]
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        echo(render(rows, columns, "csv").rstrip("\n"))
    else:
        counts = result.report.counts
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        echo(f"{len(rows)} message{'s' if len(rows) != 1 else ''} read: {summary or 'none'}; "
             f"{result.marked_bounced} address{'es' if result.marked_bounced != 1 else ''} "
             "marked bounced.")
        if rows:
            echo()
            echo(render(rows, columns, "table"))
    if result.report.failed:
        raise typer.Exit(code=1)
