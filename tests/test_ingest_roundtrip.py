"""Round trip: build the questionnaires with the survey builder, fill them as people do, ingest."""

from __future__ import annotations

from ingest_support import practices, run_ingest
from openpyxl import load_workbook
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import PracticeMunicipality

ANSWERS = {
    "049": {"title": "Kulttuurikaveri", "goal": "Tuoda kulttuuria yksinäisille.",
            "summary": "Vapaaehtoinen kaveri lähtee mukaan konserttiin.",
            "keywords": "vapaaehtoiset, yksinäisyys", "contact_email": "kaveri@espoo.example.fi",
            "publish_consent": "Kyllä", "target_group:older_people": "x"},
    "499": {"title": "Kulturvän", "goal": "Att ge äldre sällskap till kulturen.",
            "summary": "Frivilliga följer med äldre på konserter.", "keywords": "frivilliga",
            "municipalities": "Korsholm, Vasa", "publish_consent": "Nej",
            "target_group:older_people": "x", "target_group:other": "närståendevårdare"},
    "698": {"title": "Kirjastoauto kylille", "goal": "Kirjastopalvelut syrjäkylille.",
            "summary": "Auto kiertää kylissä.", "publish_consent": "Ei",
            "target_group:children": "X"},
}


def _fill(path, answers: dict[str, str]) -> None:
    workbook = load_workbook(path)
    practice_sheets = [s for s in workbook.worksheets if s.sheet_state == "visible"
                       and isinstance(s.cell(row=1, column=3).value, str)
                       and s.cell(row=1, column=3).value.startswith("practice:")]
    sheet = practice_sheets[0]
    for row in sheet.iter_rows():
        key = row[2].value if len(row) > 2 else None
        if key in answers:
            row[1].value = answers[key]
    workbook.save(path)


def test_built_questionnaires_filled_in_and_ingested_round_trip(engine, workspace):
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.questionnaire import build_questionnaires
    from yhteistuumin_survey.survey import workspace_survey

    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        built = build_questionnaires(workspace, session=session, settings=settings,
                                     survey=workspace_survey(workspace), only=list(ANSWERS))
        session.commit()
    paths = {item.code: item.path for item in built.built}
    assert sorted(paths) == sorted(ANSWERS)
    for code, answers in ANSWERS.items():
        _fill(paths[code], answers)
    result = run_ingest(list(paths.values()), engine=engine, workspace=workspace)
    outcomes = [r["outcome"] for r in result.rows()]
    assert outcomes.count("new") == 3 and "error" not in outcomes
    assert outcomes.count("empty") == 3 * (workspace_survey(workspace).practices_per_questionnaire - 1)
    listed = {p["title"]: p for p in practices(engine)}
    assert set(listed) == {"Kulttuurikaveri", "Kulturvän", "Kirjastoauto kylille"}
    assert listed["Kulttuurikaveri"]["municipalities"] == ["049"]
    assert listed["Kulttuurikaveri"]["target_group"] == ["older_people"]
    assert listed["Kulttuurikaveri"]["contact"]["publish_consent"] is True
    assert listed["Kulturvän"]["municipalities"] == ["499", "905"]
    assert listed["Kulturvän"]["language"] == "sv"
    assert listed["Kulturvän"]["target_group"] == ["older_people", "other:närståendevårdare"]
    assert listed["Kulturvän"]["contact"]["publish_consent"] is False
    assert listed["Kirjastoauto kylille"]["target_group"] == ["children"]
    with Session(engine) as session:
        sources = set(session.exec(select(PracticeMunicipality.municipality_code,
                                          PracticeMunicipality.source)).all())
    assert ("049", "token") in sources and ("499", "token") in sources
    assert ("905", "text") in sources
