"""A review workbook re-saved by LibreOffice (as reviewers without Excel do) imports the same."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from factories import make_practice
from sqlmodel import select
from test_review import PAYLOADS, SHEET, fill, headers, rearrange, row_of, statuses

from yhteistuumin_survey.db.models import Practice, ReviewDecision
from yhteistuumin_survey.reports import neutralise_formula
from yhteistuumin_survey.review import export_review, import_review

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    LIBREOFFICE is None and os.environ.get("CI", "").lower() not in {"1", "true", "yes"},
    reason="LibreOffice is not installed (libreoffice/soffice not on PATH); the re-save test "
           "needs it")


def resave(path: Path, tmp_path: Path, kind: str = "xlsx") -> Path:
    """Open and save the workbook with LibreOffice (as .xlsx or .ods), as a reviewer's copy."""
    assert LIBREOFFICE is not None, "LibreOffice is required on CI"
    out = tmp_path / "libreoffice-out"
    out.mkdir(exist_ok=True)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", kind, "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=120)
    saved = out / path.with_suffix(f".{kind}").name
    assert saved.exists() and saved.read_bytes() != path.read_bytes()
    return saved


def test_libreoffice_resaved_workbook_round_trips_with_formulas_kept_as_text(
        session, tmp_path: Path) -> None:
    practices = [make_practice(session, title=payload, summary=payload)
                 for payload in PAYLOADS]
    plain = make_practice(session, title="Lukupiiri", municipalities=["091"])
    result = export_review(tmp_path / "outputs", session=session)
    path = result.files[0].path
    fill(path, {plain.id: {"Päätös": "hyväksytty", "Korjatut kunnat": "Helsinki, Vantaa"},
                **{p.id: {"Päätös": "hylätty"} for p in practices}})
    rearrange(path)
    saved = resave(path, tmp_path)
    sheet = openpyxl.load_workbook(saved)[SHEET]
    cols = headers(sheet)
    for practice, payload in zip(practices, PAYLOADS, strict=True):
        cell = sheet.cell(row=row_of(sheet, practice.id), column=cols["Käytännön nimi"])
        assert cell.data_type == "s"
        assert cell.value.replace("\r", "\n") == neutralise_formula(payload).replace("\r", "\n")
    assert openpyxl.load_workbook(saved)["_review_meta"].sheet_state == "hidden"
    report = import_review([saved], session=session)
    # (The one warning: the reviewer's own notes column is named as not imported.)
    assert report.counts == {"applied": len(PAYLOADS) + 1, "unchanged": 0, "stale": 0,
                              "conflicts": 0, "errors": 0, "warnings": 1, "skipped": 0}
    assert statuses(session)[plain.id] == "approved"
    assert {p.id for p in practices} == {pid for pid, s in statuses(session).items()
                                         if s == "rejected"}
    assert len(session.exec(select(ReviewDecision)).all()) == len(PAYLOADS) + 1
    # The original and its LibreOffice copy are different files deciding the same: fine.
    again = import_review([path, saved], session=session)
    assert again.counts["applied"] == 0 and not again.failed


def test_a_workbook_saved_as_ods_by_libreoffice_imports_too(session, tmp_path: Path) -> None:
    practice = make_practice(session, title="Lukupiiri")
    path = export_review(tmp_path / "outputs", session=session).files[0].path
    fill(path, {practice.id: {"Päätös": "lisätietoja", "Arvioijan kommentti": "=1+1"}})
    saved = resave(path, tmp_path, "ods")
    result = import_review([saved], session=session, reviewer="Aino")
    assert result.counts["applied"] == 1 and not result.failed, result.to_dict()
    assert statuses(session)[practice.id] == "needs-info"
    # A formula a reviewer typed is read as the value LibreOffice computed, never evaluated here.
    assert session.get(Practice, practice.id).reviewer_comment == "2"
