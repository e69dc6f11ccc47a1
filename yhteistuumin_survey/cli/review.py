"""``yhteistuumin review export|import``: the reviewers' round trip."""

from pathlib import Path
from typing import Annotated

import typer

from .app import FormatOption, emit, group, project

review_app = group("review", "The reviewers' round trip: triage workbooks out, decisions back in.")


@review_app.command("export")
def export_cmd(
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
    fmt: FormatOption = "table",
) -> None:
    """Write the reviewers' triage workbooks (one row per practice).

    Example: yhteistuumin review export --reviewer Aino --reviewer Bertil
    """
    emit(project().export_review(statuses=status, reviewers=reviewer or (), out=out), fmt)


@review_app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Returned review workbooks.")],
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", "-r", help="Who decided (default: the reviewer the workbook was made "
                                 "for).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Apply the decisions of returned review workbooks.

    Example: yhteistuumin review import review-aino.xlsx review-bertil.xlsx
    """
    emit(project().import_review(files, reviewer=reviewer), fmt)
