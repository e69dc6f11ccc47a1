"""``yhteistuumin register …``: the municipality register, the name resolver, the contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import Format, FormatOption, echo, get_state, group

register_app = group("register", "The municipality register, the name resolver and the contact list.")


@register_app.command("list")
def list_cmd(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option(
        "--region", "-r", help="Region code or Finnish, Swedish or English name.")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", "-l", help="fi, fi-sv, sv-fi, sv, or bilingual (fi-sv and sv-fi).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the municipalities in force, optionally of one region or language status.

    Example: yhteistuumin register list --region Pohjanmaa --language bilingual
    """
    from ..register import list_register
    from ..reports import render

    state = get_state(ctx)
    with state.session() as session:
        entries = list_register(session=session, region=region, language=language)
    if fmt is Format.table:
        rows = [{"code": e.code, "name_fi": e.name_fi, "name_sv": e.name_sv,
                 "region": e.region_fi, "language": e.language} for e in entries]
        echo(render(rows, ["code", "name_fi", "name_sv", "region", "language"], "table"))
        echo(f"{len(entries)} municipalit{'y' if len(entries) == 1 else 'ies'}")
        return
    columns = ["code", "name_fi", "name_sv", "region_code", "region_fi", "region_sv",
               "language", "aland"]
    rows = [{col: getattr(e, col) for col in columns} for e in entries]
    if fmt is Format.csv:
        for row in rows:
            row["aland"] = "true" if row["aland"] else "false"
    typer.echo(render(rows, columns, fmt.value), nl=fmt is not Format.csv)


@register_app.command("update")
def update_cmd(
    ctx: typer.Context,
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
    fmt: FormatOption = Format.table,
) -> None:
    """Load a newer classification; merged municipalities become aliases of their successor.

    Example: yhteistuumin register update kunta_1_20270101#maakunta_1_20270101.csv
    """
    from ..register import load_mergers_csv, update_register
    from ..reports import render, to_json

    state = get_state(ctx)
    merger_rows = load_mergers_csv(state.workspace.resolve("recipients/mergers.csv"))
    if mergers is not None:
        merger_rows += load_mergers_csv(mergers)
    with state.session() as session:
        result = update_register(file, session=session, mergers=merger_rows, partial=partial)
        if dry_run:
            session.rollback()
    if fmt is Format.json:
        echo(to_json({"source": result.source, "in_file": result.in_file,
                      "active_before": result.active_before, "active_after": result.active_after,
                      "partial": result.partial, "dry_run": dry_run, "counts": result.counts,
                      "changes": [vars(c) for c in result.changes],
                      "contacts": [vars(m) for m in result.contacts]}))
        return
    columns = ["code", "change", "name", "detail"]
    if fmt is Format.csv:
        typer.echo(render([vars(c) for c in result.changes], columns, "csv"), nl=False)
        return
    echo(f"{result.source}: {result.in_file} municipalities in the file; "
         f"{result.active_before} in force before, {result.active_after} after.")
    if not result.changes:
        echo("No changes: the register already matches the file.")
        return
    echo(render([vars(c) for c in result.changes], columns, "table"))
    for move in result.contacts:
        line = (f"Contacts of {move.old_code} {move.old_name}: {move.moved} moved to the list of "
                f"{move.successor_code}")
        if move.already_listed:
            line += f" ({move.already_listed} already there)"
        echo(line + ".")
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(result.counts.items()))
    echo(f"{'Would apply' if dry_run else 'Applied'}: {summary}."
         + (" Nothing was changed (--dry-run)." if dry_run else ""))


