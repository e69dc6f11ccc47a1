"""``yhteistuumin survey build``: the questionnaire workbooks."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, echo, get_state, group, progress, warn

survey_app = group("survey", "The questionnaire workbooks sent to the municipalities.")


@survey_app.command("build")
def build_cmd(
    ctx: typer.Context,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Build only this municipality (code, e.g. 091); repeat for more.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Write the questionnaire workbook of every municipality, in its language(s).

    Example: yhteistuumin survey build --only 091 --only 599
    """
    from ..questionnaire import build_questionnaires, select_municipalities
    from ..reports import render, to_json
    from ..survey import workspace_survey

    state = get_state(ctx)
    settings = state.settings()
    workspace = state.workspace
    survey = workspace_survey(workspace)
    with state.session(settings) as session:
        total = len(select_municipalities(session=session, only=only))
        with progress("Building questionnaires", total) as advance:
            result = build_questionnaires(workspace, session=session, settings=settings,
                                          survey=survey, only=only, progress=advance)
    failures = [o for o in result.report.outcomes if o.failed]
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        rows = [{"code": o.source, "status": o.status, "path": o.detail.get("path", ""),
                 "reason": o.reason} for o in result.report.outcomes]
        typer.echo(render(rows, ["code", "status", "path", "reason"], "csv"), nl=False)
    else:
        for outcome in failures:
            warn(f"{outcome.source}: {outcome.reason}")
        counts = result.by_language
        noun = "questionnaire" if len(result.built) == 1 else "questionnaires"
        echo(f"Built {len(result.built)} {noun}: {counts['fi']} in Finnish, {counts['sv']} in "
             f"Swedish, {counts['fi-sv']} in both.")
        if failures:
            echo(f"{len(failures)} failed.")
        echo(f"Folder: {result.folder}")
    if failures:
        raise typer.Exit(code=1)
