"""``yhteistuumin register …``: the municipality register, the name resolver, the contacts."""

from pathlib import Path
from typing import Annotated

import typer

from .app import FormatOption, emit, group, project

register_app = group("register", "The municipality register, the name resolver and the contact list.")


@register_app.command("list")
def list_cmd(
    region: Annotated[str | None, typer.Option(
        "--region", "-r", help="Region code or Finnish, Swedish or English name.")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", "-l", help="fi, fi-sv, sv-fi, sv, or bilingual (fi-sv and sv-fi).")] = None,
    fmt: FormatOption = "table",
) -> None:
    """List the municipalities in force, optionally of one region or language status.

    Example: yhteistuumin register list --region Pohjanmaa --language bilingual
    """
    emit(project(outside_workspace=True).list_register(region=region, language=language), fmt)


@register_app.command("update")
def update_cmd(
    file: Annotated[Path, typer.Argument(
        help="Statistics Finland classification (CSV or XLSX), or a municipalities.csv.")],
    mergers: Annotated[Path | None, typer.Option(
        "--mergers", help="Mergers list (old_code, old_name_fi, successor_code, merged_on) "
                          "added to the bundled recipients/mergers.csv.")] = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help="The file is an extract: apply additions and changes, remove "
                          "nothing.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would change and change nothing.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Load a newer classification; merged municipalities become aliases of their successor.

    Example: yhteistuumin register update kunta_1_20270101#maakunta_1_20270101.csv
    """
    emit(project().update_register(file, mergers=mergers, partial=partial, dry_run=dry_run), fmt)


@register_app.command("contacts")
def contacts_cmd(
    file: Annotated[Path, typer.Argument(help="Contact list: CSV (comma or semicolon) or XLSX.")],
    retire_missing: Annotated[bool, typer.Option(
        "--retire-missing", help="Retire the addresses of the list's municipalities that it no "
                                 "longer has (kept for the record, never mailed again).")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Import the contact list; the municipality by code or name, several addresses per cell.

    A newer list adds and updates; the addresses of its municipalities that it no longer
    names are listed, and retired only with --retire-missing.

    Example: yhteistuumin register contacts yhteystiedot.xlsx --retire-missing
    """
    emit(project().import_contacts(file, retire_missing=retire_missing), fmt)


@register_app.command("retire")
def retire_cmd(
    address: Annotated[str, typer.Argument(help="The contact address no longer to use.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="Why (recorded), e.g. 'siirtyi toiseen työhön 11/2026'; with "
                          "--undo, why it is back in use.")] = "",
    municipality: Annotated[str | None, typer.Option(
        "--municipality", "-m", help="Only as this municipality's contact (name or code; "
                                     "default: of every municipality it serves).")] = None,
    undo: Annotated[bool, typer.Option(
        "--undo", help="Put an address retired by mistake back in use.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Retire a contact address: kept for the record, never mailed again.

    Says when a municipality is left with no working address. A contact list that names the
    address again puts it back in use, and so does --undo.

    Example: yhteistuumin register retire maija.m@kuhmo.fi --reason "jäi eläkkeelle"
    """
    emit(project().retire_contact(address, reason=reason, municipality=municipality,
                                  undo=undo), fmt)


@register_app.command("check")
def check_cmd(
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 if a municipality has no valid contact or a contact row "
                         "named no municipality.")] = False,
    fmt: FormatOption = "table",
) -> None:
    """Show the coverage of the contact list: municipalities with no valid contact, by region.

    Example: yhteistuumin register check --strict
    """
    emit(project().check_contacts(strict=strict), fmt)


@register_app.command("resolve")
def resolve_cmd(
    texts: Annotated[list[str], typer.Argument(
        help="Free texts naming municipalities, e.g. 'Espoon kaupunki' or 'Närpes och Kaskö'.",
        metavar="TEXT", show_default=False)],
    fmt: FormatOption = "table",
) -> None:
    """Show which municipalities each text names, how sure, and how it was decided.

    Example: yhteistuumin register resolve "Kulttuuripalvelut, Espoon kaupunki" "Helsinkki"
    """
    emit(project(outside_workspace=True).resolve(texts), fmt)