@register_app.command("contacts")
def contacts_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Contact list: CSV (comma or semicolon) or XLSX.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Import the contact list; the municipality by code or name, several addresses per cell.

    Example: yhteistuumin register contacts yhteystiedot.xlsx
    """
    from ..contacts import import_contacts
    from ..reports import render, to_json

    state = get_state(ctx)
    with state.session() as session:
        result = import_contacts(file, session=session, display=str(file))
    if fmt is Format.json:
        echo(to_json(result.to_dict()))
    elif fmt is Format.csv:
        rows = [{"source": o.source, "status": o.status, "code": o.detail.get("code") or "",
                 "reason": o.reason} for o in result.report.outcomes]
        typer.echo(render(rows, ["source", "status", "code", "reason"], "csv"), nl=False)
    else:
        for item in result.problems:
            echo(item.line())
        count = len(result.report.outcomes)
        failed = sum(1 for o in result.report.outcomes if o.failed)
        echo(f"{result.source}: {count} rows: {result.added} contacts added, {result.updated} "
             f"updated, {result.unchanged} unchanged; {failed} rows with problems.")
        echo("Next: 'yhteistuumin register check' shows which municipalities have no contact.")
    if result.failed:
        raise typer.Exit(code=1)


@register_app.command("check")
def check_cmd(
    ctx: typer.Context,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 if a municipality has no valid contact or a contact row "
                         "named no municipality.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Show the coverage of the contact list: municipalities with no valid contact, by region.

    Example: yhteistuumin register check --strict
    """
    from ..contacts import check_contacts
    from ..reports import render, to_json

    state = get_state(ctx)
    with state.session() as session:
        coverage = check_contacts(session=session)
    if fmt is Format.json:
        echo(to_json(coverage.to_dict()))
    else:
        rows: list[dict[str, object]] = [
            {"region": f"{r.region_code} {r.region}", "municipalities": r.municipalities,
             "with_contact": r.covered, "missing": r.missing} for r in coverage.regions]
        rows.append({"region": "total", "municipalities": coverage.municipalities,
                     "with_contact": coverage.covered,
                     "missing": coverage.municipalities - coverage.covered})
        columns = ["region", "municipalities", "with_contact", "missing"]
        echo(render(rows, columns, fmt.value,
                    headers=["region", "municipalities", "with contact", "missing"]).rstrip("\n"))
        sections: list[tuple[str, list[Any], list[str]]] = [
            ("No valid contact", list(coverage.missing), ["code", "name", "region"]),
            ("Bounced addresses", list(coverage.bounced), ["code", "name", "email", "reason"]),
            ("Addresses shared by several municipalities (allowed, a note)",
             [{"email": s["email"], "municipalities": ", ".join(
                 f"{c} {n}" for c, n in zip(s["codes"], s["names"], strict=True))}
              for s in coverage.shared], ["email", "municipalities"]),
            ("Contact rows that could not be imported",
             [{"row": f"{p['source']}:{p['row']}", "kind": p["kind"], "reason": p["reason"]}
              for p in coverage.problems], ["row", "kind", "reason"]),
        ]
        for title, section_rows, section_columns in sections:
            if section_rows and fmt is Format.table:
                echo()
                echo(f"{title} ({len(section_rows)}):")
                echo(render(section_rows, section_columns, "table"))
        if fmt is Format.table:
            echo()
            echo(f"{coverage.covered} of {coverage.municipalities} municipalities have a valid "
                 f"contact; {len(coverage.missing)} missing, {len(coverage.bounced)} bounced, "
                 f"{len(coverage.problems)} rows with problems.")
    if strict and not coverage.complete:
        raise typer.Exit(code=1)


@register_app.command("resolve")
def resolve_cmd(
    ctx: typer.Context,
    texts: Annotated[list[str], typer.Argument(
        help="Free texts naming municipalities, e.g. 'Espoon kaupunki' or 'Närpes och Kaskö'.",
        metavar="TEXT", show_default=False)],
    fmt: FormatOption = Format.table,
) -> None:
    """Show which municipalities each text names, how sure, and how it was decided.

    Example: yhteistuumin register resolve "Kulttuuripalvelut, Espoon kaupunki" "Helsinkki"
    """
    from ..reports import render, to_json
    from ..resolve import Resolver

    with get_state(ctx).session() as session:
        resolver = Resolver.from_session(session)
    results = resolver.resolve_many(texts)
    if fmt is Format.json:
        keys = ("text", "status", "codes", "names", "method", "score", "candidates")
        echo(to_json([{k: v for k, v in r.to_dict().items() if k in keys} for r in results]))
        return
    rows = [{"text": r.text, "status": r.status,  # candidates of an ambiguous text end in "?"
             "codes": " ".join(r.codes + [f"{c}?" for c in r.candidates]),
             "names": ", ".join(r.names + [f"{resolver.names[c]}?" for c in r.candidates]),
             "method": r.method, "score": f"{r.score:.2f}"} for r in results]
    columns = ["text", "status", "codes", "names", "method", "score"]
    typer.echo(render(rows, columns, fmt.value), nl=fmt is not Format.csv)
