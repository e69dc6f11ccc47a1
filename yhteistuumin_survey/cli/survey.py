"""``yhteistuumin survey build`` and ``survey webform``: the questionnaire workbooks and the
web form built from the same survey definition."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from .app import FormatOption, emit, group, project

survey_app = group("survey", "The questionnaire workbooks and the web form for the municipalities.")


@survey_app.command("build")
def build_cmd(
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Build only this municipality (code, e.g. 091); repeat for more.")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Write the questionnaire workbook of every municipality, in its language(s).

    Example: yhteistuumin survey build --only 091 --only 599
    """
    emit(project().build_questionnaires(only=only), fmt)


@survey_app.command("webform")
def webform_cmd(
    tool: Annotated[Literal["limesurvey", "googleforms", "msforms"], typer.Argument(
        help="limesurvey, googleforms or msforms.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder to write to (default: outputs/webform/TOOL).")] = None,
    language: Annotated[Literal["fi", "sv", "both"], typer.Option(
        "--language", help="The form's languages: fi, sv or both.")] = "both",
    fmt: FormatOption = "table",
) -> None:
    """Write the web form built from the survey definition, and print the next steps.

    LimeSurvey: a survey structure (.lss) and a participants .csv with each municipality's
    response token; Google Forms: an Apps Script (.gs); Microsoft Forms: instructions.

    Example: yhteistuumin survey webform limesurvey --out webform/ --language both
    """
    emit(project().webform(tool, out=out, language=language), fmt)
