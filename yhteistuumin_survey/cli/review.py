"""``yhteistuumin review export|import``: the reviewers' round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, echo, get_state, group, progress

review_app = group("review", "The reviewers' round trip: triage workbooks out, decisions back in.")


@review_app.command("export")
def export_cmd(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Statuses to export, comma-separated or repeated: new, "
                               "needs-info, approved, rejected, duplicate (default: new and "
                               "needs-info, plus practices with a new version since their "
                               "decision).")] = None,
    reviewer: Annotated[list[str] | None, typer.Option(
        "--reviewer", "-r", help="A reviewer's name; repeat for one workbook each, practices "
                                 "shared out evenly by region.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", dir_okay=False,
        help="Workbook to write (default: outputs/review/review-<time>[-<reviewer>].xlsx).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Write the reviewers' triage workbooks (one row per practice).

    Example: yhteistuumin review export --reviewer Aino --reviewer Bertil
    """
    from ..reports import render, to_json
    from ..review import export_review
    from ..survey import workspace_survey

    state = get_state(ctx)
    workspace = state.workspace
    survey = workspace_survey(workspace)
    with state.session() as session, progress("Writing", None) as advance:
        result = export_review(workspace.outputs, session=session, out=out, statuses=status,
                               reviewers=reviewer or (), survey=survey, progress=advance,
                               round_name=state.settings().round_name)
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
        return
    rows = [{"file": str(f.path), "reviewer": f.reviewer or "", "practices": f.practices,
             "regions": ", ".join(f.regions)} for f in result.files]
    if fmt is Format.csv:
        typer.echo(render(rows, ["file", "reviewer", "practices", "regions"], "csv"), nl=False)
        return
    if not result.files:
        echo(f"Nothing to review (status {', '.join(result.statuses)}).")
        return
    echo(render(rows, ["file", "reviewer", "practices", "regions"], "table"))
    echo(f"{result.practices} practice{'' if result.practices == 1 else 's'} in "
         f"{len(result.files)} workbook{'' if len(result.files) == 1 else 's'} "
         f"(export {result.export_id}).")


@review_app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Returned review workbooks.")],
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", "-r", help="Who decided (default: the reviewer the workbook was made "
                                 "for).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Apply the decisions of returned review workbooks.

    Example: yhteistuumin review import review-aino.xlsx review-bertil.xlsx
    """
    from ..reports import render, to_json
    from ..review import import_review

    state = get_state(ctx)
    with state.session() as session, progress("Importing", None) as advance:
        result = import_review(files, session=session, reviewer=reviewer, progress=advance,
                               round_name=state.settings().round_name)
    summary = result.summary
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        rows = [{"source": o.source, "status": o.status, "reason": o.reason}
                for o in result.report.outcomes]
        typer.echo(render(rows, ["source", "status", "reason"], "csv"), nl=False)
    else:
        for outcome in result.report.outcomes:
            if outcome.status in {"error", "stale", "conflict", "warning"}:
                echo(f"{outcome.source}: {outcome.status}: {outcome.reason}")
        echo(", ".join(f"{count} {name[:-1] if count == 1 and name.endswith('s') else name}"
                       for name, count in summary.items()))
    if result.failed:
        raise typer.Exit(code=1)
