"""Everyday commands against a bare Typer app printing the same table, whole processes, one run.

Run: .venv/bin/python bench/commands.py [--practices 5000] [--rounds 9]

A workspace with --practices approved practices (bench/publish.py's generator) is made once in
a temporary folder. Each round runs ``yhteistuumin status`` and ``yhteistuumin practices list``
and, alternately before or after each, a bare Typer app (this environment's Python) that
queries the same SQLite file with ``sqlite3`` and prints the very text our command printed.
Prints min and median wall time of each and the ratio ours / bare of the medians (target
<= 2.0), and the same for the CPU time of the process (user + system), which other load on the
machine disturbs less than the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
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
        # made by an earlier version: brought to this version's schema, as a coordinator
        # would after an update (the reading commands refuse an older one)
        from yhteistuumin_survey import Project

        Project.open(root).upgrade_db()
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


def _run(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a command; return its wall time, its CPU time (user + system) and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def _ms(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values) * 1000, 1), "median": round(statistics.median(values) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=9)
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
        ours_argv = [ours_cmd, *command.split()]
        text = _run(ours_argv, root)[2]  # warms the caches; the text the bare app prints
        printed = folder / f"{command.replace(' ', '-')}.txt"
        printed.write_text(text, encoding="utf-8")
        bare_argv = [sys.executable, str(bare), str(database), query, str(printed)]
        times: dict[str, tuple[list[float], list[float]]] = {"ours": ([], []), "bare": ([], [])}
        for round_number in range(args.rounds):
            order = ["ours", "bare"] if round_number % 2 == 0 else ["bare", "ours"]
            for who in order:
                wall, cpu, out = _run(ours_argv if who == "ours" else bare_argv, root)
                assert out == text, f"{command}: the output changed between runs"
                times[who][0].append(wall)
                times[who][1].append(cpu)
        (ours, ours_cpu), (base, base_cpu) = times["ours"], times["bare"]
        ratio = statistics.median(ours) / statistics.median(base)
        cpu_ratio = statistics.median(ours_cpu) / statistics.median(base_cpu)
        for label, mine, theirs, quotient in (("wall", ours, base, ratio),
                                               ("CPU", ours_cpu, base_cpu, cpu_ratio)):
            print(f"{command:<15} {label:<4} ours min {min(mine) * 1000:4.0f} median "
                  f"{statistics.median(mine) * 1000:4.0f} ms | bare Typer min "
                  f"{min(theirs) * 1000:4.0f} median {statistics.median(theirs) * 1000:4.0f} ms"
                  f" | ratio {quotient:.2f} (target <= {TARGET})")
        emit("commands", f"{command} / bare Typer app (median)", ratio=ratio, target=TARGET,
             ours_ms=_ms(ours), baseline_ms=_ms(base), cpu_ratio=round(cpu_ratio, 3),
             ours_cpu_ms=_ms(ours_cpu), baseline_cpu_ms=_ms(base_cpu), rounds=args.rounds)


if __name__ == "__main__":
    main()
