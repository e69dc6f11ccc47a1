"""Ingest the whole held-out corpus and compare every record with expected.json, per source.

    .venv/bin/python tests/data/ingest/corpus/check_corpus.py [--json]

Prints, per source file, how many records are fully right (every field of expected.json:
municipalities, how the first was decided when given, consent as yes/no/unknown, contact
name/email/phone, keywords as typed, target groups, language, title, goal, summary, the flags
that must be there and those that must not) and what differs. It imports whichever
``yhteistuumin_survey`` is on the path, so the same check measures an older checkout
(``PYTHONPATH=/path/to/old/checkout``). ``tests/test_ingest_corpus.py`` uses ``check``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = ("municipalities", "consent", "contact_name", "contact_email", "contact_phone",
          "keywords", "target_group", "language", "title", "goal", "summary")


def expected_records() -> dict[str, list[dict[str, Any]]]:
    """Return expected.json with its templated entries expanded, by source file name."""
    data = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    out: dict[str, list[dict[str, Any]]] = {}
    for source, entries in data.items():
        records = out.setdefault(source, [])
        for entry in entries:
            if "template" in entry:
                for number in range(1, entry["count"] + 1):
                    records.append({key: value.replace("{n}", str(number))
                                    if isinstance(value, str) else value
                                    for key, value in entry["template"].items()})
            else:
                records.append(entry)
    return out


def _consent(value: Any) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def ingest_corpus(root: Path) -> tuple[list[dict[str, Any]], dict[int, dict[str, str]]]:
    """Ingest the corpus into a fresh workspace and SQLite database under ``root``; return the
    listed practices and, per practice id, how each municipality was decided."""
    from sqlmodel import Session, select

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.db.models import PracticeMunicipality
    from yhteistuumin_survey.ingest import ingest_paths, list_practices
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(root / "ws").root)
    engine = open_database(f"sqlite:///{root / 'corpus.sqlite'}")
    ensure_register(engine, workspace=workspace)
    inputs = sorted(p for p in HERE.iterdir()
                    if p.suffix not in {".py", ".json"} and not p.name.startswith("."))
    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        ingest_paths(inputs, session=session, workspace=workspace, settings=settings, workers=1)
    with Session(engine) as session:
        listed = list_practices(session=session)
        sources: dict[int, dict[str, str]] = {}
        for row in session.exec(select(PracticeMunicipality)):
            sources.setdefault(row.practice_id, {})[row.municipality_code] = row.source
    engine.dispose()
    return listed, sources


def _differences(want: dict[str, Any], got: dict[str, Any] | None,
                 sources: dict[str, str]) -> list[str]:
    if got is None:
        return ["no practice with this title"]
    have = {
        "municipalities": sorted(got["municipalities"]),
        "consent": _consent(got["contact"]["publish_consent"]),
        "contact_name": got["contact"]["name"], "contact_email": got["contact"]["email"],
        "contact_phone": got["contact"]["phone"], "keywords": got["keywords"],
        "target_group": sorted(got["target_group"]), "language": got["language"],
        "title": got["title"], "goal": got["goal"], "summary": got["summary"],
    }
    expected = dict(want, municipalities=sorted(want["municipalities"]),
                    target_group=sorted(want["target_group"]))
    wrong = [f"{name}: {have[name]!r} != {expected[name]!r}" for name in FIELDS
             if have[name] != expected[name]]
    flags = got.get("flags") or []
    wrong += [f"flag {prefix!r} missing" for prefix in want.get("flags", [])
              if not any(flag.startswith(prefix) for flag in flags)]
    wrong += [f"flag {prefix!r} present" for prefix in want.get("no_flags", [])
              if any(flag.startswith(prefix) for flag in flags)]
    if want.get("source") and want["municipalities"]:
        decided = sources.get(want["municipalities"][0])
        if decided != want["source"]:
            wrong.append(f"municipality decided by {decided!r}, not {want['source']!r}")
    return wrong


def check(root: Path) -> dict[str, dict[str, Any]]:
    """Return, per source file: total, right and the first differences."""
    listed, sources = ingest_corpus(root)
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for item in listed:
        by_key.setdefault((item["source"]["file"] or "", item["title"]), item)
    result: dict[str, dict[str, Any]] = {}
    for source, records in expected_records().items():
        right = 0
        problems: list[str] = []
        for want in records:
            got = by_key.get((source, want["title"]))
            wrong = _differences(want, got, sources.get(got["id"], {}) if got else {})
            if wrong:
                problems.append(f"{want['title']}: " + "; ".join(wrong))
            else:
                right += 1
        result[source] = {"total": len(records), "right": right, "problems": problems[:5],
                          "wrong": len(problems)}
    return result


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        result = check(Path(tmp))
    if "--json" in sys.argv:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    total = sum(r["total"] for r in result.values())
    right = sum(r["right"] for r in result.values())
    small = {k: v for k, v in result.items() if k != "table-1500.csv"}
    print(f"{'source':32} right / total")
    for source, row in result.items():
        print(f"{source:32} {row['right']:5} / {row['total']}")
        for problem in row["problems"]:
            print(f"    {problem}")
    print(f"{'all':32} {right:5} / {total}")
    print(f"{'all but the 1,500-row table':32} {sum(r['right'] for r in small.values()):5} / "
          f"{sum(r['total'] for r in small.values())}")


if __name__ == "__main__":
    main()
