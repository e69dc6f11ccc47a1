"""Benchmark the municipality name resolver against a plain dict lookup, in the same run.

Run: .venv/bin/python bench/resolve.py [--texts 10000] [--repeat 5]

Prints resolves/second for each workload and the ratio to the baseline (a ``dict.get`` on the
text as typed, the cheapest thing that could possibly answer), plus the one-off build time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from yhteistuumin_survey.register import load_mergers_csv, load_register_csv  # noqa: E402
from yhteistuumin_survey.resolve import Resolver, finnish_genitive, fold  # noqa: E402
from yhteistuumin_survey.resources import bundled_path  # noqa: E402

MESSY_TEMPLATES = (
    "Kulttuuripalvelut, {gen} kaupunki", "Vapaa-aikatoimi / {gen} kunta", "{fi} ja {fi2}",
    "{sv} stad", "{fi}", "{upper}", "{code}", "Kulttuuripalvelut {fi}", "{gen} kirjasto",
    "{fi}, {fi2} & {fi3}",
)
UNKNOWN = ("Tapiola", "Otaniemi", "Helsingin yliopisto", "Uusimaa", "Turun Sanomat",
           "Kulttuuripalvelut", "Leppävaara", "Matinkylä", "Kallion kirjasto", "ei tiedossa")
TYPOS = ("Helsinkki", "Rovanimi", "Jyvaskla", "Hämeenlina", "Kirkonummi", "Lappenranta",
         "Tamprere", "Kokola", "Pukila", "Seinajoen kaupunki")


def rows() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    register = load_register_csv(bundled_path("recipients/municipalities.csv"))
    municipalities = [(r.code, r.name_fi, r.name_sv) for r in register]
    aliases = []
    for merger in load_mergers_csv(bundled_path("recipients/mergers.csv")):
        for name in sorted({merger.old_name_fi, merger.old_name_sv} - {""}):
            aliases.append((name, merger.successor_code, "former"))
        aliases.append((merger.old_code, merger.successor_code, "former_code"))
    return municipalities, aliases


def workloads(municipalities: Sequence[tuple[str, str, str]], count: int,
              rng: random.Random) -> dict[str, list[str]]:
    def pick() -> tuple[str, str, str]:
        return municipalities[rng.randrange(len(municipalities))]

    exact = [pick()[1] for _ in range(count)]
    messy = []
    for _ in range(count):
        (code, fi, sv), (_, fi2, _), (_, fi3, _) = pick(), pick(), pick()
        template = MESSY_TEMPLATES[rng.randrange(len(MESSY_TEMPLATES))]
        messy.append(template.format(gen=finnish_genitive(fi), fi=fi, fi2=fi2, fi3=fi3, sv=sv,
                                     upper=fi.upper(), code=code))
    mixed = [messy[i] if i % 10 < 8 else (UNKNOWN + TYPOS)[i % 20] for i in range(count)]
    return {"exact names": exact, "messy (templates)": messy,
            "80% messy, 20% unknown/typos": mixed}


def rate(func: Callable[[str], object], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            func(text)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    municipalities, aliases = rows()
    started = time.perf_counter()
    resolver = Resolver.from_rows(municipalities, aliases)
    build = time.perf_counter() - started
    plain = {name: code for code, fi, sv in municipalities for name in (fi, sv)}
    folded = {fold(name): code for code, fi, sv in municipalities for name in (fi, sv)}

    table: list[tuple[str, str, float, str]] = []
    for label, texts in workloads(municipalities, args.texts, random.Random(2025)).items():
        baseline = rate(plain.get, texts, args.repeat)
        table.append((label, "baseline: dict.get(text)", baseline, "1.0x"))
        folded_rate = rate(lambda t: folded.get(fold(t)), texts, args.repeat)
        table.append((label, "dict.get(fold(text))", folded_rate,
                      f"{baseline / folded_rate:.1f}x slower"))
        cold = Resolver.from_rows(municipalities, aliases)
        cold_rate = rate(cold.resolve, texts, 1)  # first pass: fuzzy cache empty
        table.append((label, "Resolver.resolve (cold)", cold_rate,
                      f"{baseline / cold_rate:.1f}x slower"))
        warm_rate = rate(resolver.resolve, texts, args.repeat)
        table.append((label, "Resolver.resolve (warm)", warm_rate,
                      f"{baseline / warm_rate:.1f}x slower"))
    widths = [max(len(row[0]) for row in table), max(len(row[1]) for row in table)]
    print(f"Resolver built once in {build * 1000:.0f} ms "
          f"({len(municipalities)} municipalities, {len(aliases)} alias rows); "
          f"{args.texts} texts per workload, best of {args.repeat}.")
    print(f"{'workload':<{widths[0]}}  {'method':<{widths[1]}}  {'resolves/s':>12}  vs baseline")
    print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 12}  {'-' * 16}")
    for label, method, per_second, ratio in table:
        print(f"{label:<{widths[0]}}  {method:<{widths[1]}}  {per_second:>12,.0f}  {ratio}")
    seconds = args.texts / min(row[2] for row in table if row[1].startswith("Resolver"))
    print(f"Slowest workload: {args.texts} texts in {seconds:.2f} s.")


if __name__ == "__main__":
    main()
