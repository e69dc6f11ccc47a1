"""``yhteistuumin publish``: the website."""

from pathlib import Path
from typing import Annotated

import typer

from .app import FormatOption, app, emit, project


@app.command("publish")
def publish_cmd(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", file_okay=False,
        help="Site folder (default: outputs/site). Stale files in it are removed.")] = None,
    cms: Annotated[Path | None, typer.Option(
        "--cms", file_okay=False,
        help="Markdown for the CMS, not served (default: outputs/cms). Stale files removed.")] = None,
    fmt: FormatOption = "table",
) -> None:
    """Publish the approved practices: a static website with search and JSON, Markdown for a CMS.

    Example: yhteistuumin publish --out outputs/site
    """
    emit(project().publish(out=out, cms=cms), fmt)
