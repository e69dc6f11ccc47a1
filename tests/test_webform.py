"""``survey webform``: the LimeSurvey structure and participants, the Google Apps Script and the
Microsoft Forms instructions built from the survey, and the ingest of what those forms export."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ci_support import unavailable
from defusedxml import ElementTree
from ingest_support import practices, run_ingest
from sqlmodel import Session

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Contact, SurveyToken
from yhteistuumin_survey.ingest.limesurvey import code_problems, make_code, read_lss
from yhteistuumin_survey.survey import workspace_survey
from yhteistuumin_survey.tokens import new_token, tokens_for_round
from yhteistuumin_survey.webform import TOKEN_LABELS, build_webform

# --- what LimeSurvey's importer requires of a .lss -------------------------------------------
# Derived from LimeSurvey's application/helpers/admin/import_helper.php, XMLImportSurvey(), and
# application/models/Question.php, Question::rules() (LimeSurvey 4-6; read in the public
# repository LimeSurvey/LimeSurvey).


def lss_problems(path: Path) -> list[str]:
    """Return what LimeSurvey's importer would refuse, rename or drop in a .lss (empty: none)."""
    root = ElementTree.parse(str(path)).getroot()
    problems: list[str] = []

    def rows(section: str) -> list[dict[str, str]]:
        found = [{c.tag: (c.text or "") for c in row} for row in root.findall(f"{section}/rows/row")]
        fields = [f.text for f in root.findall(f"{section}/fields/fieldname")]
        for row in found:  # every row's columns are declared in <fields>
            extra = set(row) - set(fields)
            if extra:
                problems.append(f"{section}: columns {sorted(extra)} not in <fields>")
        return found

    # XMLImportSurvey: "if (!$xml || $xml->LimeSurveyDocType != 'Survey') ... not a valid
    # LimeSurvey survey structure XML file"; $iDBVersion = (int) $xml->DBVersion, and from
    # DBVersion 400 on the texts are read from the *_l10ns tables.
    if root.tag != "document" or root.findtext("LimeSurveyDocType") != "Survey":
        problems.append("not a LimeSurveyDocType Survey document")
    db_version = int(root.findtext("DBVersion") or 0)
    if not 600 <= db_version < 700:
        problems.append(f"DBVersion {db_version} is not LimeSurvey 6's")
    # foreach ($xml->languages->language ...) $aLanguagesSupported[]: rows in other languages
    # are skipped ("if (!in_array($insertdata['language'], $aLanguagesSupported)) continue").
    languages = [e.text for e in root.findall("languages/language")]
    if not languages:
        problems.append("no <languages>")
    # foreach ($xml->surveys->rows->row ...): $insertdata['sid'] is read; unknown columns are
    # dropped with "This survey setting has not been imported" (array_diff_key with the model).
    surveys = rows("surveys")
    if len(surveys) != 1 or not surveys[0].get("sid", "").isdigit():
        problems.append("surveys: needs one row with a numeric sid")
    else:
        survey = surveys[0]
        if survey.get("language") != languages[0]:
            problems.append("surveys: the base language is not the first of <languages>")
        if survey.get("anonymized") != "N":
            problems.append("surveys: anonymised, the token would not stay with the response")
    # surveys_languagesettings: surveyls_language must be supported, one row per language.
    settings = rows("surveys_languagesettings")
    if sorted(r.get("surveyls_language") for r in settings) != sorted(languages):
        problems.append("surveys_languagesettings: not one row per language")
    if any(not r.get("surveyls_title") for r in settings):
        problems.append("surveys_languagesettings: a language has no title")
    # groups / group_l10ns: $aGIDReplacements[$oldgid]; a question whose gid is 0 is skipped
    # ("if ($insertdata['gid'] == 0) continue"), one of an unknown group fails.
    groups = {r.get("gid") for r in rows("groups")}
    for row in rows("group_l10ns"):
        if row.get("gid") not in groups or row.get("language") not in languages:
            problems.append(f"group_l10ns: row for unknown group or language {row}")
    questions = rows("questions")
    subquestions = rows("subquestions")
    parents = {r["qid"]: r for r in questions}
    codes: set[str] = set()
    for row in questions:
        if row.get("gid") not in groups or row.get("gid") == "0":
            problems.append(f"question {row.get('title')}: gid {row.get('gid')} is no group")
        if row.get("parent_qid") != "0":
            problems.append(f"question {row.get('title')}: a main question has parent_qid 0")
        # Question::rules(): type length 1; mandatory in Y, S, N; other in Y, N.
        if len(row.get("type", "")) != 1:
            problems.append(f"question {row.get('title')}: type must be one letter")
        if row.get("mandatory", "N") not in {"Y", "S", "N"} or row.get("other", "N") not in "YN":
            problems.append(f"question {row.get('title')}: mandatory/other out of range")
        problems += code_problems(row.get("title", ""))
        # 'title', 'unique' (criteria sid, parent_qid=0): the importer renames a duplicate.
        if row.get("title", "").casefold() in codes:
            problems.append(f"question code {row.get('title')} is used twice")
        codes.add(row.get("title", "").casefold())
    for row in subquestions:
        # $aQIDReplacements[(int) $insertdata['parent_qid']]: the parent must come first.
        parent = parents.get(row.get("parent_qid", ""))
        if parent is None:
            problems.append(f"subquestion {row.get('title')}: parent {row.get('parent_qid')} unknown")
            continue
        if row.get("gid") != parent.get("gid"):
            problems.append(f"subquestion {row.get('title')}: not in its question's group")
        problems += code_problems(row.get("title", ""), subquestion=True,
                                  other=parent.get("other") == "Y")
    for parent_qid in parents:  # subquestion codes unique (case-insensitively) per question
        subs = [r["title"].casefold() for r in subquestions if r.get("parent_qid") == parent_qid]
        if len(subs) != len(set(subs)):
            problems.append(f"question {parents[parent_qid]['title']}: duplicate subquestion codes")
    # question_l10ns: rows of an unknown qid are skipped ("Skip invalid question ID"); every
    # question needs its text in every language, or it shows empty in that language.
    all_qids = set(parents) | {r["qid"] for r in subquestions}
    texts = {(r.get("qid"), r.get("language")): r.get("question") for r in rows("question_l10ns")}
    for qid in all_qids:
        for lang in languages:
            if not texts.get((qid, lang)):
                problems.append(f"question {qid}: no text in {lang}")
    if any(qid not in all_qids for qid, _ in texts):
        problems.append("question_l10ns: a row for an unknown question")
    # question_attributes: "if (!isset($aQIDReplacements[(int) $insertdata['qid']])) continue";
    # an attribute with display text needs its language.
    for row in rows("question_attributes"):
        if row.get("qid") not in all_qids:
            problems.append(f"question_attributes: unknown qid {row.get('qid')}")
        if row.get("attribute") == "other_replace_text" and row.get("language") not in languages:
            problems.append("question_attributes: other_replace_text without its language")
    # answers.code is varchar(5), letters and digits.
    for row in rows("answers"):
        if not re.fullmatch(r"[A-Za-z0-9]{1,5}", row.get("code", "")):
            problems.append(f"answer code {row.get('code')!r} breaks LimeSurvey's rules")
    return problems


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def db(workspace, tmp_path, sqlite_template):
    from fixtures_house import open_sqlite_copy

    engine = open_sqlite_copy(sqlite_template, tmp_path / "webform.sqlite", workspace)
    yield engine
    engine.dispose()


