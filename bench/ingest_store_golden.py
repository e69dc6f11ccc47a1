"""Dump what an ingest stores, as sorted JSON lines, to check that a change keeps it the same.

Run: .venv/bin/python bench/ingest_store_golden.py --data /tmp/ingdata --out /tmp/golden.jsonl
[--workers N] [--db postgresql+psycopg://...]

Ingests ``DATA/input`` into a fresh workspace and database (SQLite unless ``--db``), ingests
the same input again (a re-ingest must recognise all of it), and writes one JSON line per
stored row of every table ingest writes (received files, submissions, practices, versions,
municipalities), per line of both runs' reports, and the report workbooks' parts (their
creation time left out). Ids and durations are left out, times kept as their shape (digits
masked): a row that refers to another by id names it by what identifies it instead (a file
by its content hash, a submission by its file and locator, a practice by its first
version's submission), so two dumps compare equal whatever ids the rows got. Compare two
dumps with ``diff``; the exit status says nothing about equality.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_DUPLICATE = re.compile(r"possible-duplicate:(\d+)")
_PRACTICE_WORD = re.compile(r"(practice |Käytäntö |practice_id=)(\d+)")
_FILE_WORD = re.compile(r"(received file )(\d+)")


def _rows(session: Any, sql: str) -> list[dict[str, Any]]:
    from sqlalchemy import text

    return [dict(row._mapping) for row in session.execute(text(sql))]


def _json_value(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _shape(value: Any) -> Any:
    """A time's shape without the time itself (its digits masked): how it is stored."""
    return re.sub(r"\d", "9", str(value)) if value is not None else None


def dump(session: Any, work: Path, reports: list[Any]) -> list[str]:
    """Return the sorted JSON lines of everything ingest stored and reported."""
    files = _rows(session, "select * from receivedfile")
    file_key = {f["id"]: f["sha256"] for f in files}
    subs = _rows(session, "select * from submission")
    sub_key = {s["id"]: f"{file_key[s['received_file_id']]}/{s['locator']}" for s in subs}
    versions = _rows(session, "select * from practiceversion")
    practice_key: dict[int, str] = {}
    for version in sorted(versions, key=lambda v: v["version"]):
        practice_key.setdefault(version["practice_id"],
                                sub_key.get(version["submission_id"], "?"))

    def name_practice(match: re.Match[str]) -> str:
        return f"possible-duplicate:{practice_key.get(int(match.group(1)), match.group(1))}"

    lines = []
    for f in files:
        f = dict(f)
        f["parent"] = file_key.get(f.pop("parent_id"))
        f["stored_path"] = str(f["stored_path"]).replace(str(work), "WORK")
        if f["stored_path"].startswith("outputs/"):  # recorded relative to the workspace
            f["stored_path"] = "WORK/" + f["stored_path"]
        f.pop("id")
        f["received_at"] = _shape(f["received_at"])
        lines.append({"table": "receivedfile", **f})
    for s in subs:
        s = dict(s)
        s["file"] = file_key[s.pop("received_file_id")]
        s["raw"] = _json_value(s["raw"])
        s.pop("id")
        s["created_at"] = _shape(s["created_at"])
        lines.append({"table": "submission", **s})
    for p in _rows(session, "select * from practice"):
        p = dict(p)
        p["key"] = practice_key.get(p.pop("id"))
        p["duplicate_of"] = practice_key.get(p.pop("duplicate_of_id"))
        for key in ("created_at", "updated_at"):
            p[key] = _shape(p[key])
        lines.append({"table": "practice", **p})
    for v in versions:
        v = dict(v)
        v["practice"] = practice_key[v.pop("practice_id")]
        v["submission"] = sub_key.get(v.pop("submission_id"))
        for key in ("keywords", "target_group", "flags"):
            v[key] = _json_value(v[key])
        v["flags"] = [_DUPLICATE.sub(name_practice, flag) for flag in v["flags"]]
        v.pop("id")
        v["created_at"] = _shape(v["created_at"])
        lines.append({"table": "practiceversion", **v})
    for m in _rows(session, "select * from practicemunicipality"):
        m = dict(m)
        m["practice"] = practice_key[m.pop("practice_id")]
        lines.append({"table": "practicemunicipality", **m})
    for run, report in enumerate(reports, start=1):
        for row in report.rows():
            row = dict(row)
            row["practice"] = practice_key.get(row.pop("practice_id") or -1)
            row["file"] = str(row["file"]).replace(str(work), "WORK")
            row["reason"] = _PRACTICE_WORD.sub(
                lambda m: m.group(1) + str(practice_key.get(int(m.group(2)), m.group(2))),
                str(row["reason"]).replace(str(work), "WORK"))
            row["reason"] = _FILE_WORD.sub(
                lambda m: m.group(1) + str(file_key.get(int(m.group(2)), m.group(2))),
                row["reason"])
            lines.append({"table": f"report{run}", **row})
        lines.append({"table": f"report{run}-counts", **report.counts})
        if report.report_path is not None:
            with zipfile.ZipFile(report.report_path) as archive:
                for name in sorted(archive.namelist()):
                    if name == "docProps/core.xml":
                        continue  # holds the time it was written
                    lines.append({"table": f"report{run}-xlsx", "part": name,
                                  "text": archive.read(name).decode("utf-8")})
    return sorted(json.dumps(line, ensure_ascii=False, sort_keys=True, default=str)
                  for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="bench/ingest.py's --data")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--db", default=None, help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()

    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.ingest import ingest_paths
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    work = Path(tempfile.mkdtemp(prefix="ingest-golden-"))
    try:
        workspace = Workspace(init_workspace(work / "ws").root)
        engine = open_database(args.db or f"sqlite:///{work / 'ingest.sqlite'}")
        ensure_register(engine, workspace=workspace)
        settings = load_settings(workspace.root, env={})
        reports = []
        for _run in range(2):
            with Session(engine, expire_on_commit=False) as session:
                reports.append(ingest_paths([args.data / "input"], session=session,
                                            workspace=workspace, settings=settings,
                                            workers=args.workers))
        with Session(engine) as session:
            lines = dump(session, work, reports)
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(lines)} lines -> {args.out}; first run {reports[0].counts}, "
              f"second run {reports[1].counts}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
