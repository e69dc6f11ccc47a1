"""``yhteistuumin ingest``: what municipalities send back."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from .app import FormatOption, app, emit, project

#: Which reader ``ingest`` uses.
Source = Literal["auto", "questionnaire", "msforms", "googleforms", "webropol", "surveymonkey",
                 "limesurvey", "table"]


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (searched recursively): questionnaires, form exports, tables, "
             ".eml/.msg messages.")] = None,
    source: Annotated[Source, typer.Option(
        "--source", "-s", help="Force a reader instead of recognising each file.")] = "auto",
    structure: Annotated[list[Path] | None, typer.Option(
        "--structure", help="A LimeSurvey survey structure (.lss) that explains the codes of "
                            "LimeSurvey exports; repeat for more. A .lss beside an export is "
                            "used too.")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Also read again every received file whose reading failed.")
    ] = False,
    reread: Annotated[bool, typer.Option(
        "--reread", help="Read the files named again, though read before (an older version "
                         "may have read them wrongly): an undecided practice is updated, a "
                         "decided one kept and the difference flagged.")] = False,
    reread_all: Annotated[bool, typer.Option(
        "--reread-all", help="Read every received file again from its copy under "
                             "outputs/received, as --reread does.")] = False,
    fmt: FormatOption = "table",
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also show how each column of a table was read.")] = False,
) -> None:
    """Ingest returned questionnaires, web-form exports, tables and saved emails.

    Example: yhteistuumin ingest inbox/ exports/forms.xlsx --source auto --verbose
    """
    emit(project().ingest(paths or [], source=source, structures=structure or (),
                          retry_failed=retry_failed, verbose=verbose, reread=reread,
                          reread_all=reread_all), fmt)
