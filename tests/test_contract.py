"""The command-line contract: DESIGN.md's commands have help, --help stays light, README starts right."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from yhteistuumin_survey.cli import app

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO.parent / "shared" / "DESIGN.md"

#: DESIGN.md's command table as of this writing; checked against DESIGN.md when it is there.
CONTRACT = [
    ("init",), ("db", "upgrade"), ("demo",), ("register", "list"), ("register", "resolve"),
    ("register", "update"), ("register", "contacts"), ("register", "check"),
    ("survey", "build"), ("send", "invite"), ("send", "remind"), ("survey", "webform"),
    ("send", "check"), ("fetch",), ("bounces",), ("ingest",), ("practices", "list"),
    ("practices", "show"), ("review", "export"), ("review", "import"), ("publish",),
    ("status",), ("person",), ("forget",), ("purge",),
]


def design_commands(text: str) -> list[tuple[str, ...]]:
    """Return the command paths of DESIGN.md's ``## Command line`` table."""
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    commands: list[tuple[str, ...]] = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]  # "\|" inside a cell is a literal bar
        for usage in re.findall(r"`([^`]+)`", first_cell):
            words: list[str] = []
            for word in usage.split():
                if (word.startswith("[") or word != word.lower() or "…" in word
                        or "\\|" in word):  # an option, a placeholder, a choice of arguments
                    break
                words.append(word)
            if words and words[0] == "yhteistuumin":
                words = words[1:]
            prefix: list[str] = []
            for alternative in " ".join(words).split(" / "):
                parts = alternative.split()
                if prefix and len(parts) == 1:
                    parts = prefix + parts
                elif len(parts) > 1:
                    prefix = parts[:-1]
                commands.append(tuple(parts))
    return commands


def app_commands() -> dict[tuple[str, ...], Any]:
    """Return every command and group of the app by its path."""
    root = typer.main.get_command(app)
    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(root, ())
    return found


def test_contract_list_matches_design_md() -> None:
    if not DESIGN.is_file():
        pytest.skip(f"{DESIGN} is not beside the repository; the embedded copy is used")
    assert design_commands(DESIGN.read_text(encoding="utf-8")) == CONTRACT


def test_every_design_command_that_exists_has_help(cli) -> None:
    commands = app_commands()
    existing = [path for path in CONTRACT if path in commands]
    assert ("register", "list") in existing and ("init",) in existing
    for path in existing:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.stdout
        doc = (commands[path].help or "").strip()
        assert doc, f"{' '.join(path)} has no docstring"


def test_every_command_docstring_has_a_summary_and_an_example() -> None:
    for path, command in app_commands().items():
        if not path or hasattr(command, "commands"):
            continue
        lines = [line.strip() for line in (command.help or "").strip().splitlines() if line.strip()]
        assert lines, f"{' '.join(path)} has no docstring"
        assert lines[0].endswith("."), f"{' '.join(path)}: {lines[0]!r}"
        assert any(line.startswith("Example: yhteistuumin ") for line in lines), \
            f"{' '.join(path)} has no example line"


def test_help_does_not_import_heavy_libraries() -> None:
    code = ("import sys\n"
            "sys.argv = ['yhteistuumin', '--help']\n"
            "from yhteistuumin_survey.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print([m for m in ('pandas', 'openpyxl', 'sqlmodel', 'sqlalchemy', 'matplotlib')"
            " if m in sys.modules])\n")
    for argv in (["--help"], ["register", "--help"]):
        run = subprocess.run([sys.executable, "-c", code.replace("['yhteistuumin', '--help']",
                                                                  repr(["yhteistuumin", *argv]))],
                             capture_output=True, text=True, timeout=60, cwd=REPO)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().splitlines()[-1] == "[]", (argv, run.stdout)


def test_group_and_command_help_do_not_import_pydantic() -> None:
    # Typer builds a pydantic adapter for each option it processes; pydantic alone costs as
    # much as the rest of the start-up (bench/cli_startup.py: register --help within 1.3x).
    code = ("import sys\n"
            "sys.argv = ARGV\n"
            "from yhteistuumin_survey.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('pydantic' in sys.modules)\n")
    for argv in (["register", "--help"], ["register", "resolve", "--help"], ["db", "--help"],
                 ["send", "invite", "--help"]):
        run = subprocess.run([sys.executable, "-c",
                              code.replace("ARGV", repr(["yhteistuumin", *argv]))],
                             capture_output=True, text=True, timeout=60, cwd=REPO)
        assert run.returncode == 0, run.stderr
        assert "Usage: yhteistuumin" in run.stdout
        assert run.stdout.strip().splitlines()[-1] == "False", argv


def test_readme_starts_with_make_demo_and_make_test() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:10]
    assert any(line.startswith("make demo") for line in head), head
    assert any(line.startswith("make test") for line in head), head


def test_design_parser_reads_alternatives() -> None:
    text = ("## Command line\n\n| command | does |\n|---|---|\n"
            "| `yhteistuumin send invite / remind [--dry-run]` | x |\n"
            "| `yhteistuumin review export [--out FILE]` / `review import FILE…` | y |\n"
            "| `yhteistuumin bounces PATH…` | z |\n\n## Next\n")
    assert design_commands(text) == [("send", "invite"), ("send", "remind"),
                                     ("review", "export"), ("review", "import"), ("bounces",)]