def _contacts(engine: Any, people: dict[str, str]) -> None:
    with Session(engine) as session:
        for code, email in people.items():
            session.add(Contact(municipality_code=code, email=email, name="Maija Meikäläinen"))
        session.commit()


def _build(engine: Any, workspace: Any, tool: str, out: Path, language: str = "both") -> Any:
    settings = load_settings(workspace.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        return build_webform(workspace, session=session, settings=settings,
                             survey=workspace_survey(workspace), tool=tool, out=out,
                             language=language)


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


# --- codes and tokens ----------------------------------------------------------------------


def test_codes_follow_limesurvey_rules_and_stay_unique():
    taken: set[str] = set()
    assert make_code("target_group", taken) == "targetGroup"
    assert make_code("people_with_disabilities", taken, subquestion=True) == "peopleWithDisabiliti"
    assert make_code("Target-Group", taken) == "TargetGroup2"  # unique case-insensitively
    assert make_code("token", set()) == "token2"  # Expression Manager's word, in any case
    assert make_code("3d_print", set()) == "q3dPrint"
    assert make_code("äänet", set()) == "aanet"
    assert make_code("time", set(), subquestion=True) == "time2"
    assert code_problems("kenelle_1") and code_problems("SID") and not code_problems("targetGroup")


def test_new_tokens_are_letters_and_digits_and_old_ones_still_resolve(db):
    from yhteistuumin_survey.tokens import municipality_for_token

    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9]{22}", t) for t in tokens)
    with Session(db) as session:
        session.add(SurveyToken(round_name="old", municipality_code="091", token="a-b_c-old"))
        session.commit()
        assert municipality_for_token(session=session, token="a-b_c-old") == ("old", "091")


