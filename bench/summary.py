"""One table of every benchmark ratio against its target, from the ``BENCH`` lines of a log.

Run: .venv/bin/python bench/summary.py LOG  (``make bench`` writes the log and calls this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    rows = [json.loads(line[len("BENCH "):]) for line in
            Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
            if line.startswith("BENCH ")]
    print(f"\n{'benchmark':<14}{'measure':<44}{'ratio':>8}  {'target':<10}{'load':>6}  verdict")
    for row in rows:
        sign = "≤" if row["better"] == "lower" else "≥"
        print(f"{row['bench']:<14}{row['measure']:<44}{row['ratio']:>8.2f}  "
              f"{sign} {row['target']:<8}{row['load']:>6.2f}  {'met' if row['met'] else 'MISSED'}")
    missed = sum(not row["met"] for row in rows)
    print(f"{len(rows)} ratios, {missed} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
