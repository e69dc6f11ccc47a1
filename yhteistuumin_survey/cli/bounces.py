"""``yhteistuumin bounces``: bounces and auto-replies."""

from pathlib import Path
from typing import Annotated

import typer

from .app import FormatOption, app, emit, project


@app.command("bounces")
def bounces_cmd(
    paths: Annotated[list[Path], typer.Argument(
        help=".eml files, mbox files or maildir folders with bounces and auto-replies.")],
    fmt: FormatOption = "table",
) -> None:
    """Read bounces and auto-replies; mark hard-bounced addresses so they get no reminders.

    Example: yhteistuumin bounces ~/Mail/bounces.mbox
    """
    emit(project().process_bounces(paths), fmt)
