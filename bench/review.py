"""Benchmark the reviewers' round trip on 5,000 practices against plain pandas, in the same run.

Run: .venv/bin/python bench/review.py [--practices 5000]

Creates the practices in bulk in a temporary SQLite database, then times:
``export_review`` (one workbook, and three reviewers' workbooks), ``import_review`` of the
workbook with every row decided (and again, when every row is already imported), and as the
baseline a plain pandas ``DataFrame.to_excel`` / ``read_excel`` of the same rows and columns.
Prints seconds and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ("kulttuuri kirjasto lapset nuoret ikääntyneet yhteistyö kunta taide musiikki "
         "teatteri tanssi museo näyttely työpaja kylä asukkaat vapaaehtoiset osallisuus "
         "hyvinvointi perheet koulu päiväkoti kesä talvi festivaali lukeminen").split()


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:] + "."


def create_practices(engine: Any, count: int, rng: random.Random) -> None:
    """Insert ``count`` practices with versions, municipalities and sources in bulk."""
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.models import (
        Municipality,
        Practice,
        PracticeMunicipality,
        PracticeVersion,
        ReceivedFile,
        Submission,
    )

    with Session(engine) as session:
        codes = list(session.exec(select(Municipality.code).where(
            Municipality.active == True)))  # noqa: E712 - SQL expression
        files = [{"id": i + 1, "sha256": f"{i:064x}", "original_name": f"vastaus-{i}.xlsx",
                  "stored_path": f"outputs/received/{i}.xlsx", "size": 1000,
                  "format": "questionnaire", "status": "ingested"} for i in range(count)]
        session.execute(insert(ReceivedFile), files)
        session.execute(insert(Submission), [
            {"id": i + 1, "received_file_id": i + 1, "locator": "Käytäntö 1",
             "format": "questionnaire", "raw": {}, "status": "practice"} for i in range(count)])
        session.execute(insert(Practice), [
            {"id": i + 1, "status": "new", "current_version": 1, "language": "fi"}
            for i in range(count)])
        versions = []
        links = []
        for i in range(count):
            flags = ["no-consent"] if i % 7 == 0 else []
            if i % 11 == 0:
                flags.append("required-missing:goal")
            versions.append({
                "practice_id": i + 1, "version": 1, "submission_id": i + 1,
                "title": sentence(rng, 4)[:-1], "keywords": rng.sample(WORDS, 3),
                "target_group": ["children", "families"], "goal": sentence(rng, 25),
                "summary": sentence(rng, 60), "implementation": sentence(rng, 80),
                "resources": sentence(rng, 20), "experiences": sentence(rng, 40),
                "benefits": sentence(rng, 30), "contact_name": "Testi Henkilö",
                "contact_email": f"testi{i}@example.fi", "contact_phone": "+358 40 1234567",
                "publish_consent": i % 7 != 0, "language": "fi", "flags": flags})
            for code in rng.sample(codes, 1 if i % 5 else 2):
                links.append({"practice_id": i + 1, "municipality_code": code,
                              "source": "token"})
        session.execute(insert(PracticeVersion), versions)
        session.execute(insert(PracticeMunicipality), links)
        session.commit()


def decide_all(path: Path) -> None:
    """Fill every decision, as a reviewer would (not timed)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Arviointi"]
    column = next(c.column for c in sheet[1] if c.value == "Päätös")
    choices = ("hyväksytty", "hylätty", "lisätietoja")
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column).value = choices[row % 3]
    book.save(path)


def timed(function: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=5000)
    args = parser.parse_args(argv)

    import pandas as pd
    from sqlmodel import Session

    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.review import export_review, import_review
    from yhteistuumin_survey.review.common import COLUMNS
    from yhteistuumin_survey.review.export import cell_value, collect_rows
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        root = Path(tmp)
        workspace = Workspace(init_workspace(root / "ws").root)
        engine = open_database(f"sqlite:///{root / 'bench.sqlite'}")
        ensure_register(engine, workspace=workspace)
        setup, _ = timed(lambda: create_practices(engine, args.practices, rng))
        results: list[tuple[str, float, float]] = []
        with Session(engine, expire_on_commit=False) as session:
            rows = collect_rows(session=session)
            frame = pd.DataFrame([{c.header: cell_value(r.values.get(c.key)) for c in COLUMNS}
                                  for r in rows])
            baseline_path = root / "pandas.xlsx"
            write_base, _ = timed(lambda: frame.to_excel(baseline_path, index=False))
            read_base, _ = timed(lambda: pd.read_excel(baseline_path, engine="openpyxl"))
            read_calamine, _ = timed(lambda: pd.read_excel(baseline_path, engine="calamine"))
            export_time, exported = timed(lambda: export_review(
                root / "outputs", session=session, out=root / "review.xlsx"))
            path = exported.files[0].path
            three_time, _ = timed(lambda: export_review(
                root / "outputs", session=session, out=root / "three.xlsx",
                reviewers=["Aino", "Bertil", "Cecilia"]))
            decide_all(path)
            import_time, first = timed(lambda: import_review([path], session=session))
            again_time, second = timed(lambda: import_review([path], session=session))
        engine.dispose()
        assert first.counts["applied"] == args.practices, first.counts
        assert second.counts["unchanged"] == args.practices, second.counts
        results = [
            ("export, 1 workbook", export_time, write_base),
            ("export, 3 reviewers", three_time, write_base),
            ("import, all rows applied", import_time, read_base),
            ("import again, all unchanged", again_time, read_base),
        ]
    print(f"review round trip, {args.practices} practices x {len(COLUMNS)} columns "
          f"(SQLite; bulk setup {setup:.2f} s)")
    print(f"baseline: pandas to_excel {write_base:.2f} s, read_excel {read_base:.2f} s "
          f"(openpyxl), read_excel calamine {read_calamine:.2f} s")
    print(f"{'step':<30} {'seconds':>8} {'baseline':>9} {'ratio':>6}")
    for name, seconds, base in results:
        print(f"{name:<30} {seconds:8.2f} {base:9.2f} {seconds / base:6.2f}")
    from _report import emit  # bench/ is this script's folder

    emit("review", "export / pandas to_excel", ratio=export_time / write_base, target=1.0)
    emit("review", "import / calamine read", ratio=import_time / read_calamine, target=2.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
