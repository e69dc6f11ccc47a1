"""Shared by the benchmarks: the JSON line each prints so ``bench/summary.py`` can collect them.

A line starts with ``BENCH `` and holds the benchmark, what was compared, the ratio (ours /
baseline unless ``better`` says higher is better), its target and the timings behind it.
"""

from __future__ import annotations

import json
import os
import resource
import statistics


def tree_peak_mb() -> float:
    """Peak resident memory of this process plus the largest of its finished children, in MB.

    ``ru_maxrss`` of RUSAGE_CHILDREN is the largest waited-for descendant, so with worker
    processes the sum is an upper bound of the tree's peak (both are KiB on Linux).
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values)}


def emit(bench: str, measure: str, *, ratio: float, target: float, better: str = "lower",
         **details: object) -> None:
    """Print one ``BENCH {json}`` line; ``better`` is "lower" (ratio <= target) or "higher"."""
    met = ratio <= target if better == "lower" else ratio >= target
    line = {"bench": bench, "measure": measure, "ratio": round(ratio, 3), "target": target,
            "better": better, "met": met, "load": round(os.getloadavg()[0], 2), **details}
    print("BENCH " + json.dumps(line, ensure_ascii=False), flush=True)
