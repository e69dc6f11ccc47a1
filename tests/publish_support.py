"""Helpers for the publish, status, forget and browser tests."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Return every file under ``root`` by relative path -> sha256 of its bytes."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def tree_text(root: Path) -> str:
    """Return the text of every file under ``root`` (binary files decoded loosely; gzipped
    ones, as cards.json.gz and Pagefind's files, unpacked first: a name in them is there)."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(unpacked(path.read_bytes()).decode("utf-8", "replace"))
    return "\n".join(parts)


def unpacked(data: bytes) -> bytes:
    """Return ``data`` gunzipped when it is gzip (its first two bytes), else as it is."""
    import gzip
    import zlib

    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return data


def card_list_text(site: Path) -> str:
    """Return the site's cards.json, which it keeps gzipped (``cards.json.gz``), as text."""
    import gzip

    return gzip.decompress((site / "cards.json.gz").read_bytes()).decode("utf-8")


def card_list(site: Path) -> dict:
    """Return the site's cards.json, parsed."""
    import json

    return json.loads(card_list_text(site))


def front_matter(markdown: str) -> tuple[dict, str]:
    """Split a Markdown file into its YAML front matter (parsed) and its body."""
    import yaml

    assert markdown.startswith("---\n"), markdown[:40]
    head, body = markdown[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def settings_for(workspace):
    from yhteistuumin_survey.config import load_settings

    return load_settings(workspace.root, env={})


def two_approved_one_rejected(workspace) -> None:
    """Fill the workspace's own database: two approved practices (one with a consenting
    contact) and a rejected one."""
    from factories import make_practice

    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.register import ensure_register

    engine = open_database(settings_for(workspace).database_url)
    ensure_register(engine, workspace=workspace)
    with session_scope(engine) as session:
        make_practice(session, title="Taidetestaajat", status="approved", publish_consent=True,
                      contact_email="anna.taide@example.fi", contact_name="Anna Taide")
        make_practice(session, title="Kirjastokaveri", status="approved", municipalities=["853"])
        make_practice(session, title="Hylätty", status="rejected")
    engine.dispose()


def withdraw_one_add_one(workspace) -> None:
    """After ``two_approved_one_rejected`` and a publish: Kirjastokaveri (#2) rejected, a new
    approved practice added (a card withdrawn, one new)."""
    from factories import make_practice

    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.db.models import Practice

    engine = open_database(settings_for(workspace).database_url)
    with session_scope(engine) as session:
        withdrawn = session.get(Practice, 2)  # Kirjastokaveri
        assert withdrawn is not None
        withdrawn.status = "rejected"
        session.add(withdrawn)
        session.flush()
        make_practice(session, title="Uusi kulttuurikerho", status="approved")
    engine.dispose()
