"""``yhteistuumin register checked``: end the follow-up list's note on a contact, with a reason."""

from typing import Annotated

import typer

from .app import FormatOption, emit, project
from .register import register_app


@register_app.command("checked")
def checked_cmd(
    municipality: Annotated[str, typer.Argument(help="The municipality: its name or code.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="Why the contact stays as it is (recorded), e.g. 'phoned 7.12.: the "
                         "mailbox was emptied'.")],
    address: Annotated[str | None, typer.Option(
        "--address", help="End only the notes on this address (default: all of the "
                          "municipality's).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """End a "check the contact" note of the follow-up list: you looked, the contact stays.

    The follow-up list (status --by municipality) lists a note until the contact changes or
    this records why it stays; a new bounce or auto-reply makes a new note.

    Example: yhteistuumin register checked Pedersöre --reason "soitettu 7.12.: postilaatikko tyhjennetty"
    """
    emit(project().mark_checked(municipality, reason=reason, address=address), fmt)