# --- LimeSurvey ----------------------------------------------------------------------------


def test_limesurvey_structure_imports_and_participants_carry_the_invitation_tokens(
        db, workspace, tmp_path):
    _contacts(db, {"091": "kulttuuri@hel.example.fi", "599": "kultur@pedersore.example.fi",
                   "049": "kulttuuri@espoo.example.fi"})
    settings = load_settings(workspace.root, env={})
    with Session(db) as session:  # Helsinki already has the token of its sent invitation
        session.add(SurveyToken(round_name=settings.round_name, municipality_code="091",
                                token="Helsinki-token_1"))
        session.commit()
    result = _build(db, workspace, "limesurvey", tmp_path / "out")
    lss, participants = result.files
    assert lss.suffix == ".lss" and lss_problems(lss) == []
    structure = read_lss(lss)
    assert structure.languages == ["fi", "sv"]
    codes = [q.code for q in structure.questions]
    assert len(codes) == len(set(codes)) == len(workspace_survey(workspace).questions)
    [choice] = [q for q in structure.questions if q.type == "M"]
    assert choice.other and [s.texts["fi"] for s in choice.subquestions][:2] == ["Lapset", "Nuoret"]
    assert [s.texts["sv"] for s in choice.subquestions][:2] == ["Barn", "Unga"]
    assert structure.questions[1].attributes["maximum_chars"] == "150"
    with participants.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["firstname", "lastname", "email", "token", "language", "usesleft",
                             "attribute_1"]
    assert [(r["attribute_1"], r["language"]) for r in rows] == [
        ("049", "fi"), ("091", "fi"), ("599", "sv")]
    with Session(db) as session:
        tokens = tokens_for_round(session=session, round_name=settings.round_name)
    assert {r["attribute_1"]: r["token"] for r in rows} == tokens
    assert tokens["091"] == "Helsinki-token_1"  # an existing invitation token is kept
    assert all(re.fullmatch(r"[A-Za-z0-9_~-]+", r["token"]) for r in rows)
    assert re.fullmatch(r"[A-Za-z0-9]{22}", tokens["599"])  # new ones LimeSurvey-safe
    assert result.participants == 3 and result.tokens_created == 2
    assert any("Participant" in line for line in result.summary())


def test_limesurvey_one_language_survey_is_valid(db, workspace, tmp_path):
    result = _build(db, workspace, "limesurvey", tmp_path / "sv", language="sv")
    assert lss_problems(result.files[0]) == []
    assert read_lss(result.files[0]).languages == ["sv"]


HEAD_CODES = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
              "datestamp", "municipalities", "title", "keywords", "targetGroup[children]",
              "targetGroup[youngPeople]", "targetGroup[olderPeople]", "targetGroup[families]",
              "targetGroup[peopleWithDisabiliti]", "targetGroup[immigrants]",
              "targetGroup[allResidents]", "targetGroup[municipalStaff]", "targetGroup[other]",
              "goal", "summary", "implementation", "resources", "experiences", "benefits",
              "contactName", "contactEmail", "contactPhone", "publishConsent"]


def _answer(number: int, token: str, town: str, ticks: dict[str, str], other: str,
            consent: str, lang: str = "fi", typed: str | None = None) -> list[str]:
    groups = ["children", "youngPeople", "olderPeople", "families", "peopleWithDisabiliti",
              "immigrants", "allResidents", "municipalStaff"]
    return [str(number), "2025-03-05 10:00:01", "1", lang, "1", token, "2025-03-05 09:40:00",
            "2025-03-05 10:00:01", town if typed is None else typed, f"Käytäntö {town}",
            "musiikki, yhteistyö",
            *[ticks.get(g, "") for g in groups], other, f"Tavoite {town}.", f"Kuvaus {town}.",
            "Toteutus.", "Resurssit.", "Kokemukset.", "Hyödyt.", f"Henkilö {number}",
            f"henkilo{number}@example.fi", "040 123 4567", consent]


