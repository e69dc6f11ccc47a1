"""``yhteistuumin survey build``: the questionnaire workbooks."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Format, FormatOption, emit, group, project

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
    emit(project(ctx).build_questionnaires(only=only), fmt)
