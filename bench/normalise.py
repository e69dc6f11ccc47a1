"""Benchmark normalise_answers on a national round's worth of varied answers, in one run.

Run: .venv/bin/python bench/normalise.py [--answers 10000] [--seed 1]

The answers are the bundled sample practices (Finnish and Swedish) made unique and messy the
way real exports are: shuffled sentences, carriage returns, no-break spaces, contacts typed
in one field, Microsoft Forms / Webropol / LimeSurvey shapes of the target group, consent
spelt a dozen ways. Prints the time for all of them, answers/second, the ratio to a baseline
that merely strips and NFC-normalises every value (the cheapest thing a normaliser could do),
the one-off cost of the lingua detector (measured in a fresh process) and how many answers the
cheap word count decided without lingua.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from yhteistuumin_survey.normalise import (  # noqa: E402
    _heuristic,
    bundled_vocabulary,
    normalise_answers,
)
from yhteistuumin_survey.survey import load_survey  # noqa: E402

CONSENTS = ["Kyllä", "kyllä", "Ja", "x", "✓", "TRUE", "1", "Ei", "nej", "", None, "Kyllä, saa julkaista"]
LONG = ("goal", "summary", "implementation", "resources", "experiences", "benefits")


def _shuffle_text(text: str, rng: random.Random) -> str:
    sentences = [s for s in str(text).replace("\n", " ").split(". ") if s]
    rng.shuffle(sentences)
    body = ". ".join(sentences)
    if rng.random() < 0.3:
        body = body.replace(". ", ".\r\n", 1)
    if rng.random() < 0.3:
        body = body.replace(" ", "\u00a0", 2)
    return f"{body} ({rng.randrange(10**6)})"


def _target_group(text: str, rng: random.Random) -> Any:
    parts = [p.strip() for p in str(text).split(";")]
    shape = rng.randrange(4)
    if shape == 0:
        return text
    if shape == 1:  # Microsoft Forms
        return "".join(p + ";" for p in parts)
    if shape == 2:  # LimeSurvey / Webropol one column per option
        return [(f"Kenelle käytäntö on suunnattu? [{p}]", "Y") for p in parts] + [
            ("Kenelle käytäntö on suunnattu? [Muu]", rng.choice(["", "teatteriryhmät"]))]
    return ", ".join(parts) + rng.choice(["", ", muut kiinnostuneet"])


def make_answers(samples: list[dict[str, Any]], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        sample = dict(samples[number % len(samples)])
        for name in LONG:
            if sample.get(name):
                sample[name] = _shuffle_text(sample[name], rng)
        sample["title"] = f"{sample['title']} {number}"
        sample["target_group"] = _target_group(sample.get("target_group", ""), rng)
        sample["publish_consent"] = rng.choice(CONSENTS)
        # Every respondent is a different person: no cache may make the contacts look cheap.
        if sample.get("contact_email"):
            sample["contact_email"] = str(sample["contact_email"]).replace("@", f"{number}@")
        if sample.get("contact_phone"):
            sample["contact_phone"] = f"040 {number // 1000 % 1000:03d} {number % 10000:04d}"
        if rng.random() < 0.4:  # everything typed into the name field
            sample["contact_name"] = ", ".join(str(sample.get(k) or "") for k in
                                               ("contact_name", "contact_email", "contact_phone"))
            sample["contact_email"] = sample["contact_phone"] = None
        rows.append(sample)
    return rows


def baseline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: unicodedata.normalize("NFC", str(v)).strip() for k, v in row.items() if v is not None}
            for row in rows]


def lingua_cold_start() -> float:
    """Seconds for the first lingua decision in a fresh process (import, build, load models)."""
    code = ("import time; t = time.perf_counter()\n"
            "from yhteistuumin_survey.normalise import _lingua\n"
            "_lingua().compute_language_confidence_values('Konstbuss')\n"
            "_lingua().compute_language_confidence_values('Taidebussi')\n"
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    survey = load_survey(ROOT / "survey" / "questions.yaml")
    vocabulary = bundled_vocabulary()
    samples = [p["answers"] for p in yaml.safe_load(
        (ROOT / "survey" / "samples" / "practices.yaml").read_text(encoding="utf-8"))["practices"]]
    rows = make_answers(samples, args.answers, args.seed)

    start = time.perf_counter()
    baseline(rows)
    base = time.perf_counter() - start

    start = time.perf_counter()
    practices = [normalise_answers(row, survey=survey, vocabulary=vocabulary) for row in rows]
    ours = time.perf_counter() - start

    cheap = 0
    for row in rows:
        fi, sv = _heuristic("\n".join(str(row.get(k) or "") for k in ("title", *LONG)))
        cheap += fi + sv >= 3 and (fi >= 3 * sv + 2 or sv >= 3 * fi + 2)
    print(f"answers:            {len(rows)}")
    print(f"normalise_answers:  {ours:.2f} s ({len(rows) / ours:,.0f} answers/s)")
    print(f"baseline strip+NFC: {base:.3f} s (ratio ours/baseline {ours / base:.0f}x)")
    print(f"lingua cold start:  {lingua_cold_start():.2f} s (once per process, on first need)")
    print(f"decided by word count without lingua: {cheap / len(rows):.0%}")
    print("languages:", dict(Counter(p.language for p in practices)))
    print("flags:", dict(Counter(f.split(":")[0] for p in practices for f in p.flags)))


if __name__ == "__main__":
    main()