def test_limesurvey_codes_export_of_our_survey_reads_exactly(db, workspace, tmp_path):
    _contacts(db, {"091": "a@hel.example.fi", "599": "b@pedersore.example.fi",
                   "837": "c@tampere.example.fi"})
    _build(db, workspace, "limesurvey", tmp_path / "form")
    settings = load_settings(workspace.root, env={})
    with Session(db) as session:
        tokens = tokens_for_round(session=session, round_name=settings.round_name)
    export = _write_csv(tmp_path / "in" / "results-survey123456.csv", [
        HEAD_CODES,
        _answer(1, tokens["091"], "Helsinki", {"children": "Y", "families": "Y"}, "", "Y"),
        _answer(2, tokens["599"], "Pedersöre", {"youngPeople": "Y", "allResidents": "Y"},
                "teatterikerhot", "N", lang="sv"),
        # No municipality typed: the token alone says Tampere.
        _answer(3, tokens["837"], "Tampere", {"municipalStaff": "Y"}, "", "Y", typed=""),
    ])
    result = run_ingest([export], engine=db, workspace=workspace)
    assert [r["outcome"] for r in result.rows()] == ["new", "new", "new"]
    assert result.mappings[0].format == "limesurvey"
    methods = {m.header: (m.target, m.method) for m in result.mappings[0].columns}
    assert methods["targetGroup[families]"] == ("target_group:Perheet", "code")
    assert methods["token"] == ("meta:token", "meta")
    found = {tuple(p["municipalities"]): p for p in practices(db)}
    assert set(found) == {("091",), ("599",), ("837",)}
    assert found[("091",)]["target_group"] == ["children", "families"]
    assert found[("599",)]["target_group"] == ["young_people", "all_residents",
                                                "other:teatterikerhot"]
    assert found[("837",)]["target_group"] == ["municipal_staff"]
    assert [found[k]["contact"]["publish_consent"] for k in (("091",), ("599",), ("837",))] == [
        True, False, True]
    assert not any(f.startswith("unsure:target_group:choice-codes{") for p in practices(db)
                   for f in p["flags"])


def test_limesurvey_full_text_export_with_semicolons_and_full_answers(db, workspace, tmp_path):
    survey = workspace_survey(workspace)
    sv = {q.id: q.label("sv") for q in survey.questions}
    head = ["Svars-ID", "Inskickningsdatum", "Sista sidan", "Startspråk", "Frö", "Åtkomstkod",
            sv["municipalities"], sv["title"], sv["keywords"],
            f"{sv['target_group']} [Barn]", f"{sv['target_group']} [Unga]",
            f"{sv['target_group']} [Äldre]", f"{sv['target_group']} [Annan, vilken?]",
            sv["goal"], sv["summary"], sv["contact_name"], sv["publish_consent"]]
    with Session(db) as session:
        session.add(SurveyToken(round_name="2025", municipality_code="599", token="PedToken1"))
        session.commit()
    export = _write_csv(tmp_path / "in" / "results.csv", [
        head, ["7", "2025-03-05 10:00:01", "1", "sv", "1", "PedToken1", "Pedersöre",
               "Kulturbuss", "kultur", "Ja", "Nej", "Ja", "byaföreningar", "Målet.",
               "Beskrivning.", "Anna Berg", "Ja"]], delimiter=";")
    result = run_ingest([export], engine=db, workspace=workspace)
    assert [r["outcome"] for r in result.rows()] == ["new"]
    assert {m.method for m in result.mappings[0].columns if m.target and
            not m.target.startswith("meta:")} == {"question text"}
    [practice] = practices(db)
    assert practice["municipalities"] == ["599"]
    assert practice["target_group"] == ["children", "older_people", "other:byaföreningar"]
    assert practice["contact"]["publish_consent"] is True


