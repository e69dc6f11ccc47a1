"""Fixtures of the second fault audit (branch audit2-faults)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from ci_support import unavailable

#: The start of a program that kills itself (SIGKILL) at the Nth SQL statement it runs, a
#: crash at a chosen point: its argv[1] is N, argv[2] the database URL. A test appends what
#: the program then runs (``count``, ``at`` and ``url`` are defined).
KILLED_AT_STATEMENT = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
count, at, url = [0], int(sys.argv[1]), sys.argv[2]

@event.listens_for(Engine, "before_cursor_execute")
def _kill(conn, cursor, statement, params, context, executemany):
    count[0] += 1
    if count[0] == at:
        os.kill(os.getpid(), signal.SIGKILL)
"""


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


@contextmanager
def tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (mount's -o size=, e.g. "4m") on the new folder ``mount``
    (root only; on CI a missing mount fails, never skips); unmounted afterwards."""
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        unavailable(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs."""
    with tmpfs(tmp_path / "small", "4m") as mount:
        yield mount


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it (delete it to free the space)."""
    import errno

    filler = disk / "filler"
    try:
        with filler.open("wb", buffering=0) as out:
            while True:
                out.write(b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    return filler


@contextmanager
def disk_full_at(monkeypatch, disk: Path, module: Any, name: str) -> Iterator[None]:
    """Inside the block, ``disk`` fills to the last byte just before ``module.name`` runs;
    after it, ``name`` is as it was and the space is free again."""
    real = getattr(module, name)
    fillers: list[Path] = []

    def disk_fills(*args, **kwargs):  # type: ignore[no-untyped-def]
        fillers.append(fill(disk))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, disk_fills)
    try:
        yield
    finally:
        monkeypatch.setattr(module, name, real)
        for filler in fillers:
            filler.unlink(missing_ok=True)
