"""Start-up time of ``yhteistuumin --help`` against a one-command Typer app, in the same run.

Each command runs as a fresh process of this environment's Python; the best of N runs counts
(the least disturbed by other load), the median is shown beside it. Target: our help within
1.3× of the bare Typer app's, i.e. our own start-up costs almost nothing beyond Typer's.

Usage: .venv/bin/python bench/cli_startup.py [--runs N] [--check]
  --check  exit 1 when a ratio is over the target
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.3

BASELINE_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"Hello {name}")


if __name__ == "__main__":
    app()
'''


def time_command(argv: list[str], runs: int) -> tuple[float, float]:
    """Return (best, median) wall-clock seconds of running ``argv`` ``runs`` times."""
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        completed = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   check=False)
        times.append(time.perf_counter() - start)
        if completed.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {completed.stderr.decode()[-500:]}")
    return min(times), statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()

    python = sys.executable
    script = Path(python).parent / "yhteistuumin"
    ours = [python, str(script)] if script.is_file() else \
        [python, "-c", "from yhteistuumin_survey.cli import main; main()"]
    with tempfile.TemporaryDirectory() as folder:
        baseline_path = Path(folder) / "hello_app.py"
        baseline_path.write_text(BASELINE_APP, encoding="utf-8")
        cases = [
            ("python -c pass", [python, "-c", "pass"]),
            ("typer one-command app --help", [python, str(baseline_path), "--help"]),
            ("yhteistuumin --help", [*ours, "--help"]),
            ("yhteistuumin register --help", [*ours, "register", "--help"]),
        ]
        # One untimed round warms the file cache and the bytecode caches.
        for _, argv in cases:
            time_command(argv, 1)
        results = {label: time_command(argv, options.runs) for label, argv in cases}

    baseline = results["typer one-command app --help"][0]
    print(f"CLI start-up, best and median of {options.runs} runs ({python})")
    print(f"{'command':<32}{'best ms':>10}{'median ms':>11}{'× typer':>9}")
    over = False
    for label, (best, median) in results.items():
        ratio = best / baseline
        print(f"{label:<32}{best * 1000:>10.1f}{median * 1000:>11.1f}{ratio:>9.2f}")
        if label.startswith("yhteistuumin") and ratio > TARGET:
            over = True
    from _report import emit  # bench/ is this script's folder

    emit("cli_startup", "yhteistuumin --help / typer app (best)",
         ratio=results["yhteistuumin --help"][0] / baseline, target=TARGET)
    verdict = "over" if over else "within"
    print(f"target: yhteistuumin ≤ {TARGET}× the one-command Typer app: {verdict} target")
    return 1 if (over and options.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
