"""Throwaway PostgreSQL clusters of test runs that were killed (conftest's ``postgres_cluster``).

A killed pytest (SIGKILL, SIGTERM, a closed terminal) never ran the fixture's teardown, so its
cluster kept running, holding memory and a port, until someone stopped it by hand. Each cluster
folder now holds ``pytest.pid``: the pid, the start time (``/proc/PID/stat``, so a reused pid is
not taken for the run) and the uid of the test process that made it. A new session stops the
clusters whose test process is gone, and removes their folders. It touches nothing else: a
folder without the file (made by something else), or made by another user, or by a test run
still alive, is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PREFIX = "yhteistuumin-pg-"
PID_FILE = "pytest.pid"


def _started(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the command in parentheses


def mark_as_mine(base: Path) -> None:
    """Write ``base/pytest.pid``: this test process, its start time and its user."""
    pid = os.getpid()
    (base / PID_FILE).write_text(f"{pid} {_started(pid)} {os.getuid()}\n")


def _alive(pid: int, started: str) -> bool:
    return _started(pid) == started


def stop_clusters_of_dead_runs(temp: Path | None = None) -> list[Path]:
    """Stop and remove the clusters (under ``temp``, the system's temporary folder by default)
    of this user's test processes that are gone; return their folders."""
    stopped = []
    for base in sorted(Path(temp or tempfile.gettempdir()).glob(PREFIX + "*")):
        try:
            pid, started, uid = (base / PID_FILE).read_text().split()
        except (OSError, ValueError):
            continue  # not made by a version that marks its clusters: not ours to judge
        if int(uid) != os.getuid() or _alive(int(pid), started):
            continue
        datadir = base / "data"
        if (datadir / "postmaster.pid").exists():
            subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
                           + ["pg_ctl", "-D", str(datadir), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)
        stopped.append(base)
    return stopped
