"""Fixtures of the second fault audit (branch audit2-faults)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ci_support import unavailable


@pytest.fixture
def make_immutable() -> Iterator[Callable[[Path], None]]:
    """chattr +i a file or folder (root ignores mode bits, not this flag); undone afterwards."""
    done: list[str] = []

    def make(path: Path) -> None:
        if shutil.which("chattr") is None:
            unavailable("chattr is not installed")
        result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if result.returncode != 0:
            unavailable(f"chattr +i is not allowed here: {result.stderr.decode().strip()}")
        done.append(str(path))

    yield make
    for path in reversed(done):
        subprocess.run(["chattr", "-i", path], check=False)
