"""Helpers for the ingest tests: run an ingest into a database and read back stable records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "ingest"
GOLDEN = Path(__file__).resolve().parent / "golden" / "ingest"


def report_rows(result: Any) -> list[list[Any]]:
    """The ingest report workbook's rows under its headings, as the coordinator opens it."""
    from openpyxl import load_workbook

    assert result.report_path is not None
    sheet = load_workbook(result.report_path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


def report_said(result: Any) -> dict[str, str]:
    """The report workbook's last column (the reason, in the round's language) by file name."""
    return {str(row[0]).rpartition("/")[2]: str(row[-1]) for row in report_rows(result)}


def run_ingest(paths: list[Path], *, engine: Any, workspace: Any, source: str = "auto") -> Any:
    """Ingest paths in a fresh session and return the IngestReport."""
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.ingest import ingest_paths

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        return ingest_paths(paths, session=session, workspace=workspace, settings=settings,
                            source=source)


def practices(engine: Any, **filters: Any) -> list[dict[str, Any]]:
    from sqlmodel import Session

    from yhteistuumin_survey.ingest import list_practices

    with Session(engine) as session:
        return list_practices(session=session, **filters)


def stable_items(result: Any, base: Path) -> list[dict[str, Any]]:
    """Report lines with paths relative to ``base`` (volatile parts stripped)."""
    items = []
    for row in result.rows():
        row = dict(row)
        row["file"] = str(row["file"]).replace(str(base) + "/", "")
        row["reason"] = str(row["reason"] or "").replace(str(base) + "/", "")
        items.append(row)
    return items


def table_counts(engine: Any) -> dict[str, int]:
    """Rows per ingest table (to prove that nothing changed)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.models import (
        Practice,
        PracticeMunicipality,
        PracticeVersion,
        ReceivedFile,
        Submission,
    )

    with Session(engine) as session:
        return {model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (ReceivedFile, Submission, Practice, PracticeVersion,
                              PracticeMunicipality)}


def set_answer(path: Path, sheet: str, key: str, value: Any) -> None:
    """Type the answer of one question (found by its hidden key) into a questionnaire, as a
    respondent would."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    for row in workbook[sheet].iter_rows():
        if len(row) > 2 and row[2].value == key:
            row[1].value = value
    workbook.save(path)


def questionnaire_copy(folder: Path, name: str = "vastaus.xlsx") -> Path:
    """The sample questionnaire as a municipality filled it (tests/data/ingest), in ``folder``."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copy(DATA / "questionnaire.xlsx", target)
    return target


def only_version(engine: Any, practice_id: int) -> Any:
    """The stored (only) version of a practice."""
    from sqlmodel import Session, select

    from yhteistuumin_survey.db.models import PracticeVersion

    with Session(engine) as session:
        return session.exec(select(PracticeVersion).where(
            PracticeVersion.practice_id == practice_id)).one()


def practices_by_title(engine: Any) -> dict[str, dict[str, Any]]:
    """The practices (as ``practices`` gives them) by title."""
    return {p["title"]: p for p in practices(engine)}


def office_copy(path: Path, tmp_path: Path, kind: str = "xlsx") -> Path:
    """The workbook opened and saved by LibreOffice as ``kind`` (it computes every formula's
    value), as an office would send it."""
    import shutil
    import subprocess

    from ci_support import unavailable

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        unavailable("LibreOffice is not installed")
    out = tmp_path / "libreoffice-out"
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                    "--convert-to", kind, "--outdir", str(out), str(path)], check=True,
                   capture_output=True, timeout=120)
    return out / path.with_suffix(f".{kind}").name
