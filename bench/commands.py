"""Everyday commands against a bare Typer app printing the same table, whole processes, one run.

Run: .venv/bin/python bench/commands.py [--practices 5000] [--rounds 7]

A workspace with --practices approved practices (bench/publish.py's generator) is made once in
a temporary folder. Each round runs, alternately, ``yhteistuumin status``, ``yhteistuumin
practices list`` and for each a bare Typer app (this environment's Python) that queries the
same SQLite file with ``sqlite3`` and prints the very text our command printed. Prints min and
median wall time of each and the ratio ours / bare (target <= 2.0, median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _report import emit  # noqa: E402

TARGET = 2.0

BARE_APP = '''\
import sqlite3
import sys

import typer

app = typer.Typer()


@app.command()
def main(database: str, query: str, text: str) -> None:
    connection = sqlite3.connect(database)
    rows = connection.execute(query).fetchall()
    connection.close()
    assert rows is not None
    with open(text, encoding="utf-8") as handle:
        typer.echo(handle.read(), nl=False)


if __name__ == "__main__":
    app()
'''

QUERIES = {
    "status": "SELECT m.region_code, count(*) FROM municipality m GROUP BY m.region_code",
    "practices list": "SELECT p.id, p.current_version, p.status FROM practice p ORDER BY p.id",
}


def make_workspace(folder: Path, count: int) -> Path:
    """A workspace with ``count`` approved practices (made once per count)."""
    root = folder / "ws"
    if (folder / ".complete").exists():
        return root
    from publish import create_practices

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(root).root)
    engine = open_database(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}")
    ensure_register(engine, workspace=workspace)
    create_practices(engine, count)
    engine.dispose()
    (folder / ".complete").write_text("ok\n")
    return root


def _run(argv: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, "COLUMNS": "200"})
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / f"yhteistuumin-bench-commands-{args.practices}"
    folder.mkdir(exist_ok=True)
    root = make_workspace(folder, args.practices)
    database = root / "outputs" / "yhteistuumin.sqlite"
    bare = folder / "bare.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    ours_cmd = str(Path(sys.executable).with_name("yhteistuumin"))
    print(f"{args.practices} practices in {root}; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}")
    for command, query in QUERIES.items():
        _seconds, text = _run([ours_cmd, *command.split()], root)  # warm the caches
        printed = folder / f"{command.replace(' ', '-')}.txt"
        printed.write_text(text, encoding="utf-8")
        ours, base = [], []
        for _ in range(args.rounds):
            ours.append(_run([ours_cmd, *command.split()], root)[0])
            base.append(_run([sys.executable, str(bare), str(database), query, str(printed)],
                             root)[0])
        ratio = statistics.median(ours) / statistics.median(base)
        print(f"{command:<16} ours min {min(ours) * 1000:6.0f} ms median "
              f"{statistics.median(ours) * 1000:6.0f} ms | bare Typer min {min(base) * 1000:6.0f} "
              f"ms median {statistics.median(base) * 1000:6.0f} ms | ratio {ratio:.2f} "
              f"(target <= {TARGET})")
        emit("commands", f"{command} / bare Typer app (median)", ratio=ratio, target=TARGET,
             ours_ms={"min": min(ours) * 1000, "median": statistics.median(ours) * 1000},
             baseline_ms={"min": min(base) * 1000, "median": statistics.median(base) * 1000})


if __name__ == "__main__":
    main()
