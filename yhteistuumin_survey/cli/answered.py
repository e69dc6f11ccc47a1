"""``yhteistuumin register answered``: record an answer that came another way, or take it back."""

from typing import Annotated

import typer

from .app import FormatOption, emit, project
from .register import register_app


@register_app.command("answered")
def answered_cmd(
    municipality: Annotated[str, typer.Argument(help="The municipality: its name or code.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="How it answered (recorded), e.g. 'ei ilmoitettavaa tällä kertaa "
                         "(sähköposti 7.12.)'; with --undo, why it is taken back.")] = "",
    undo: Annotated[bool, typer.Option(
        "--undo", help="Take back an answer recorded here by mistake.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Record that a municipality answered the round in a way nothing here reads.

    A reply saying it has nothing to report this time, a phone call, a practice a colleague
    typed in: the municipality counts as answered in status and send remind never reminds it.

    Example: yhteistuumin register answered Kuhmo --reason "ei ilmoitettavaa (sähköposti 7.12.)"
    """
    emit(project().record_outside_answer(municipality, reason=reason, undo=undo), fmt)
