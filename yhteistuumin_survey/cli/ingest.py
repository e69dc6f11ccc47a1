"""``yhteistuumin ingest``: what municipalities send back."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, app, echo, get_state, progress, warn


class Source(StrEnum):
    """Which reader ``ingest`` uses."""

    auto = "auto"
    questionnaire = "questionnaire"
    msforms = "msforms"
    googleforms = "googleforms"
    webropol = "webropol"
    limesurvey = "limesurvey"
    table = "table"


#: Outcomes shown in the summary, in this order.
_SUMMARY_ORDER = ("new", "new version", "duplicate candidate", "already ingested", "incomplete",
                  "empty", "body-text", "note", "skipped", "error")


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (searched recursively): questionnaires, form exports, tables, "
             ".eml/.msg messages.")] = None,
    source: Annotated[Source, typer.Option(
        "--source", "-s", help="Force a reader instead of recognising each file.")] = Source.auto,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Also read again every received file whose reading failed.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Ingest returned questionnaires, web-form exports, tables and saved emails.

    Example: yhteistuumin ingest inbox/ exports/forms.xlsx --source auto
    """
    from ..ingest import count_files, ingest_paths
    from ..reports import render, to_json

    state = get_state(ctx)
    settings = state.settings()
    paths = paths or []
    with state.session(settings) as session, progress("Ingesting", count_files(paths)) as advance:
        result = ingest_paths(paths, session=session, workspace=state.workspace,
                              settings=settings, source=source.value, progress=advance,
                              retry_failed=retry_failed)
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        typer.echo(render(result.rows(), ["file", "sheet", "row", "format", "outcome",
                                          "practice_id", "version", "reason"], "csv"), nl=False)
    else:
        for mapping in result.mappings:
            if mapping.format in {"questionnaire"}:
                continue
            echo(f"{mapping.file} [{mapping.sheet}] read as {mapping.format}; columns:")
            for column in mapping.columns:
                target = column.target or "(ignored)"
                how = column.method if column.method != "fuzzy" else f"fuzzy {column.score:.0f}"
                if column.note:
                    how = f"{how}: {column.note}"
                echo(f"  {column.header[:60]!r} -> {target} ({how})")
        problems = [row for row in result.rows() if row["outcome"] in ("error", "skipped")]
        for row in problems:
            warn(f"{row['outcome']}: {row['reason']}")
        counts = result.counts
        parts = [f"{counts[name]} {name}" for name in _SUMMARY_ORDER if counts.get(name)]
        echo(f"{result.files} file{'s' if result.files != 1 else ''}: "
             f"{', '.join(parts) or 'nothing to do'}")
        if result.report_path:
            echo(f"Report: {result.report_path}")
    if result.failed:
        raise typer.Exit(code=1)
