"""What a command's expected error looks like on the command line, for the fault tests."""

from __future__ import annotations

from typing import Any


def one_error_line(result: Any) -> str:
    """The one ``Error:`` line a refused command prints (exit 1, no traceback); return it."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]