def _foreign_lss(path: Path, workspace: Any) -> Path:
    """Another organisation's survey: codes Q01…Q12, its own choices in its own order."""
    from yhteistuumin_survey.ingest.limesurvey import LimeQuestion, LimeSubquestion, Structure
    from yhteistuumin_survey.webform import write_lss

    def q(n: int, kind: str, fi: str, **kw: Any) -> LimeQuestion:
        return LimeQuestion(qid=n, code=f"Q{n:02d}", type=kind, texts={"fi": fi}, **kw)

    path.parent.mkdir(parents=True, exist_ok=True)
    subs = [LimeSubquestion(f"SQ{n:03d}", {"fi": text}) for n, text in enumerate(
        ["Ikäihmiset", "Kaikki kuntalaiset", "Lapsiperheet", "Nuoret", "Koululaiset"], start=1)]
    structure = Structure(questions=[
        q(1, "S", "Kunta"), q(2, "S", "Hyvän käytännön nimi"), q(3, "S", "Asiasanat"),
        q(4, "M", "Kohderyhmät", subquestions=subs, other=True),
        q(5, "T", "Tavoitteet"), q(6, "T", "Lyhyt kuvaus"), q(7, "T", "Miten toteutetaan?"),
        q(8, "T", "Resurssit ja kustannukset"), q(9, "T", "Kokemukset"),
        q(10, "S", "Yhteyshenkilö"), q(11, "S", "Sähköposti"),
        q(12, "Y", "Saako yhteystiedot julkaista?")], languages=["fi"])
    return write_lss(structure, path, survey=workspace_survey(workspace), languages=["fi"])


FOREIGN_HEAD = ["id", "submitdate", "lastpage", "startlanguage", "Q01", "Q02", "Q03",
                "Q04[SQ001]", "Q04[SQ002]", "Q04[SQ003]", "Q04[SQ004]", "Q04[SQ005]", "Q04[other]",
                "Q05", "Q06", "Q07", "Q08", "Q09", "Q10", "Q11", "Q12"]
FOREIGN_ROW = ["5", "2025-02-01 12:00:00", "2", "fi", "Kuopio", "Senioritanssit", "tanssi",
               "Y", "", "Y", "", "", "", "Liikettä.", "Tanssit kirjastossa.", "Joka viikko.",
               "Ohjaaja.", "Hyviä.", "Pekka Virtanen", "pekka@example.fi", "Y"]


def test_another_surveys_export_reads_right_with_its_structure_beside_it(db, workspace, tmp_path):
    folder = tmp_path / "in"
    _write_csv(folder / "results-survey999.csv", [FOREIGN_HEAD, FOREIGN_ROW])
    _foreign_lss(folder / "limesurvey_survey_999.lss", workspace)
    result = run_ingest([folder], engine=db, workspace=workspace)
    assert sorted(r["outcome"] for r in result.rows()) == ["new", "note", "structure"]
    [practice] = practices(db)
    assert practice["municipalities"] == ["297"]
    assert practice["title"] == "Senioritanssit"
    assert practice["target_group"] == ["older_people", "families"]
    assert practice["contact"]["name"] == "Pekka Virtanen"
    assert practice["contact"]["publish_consent"] is True
    assert not [f for f in practice["flags"] if f.startswith("choice")]


def test_structure_given_with_the_option_reads_the_export(db, workspace, tmp_path):
    lss = _foreign_lss(tmp_path / "structures" / "other.lss", workspace)
    export = _write_csv(tmp_path / "in" / "export.csv", [FOREIGN_HEAD, FOREIGN_ROW])
    settings = load_settings(workspace.root, env={})
    from yhteistuumin_survey.ingest import ingest_paths

    with Session(db, expire_on_commit=False) as session:
        ingest_paths([export], session=session, workspace=workspace, settings=settings,
                     structures=[lss])
    assert practices(db)[0]["target_group"] == ["older_people", "families"]


def test_question_codes_without_a_structure_are_refused_not_guessed(db, workspace, tmp_path):
    export = _write_csv(tmp_path / "in" / "export.csv", [FOREIGN_HEAD, FOREIGN_ROW])
    result = run_ingest([export], engine=db, workspace=workspace)
    assert practices(db) == []
    [row] = result.rows()
    assert row["outcome"] == "error" and "give the survey structure" in row["reason"]


