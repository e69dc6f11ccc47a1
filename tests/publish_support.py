"""Helpers for the publish, status, forget and browser tests."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Return every file under ``root`` by relative path -> sha256 of its bytes."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def tree_text(root: Path) -> str:
    """Return the text of every file under ``root`` (binary files decoded loosely)."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def front_matter(markdown: str) -> tuple[dict, str]:
    """Split a Markdown file into its YAML front matter (parsed) and its body."""
    import yaml

    assert markdown.startswith("---\n"), markdown[:40]
    head, body = markdown[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def settings_for(workspace):
    from yhteistuumin_survey.config import load_settings

    return load_settings(workspace.root, env={})
