"""``yhteistuumin survey build`` and ``survey webform``: the questionnaire workbooks and the
web form built from the same survey definition."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import Format, FormatOption, echo, get_state, group, progress, warn

survey_app = group("survey", "The questionnaire workbooks and the web form sent to the municipalities.")


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


class Tool(StrEnum):
    """The web-form tools ``survey webform`` writes for."""

    limesurvey = "limesurvey"
    googleforms = "googleforms"
    msforms = "msforms"


class FormLanguage(StrEnum):
    """The languages of the web form."""

    fi = "fi"
    sv = "sv"
    both = "both"


@survey_app.command("webform")
def webform_cmd(
    ctx: typer.Context,
    tool: Annotated[Tool, typer.Argument(help="limesurvey, googleforms or msforms.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder to write to (default: outputs/webform/TOOL).")] = None,
    language: Annotated[FormLanguage, typer.Option(
        "--language", help="The form's languages: fi, sv or both.")] = FormLanguage.both,
    fmt: FormatOption = Format.table,
) -> None:
    """Write the web form built from the survey definition, and print the next steps.

    LimeSurvey: a survey structure (.lss) and a participants .csv with each municipality's
    response token; Google Forms: an Apps Script (.gs); Microsoft Forms: instructions.

    Example: yhteistuumin survey webform limesurvey --out webform/ --language both
    """
    from ..reports import to_json
    from ..survey import workspace_survey
    from ..webform import build_webform

    state = get_state(ctx)
    settings = state.settings()
    survey = workspace_survey(state.workspace)
    if tool is Tool.limesurvey:
        with state.session(settings) as session:
            result = build_webform(state.workspace, session=session, settings=settings,
                                   survey=survey, tool=tool.value, out=out,
                                   language=language.value)
    else:
        result = build_webform(state.workspace, session=None, settings=settings, survey=survey,
                               tool=tool.value, out=out, language=language.value)
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    else:
        for line in result.summary():
            echo(line)
