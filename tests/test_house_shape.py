"""The package keeps the shape issue 10 asked for: no function runs past 100 lines.

Complexity (above 20) is ruff's C901 in ``make lint``; ruff has no rule for a function's
length, so this test reads every module of the package, the migrations included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yhteistuumin_survey

PACKAGE = Path(yhteistuumin_survey.__file__).parent
LIMIT = 100


def _long_functions(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LIMIT:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {node.name} "
                                 f"runs {length} lines")
    return found


def test_no_package_function_runs_past_100_lines() -> None:
    assert _long_functions(PACKAGE) == []


def test_the_check_names_a_function_of_101_lines_and_passes_one_of_100(tmp_path: Path) -> None:
    def module(name: str, lines: int) -> str:
        body = "\n".join(f"    x{i} = {i}" for i in range(lines - 1))
        return f"def {name}():\n{body}\n"

    (tmp_path / "a.py").write_text(module("long_one", LIMIT + 1) + module("fits", LIMIT))
    assert _long_functions(tmp_path) == ["a.py:1: long_one runs 101 lines"]