def test_old_kenelle_sq_codes_are_flagged_and_never_mapped_by_position(db, workspace, tmp_path):
    shutil.copy(Path(__file__).parent / "data" / "ingest" / "limesurvey-codes.csv",
                tmp_path / "limesurvey-codes.csv")
    result = run_ingest([tmp_path / "limesurvey-codes.csv"], engine=db, workspace=workspace)
    [practice] = practices(db)
    assert practice["target_group"] == ["other:potilaat"]  # the typed "other" text only
    assert any(f.startswith("unsure:target_group:choice-codes{")
               for f in practice["flags"])
    assert "choice codes without their texts: give the survey structure (SQ001)" in \
        result.rows()[0]["reason"]


def test_any_table_whose_choices_are_codes_is_flagged(db, workspace, tmp_path):
    table = _write_csv(tmp_path / "in" / "taulukko.csv", [
        ["Kunta", "Käytännön nimi", "Tavoite", "Kenelle? - A1", "Kenelle? - A2", "Kenelle? - Lapset"],
        ["Oulu", "Satutunti", "Lukuinto.", "x", "", "x"]], delimiter=";")
    codes = _write_csv(tmp_path / "in2" / "toinen.csv", [
        ["Kunta", "Käytännön nimi", "Tavoite", "Kenelle"],
        ["Oulu", "Runoilta", "Runoja.", "A1;A3"]], delimiter=";")
    run_ingest([table, codes], engine=db, workspace=workspace)
    found = {p["title"]: p for p in practices(db)}
    assert found["Satutunti"]["target_group"] == ["children"]  # the option named by its text
    assert any(f.startswith("unsure:target_group:choice-codes{")
               for f in found["Satutunti"]["flags"])
    assert found["Runoilta"]["target_group"] == []
    assert any(f.startswith("unsure:target_group:choice-codes{")
               for f in found["Runoilta"]["flags"])


# --- Google Forms and Microsoft Forms ---------------------------------------------------------


def test_google_apps_script_parses_and_creates_every_question(db, workspace, tmp_path):
    result = _build(db, workspace, "googleforms", tmp_path / "g", language="fi")
    [script] = result.files
    text = script.read_text(encoding="utf-8")
    assert "FormApp.create(" in text and "showOtherOption(true)" in text
    assert "toPrefilledUrl()" in text and "withItemResponse" in text
    for question in workspace_survey(workspace).questions:
        assert question.label("fi") in text
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        unavailable("node is not installed")
    js = tmp_path / "script.js"
    js.write_text(text, encoding="utf-8")
    subprocess.run([node, "--check", str(js)], check=True, capture_output=True, timeout=60)


def test_google_forms_export_of_that_form_maps_every_column_exactly(db, workspace, tmp_path):
    survey = workspace_survey(workspace)
    _build(db, workspace, "googleforms", tmp_path / "g", language="both")
    titles = [" / ".join(dict.fromkeys((q.label("fi"), q.label("sv")))) for q in survey.questions]
    with Session(db) as session:
        session.add(SurveyToken(round_name="2025", municipality_code="091", token="GoogleTok1"))
        session.commit()
    values = {"municipalities": "Helsinki", "title": "Lukupiiri", "keywords": "lukeminen",
              "target_group": "Lapset / Barn, Nuoret / Unga", "goal": "Tavoite.",
              "summary": "Kuvaus.", "contact_name": "Liisa Laine",
              "publish_consent": "Kyllä / Ja"}
    export = _write_csv(tmp_path / "in" / "google.csv", [
        ["Aikaleima", *titles, " / ".join((TOKEN_LABELS["fi"], TOKEN_LABELS["sv"]))],
        ["2025/03/05 10:00:01 AM GMT+2", *[values.get(q.id, "") for q in survey.questions],
         "GoogleTok1"]])
    result = run_ingest([export], engine=db, workspace=workspace)
    mapping = result.mappings[0]
    assert mapping.format == "googleforms"
    assert [c.target for c in mapping.columns] == [
        "meta:submitted", *[q.id for q in survey.questions], "meta:token"]
    assert {c.method for c in mapping.columns[1:-1]} <= {"exact", "label"}
    [practice] = practices(db)
    assert practice["municipalities"] == ["091"]
    assert practice["target_group"] == ["children", "young_people"]
    assert practice["contact"]["publish_consent"] is True


