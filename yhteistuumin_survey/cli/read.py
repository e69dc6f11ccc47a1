"""``yhteistuumin register read``: a municipality's message was read; nothing to record."""

from typing import Annotated

import typer

from .app import FormatOption, emit, project
from .register import register_app


@register_app.command("read")
def read_cmd(
    municipality: Annotated[str, typer.Argument(help="The municipality: its name or code.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="What the message said (recorded), e.g. 'kysyi lisäaikaa'.")] = "",
    fmt: FormatOption = "table",
) -> None:
    """Record that you read a municipality's message and it is neither an answer nor a decline.

    A message fetch ties to a municipality holds its reminders until it is read; after this,
    send remind reminds it when due (a decline or answer: register answered instead).

    Example: yhteistuumin register read Kuhmo --reason "kysyi, kuka vastaa"
    """
    emit(project().record_read(municipality, reason=reason), fmt)
