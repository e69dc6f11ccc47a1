"""The shared test factory builds what ingest would: file, submission, practice, versions."""

from __future__ import annotations

from factories import add_version, make_practice
from sqlmodel import select

from yhteistuumin_survey.db.models import PracticeMunicipality, PracticeVersion


def test_make_practice_builds_versions_municipalities_and_source(session):
    practice = make_practice(session, title="Lukupiiri", municipalities=["049", "091"],
                             version=2, flags=["no-consent"], decided_version=1)
    versions = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id).order_by(PracticeVersion.version)).all()
    assert [v.title for v in versions] == ["Lukupiiri (v1)", "Lukupiiri"]
    assert versions[-1].flags == ["no-consent"]
    assert practice.current_version == 2 and practice.decided_version == 1
    codes = session.exec(select(PracticeMunicipality.municipality_code).where(
        PracticeMunicipality.practice_id == practice.id)).all()
    assert sorted(codes) == ["049", "091"]
    newer = add_version(session, practice, title="Lukupiiri 2")
    assert newer.version == 3 and practice.current_version == 3