def test_microsoft_forms_instructions_and_export_map_exactly(db, workspace, tmp_path):
    survey = workspace_survey(workspace)
    result = _build(db, workspace, "msforms", tmp_path / "m", language="fi")
    text = result.files[0].read_text(encoding="utf-8")
    for question in survey.questions:
        assert question.label("fi") in text
    assert "Kyllä, saa julkaista" in text and "{token}" in text
    with Session(db) as session:
        session.add(SurveyToken(round_name="2025", municipality_code="837", token="MsTok1"))
        session.commit()
    values = {"municipalities": "Tampere", "title": "Kirjastokaveri", "goal": "Tavoite.",
              "summary": "Kuvaus.", "target_group": "Ikääntyneet;kirjastokissat;",
              "contact_name": "Matti Mäki", "publish_consent": "Kyllä, saa julkaista;"}
    export = _write_csv(tmp_path / "in" / "ms.csv", [
        ["ID", "Aloitusaika", "Valmistumisaika", "Sähköposti", "Nimi",
         *[q.label("fi") for q in survey.questions], TOKEN_LABELS["fi"]],
        ["1", "3/5/2025 10:00:00", "3/5/2025 10:10:00", "anonymous", "",
         *[values.get(q.id, "") for q in survey.questions], "MsTok1"]])
    result = run_ingest([export], engine=db, workspace=workspace)
    mapping = result.mappings[0]
    assert mapping.format == "msforms"
    assert mapping.columns[-1].target == "meta:token"
    assert [c.target for c in mapping.columns[5:-1]] == [q.id for q in survey.questions]
    [practice] = practices(db)
    assert practice["municipalities"] == ["837"]
    assert practice["target_group"] == ["older_people", "other:kirjastokissat"]
    assert practice["contact"]["publish_consent"] is True


@pytest.mark.parametrize("languages", [["fi"], ["sv"], ["fi", "sv"]])
def test_the_consent_checkbox_option_reads_as_consent(languages):
    from yhteistuumin_survey.normalise import parse_consent
    from yhteistuumin_survey.webform import CONSENT_OPTION

    option = " / ".join(CONSENT_OPTION[x] for x in languages)
    assert parse_consent(f"{option};") is True
    assert parse_consent("") is None  # an empty cell: unknown, never a refusal


def test_every_heading_form_of_a_limesurvey_export_finds_its_column(workspace):
    from yhteistuumin_survey.ingest.limesurvey import _Index, our_structure

    index = _Index(our_structure(workspace_survey(workspace)))

    def where(header: str) -> tuple[str | None, str | None, bool]:
        column = index.resolve(header)
        assert column is not None, header
        return column.question.target, column.sub.code if column.sub else None, column.other

    assert where("targetGroup_youngPeople") == ("target_group", "youngPeople", False)  # EM code
    assert where("TARGETGROUP[OTHER]") == ("target_group", None, True)
    assert where("targetGroup[children]. Kenelle käytäntö on suunnattu? [Lapset]") == (
        "target_group", "children", False)  # code and text
    assert where("Hyvä käytäntö pähkinänkuo.. ") == ("summary", None, False)  # abbreviated
    assert where("För_vem_är_praxisen_avsedd?_[Unga]") == ("target_group", "youngPeople", False)
    assert where("Kenelle käytäntö on suunnattu? [Muu, mikä?]") == ("target_group", None, True)
    assert index.resolve("kenelle[SQ004]") is None


def test_cli_ingest_takes_a_structure(cli, workspace, tmp_path):
    lss = _foreign_lss(tmp_path / "structures" / "other.lss", workspace)
    export = _write_csv(tmp_path / "in" / "export.csv", [FOREIGN_HEAD, FOREIGN_ROW])
    result = cli("ingest", str(export), "--structure", str(lss), "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"new": 1' in result.stdout
    assert "--structure" in cli("ingest", "--help").stdout


def test_cli_webform_writes_and_prints_next_steps(cli, tmp_path):
    result = cli("survey", "webform", "msforms", "--out", str(tmp_path / "ms"))
    assert result.exit_code == 0, result.output
    assert "Microsoft Forms form in Finnish and Swedish" in result.stdout
    assert "Next:" in result.stdout
    help_text = cli("survey", "webform", "--help").stdout
    assert "Example: yhteistuumin survey webform limesurvey" in help_text
