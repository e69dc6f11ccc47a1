"""A survey workspace: ``yhteistuumin.toml`` and the folders every stage reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import CONFIG_NAME, config_template
from .resources import bundled_path

FOLDERS = ("recipients", "templates", "survey", "outputs")

_OUTPUTS_README = """\
Everything a run produces lands here: the database, the outbox, questionnaires,
reports, review workbooks and the published site. Keep it out of version control:
it holds personal data.
"""


@dataclass(frozen=True)
class Workspace:
    """A workspace root and where things live inside it."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    def output_dir(self, *parts: str) -> Path:
        """Return (and create) a folder under ``outputs/``."""
        path = self.outputs.joinpath(*parts)
        make_folder(path, root=self.root)
        return path

    def resolve(self, relative: str) -> Path:
        """Return the workspace's own copy of a project file if it has one, else the bundled one."""
        own = self.root / relative
        return own if own.exists() else bundled_path(relative)

    def recorded(self, path: Path) -> str:
        """How the database records a file kept in the workspace: relative to its root
        (``outputs/received/…``), so that the record holds when the workspace is moved or
        copied to another machine; a file outside the workspace by its absolute path."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def stored_file(self, stored: str | None) -> Path | None:
        """Where a file the database records (``recorded``) is now, or None.

        Earlier versions recorded absolute paths. Those of a workspace since moved or copied
        (``mv round2026 /elsewhere/``) lead to the old place (gone, or the other copy's file):
        the file is then taken from its place under this workspace's ``outputs/``. A path of
        no workspace's ``outputs/`` is None: a copy of a workspace beside the original must
        never read, rewrite or delete the original's files (ingest's retry, forget, purge)."""
        if not stored:
            return None
        path = Path(stored)
        if not path.is_absolute():
            return self.root / path
        try:
            path.resolve().relative_to(self.root.resolve())
            return path
        except ValueError:
            pass
        parts = path.parts
        for index in range(len(parts) - 2, 0, -1):
            if parts[index] == "outputs":
                return self.outputs.joinpath(*parts[index + 1:])
        return None


def make_folder(path: Path, *, root: Path) -> None:
    """Create ``path`` and its missing parents inside the workspace ``root``.

    Raises ``WorkspaceGone`` when ``root`` itself is no longer there (moved, renamed or deleted
    while the command ran): made again, it would be an empty workspace in the old place that
    takes this run's kept files and report, while the real one, elsewhere, misses them."""
    if path.is_dir():
        return
    if not root.is_dir():
        from .errors import WorkspaceGone

        raise WorkspaceGone(root)
    path.mkdir(parents=True, exist_ok=True)


def workspace_root(start: Path | None = None) -> Path | None:
    """Return the nearest folder from ``start`` up holding ``yhteistuumin.toml``, or None."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def find_workspace(start: Path | None = None) -> Workspace:
    """Return the workspace holding ``start`` (the nearest folder up with ``yhteistuumin.toml``).

    Without one, ``start`` itself is the workspace and runs on the defaults (the commands that
    may run outside a workspace: the CLI refuses the others before they get here).
    """
    start = (start or Path.cwd()).resolve()
    return Workspace(workspace_root(start) or start)


@dataclass(frozen=True)
class InitResult:
    """What ``init_workspace`` created and what was already there."""

    root: Path
    created: list[str]
    existing: list[str]

    failed = False

    def summary(self) -> list[str]:
        return [f"Workspace: {self.root}", *(f"  created  {name}" for name in self.created),
                *(f"  kept     {name}" for name in self.existing),
                "Next: edit yhteistuumin.toml, then import contacts with "
                "'yhteistuumin register contacts FILE'."]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["name", "state"], [*({"name": n, "state": "created"} for n in self.created),
                                   *({"name": n, "state": "kept"} for n in self.existing)]

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "created": self.created, "existing": self.existing}


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: on a full disk ``init`` left an empty
    yhteistuumin.toml, which the next ``init`` kept ("kept"), so the workspace ran on an empty
    settings file instead of the commented one. The error names the file."""
    import os

    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def init_workspace(root: Path) -> InitResult:
    """Create a workspace at ``root``: the config with every key commented, and the folders.

    Idempotent: what exists is left as it is.
    """
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    existing: list[str] = []
    config = root / CONFIG_NAME
    if config.exists():
        existing.append(CONFIG_NAME)
    else:
        _write_whole(config, config_template())
        created.append(CONFIG_NAME)
    for name in FOLDERS:
        folder = root / name
        if folder.is_dir():
            existing.append(name + "/")
        else:
            folder.mkdir()
            created.append(name + "/")
    readme = root / "outputs" / "README.txt"
    if not readme.exists():
        _write_whole(readme, _OUTPUTS_README)
    ignore = root / ".gitignore"
    if not ignore.exists():
        _write_whole(ignore, "outputs/\n")
        created.append(".gitignore")
    return InitResult(root=root, created=created, existing=existing)
