"""Every flag a reviewer reads is in the reviewer's language: Finnish in the review workbook
and the ingest report workbook, Swedish in a Swedish round's report, English on the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ingest_support import practices_by_title, questionnaire_copy, run_ingest, set_answer

from yhteistuumin_survey import flags
from yhteistuumin_survey.flags import PLAIN_TEXTS, UNSURE_TEXTS, describe, parse, unsure

#: Words that give away an English sentence left in a Finnish text.
ENGLISH_MARKERS = ("the", "is", "not", "was", "and", "of", "a", "to", "an", "in", "by", "it",
                   "check", "answer", "read", "field", "value", "flag", "reviewer", "or")
#: Names Voikko does not know, written in the texts on purpose.
NAMES = {"Excel"}

#: Each code's field in the test (any field will do; these are the ones that make it).
FIELDS = {"municipality-close-spelling": "municipalities", "municipality-unmatched":
          "municipalities", "token-unknown": "municipalities", "token-other-round":
          "municipalities", "forward-without-sender": "municipalities",
          "email-pattern": "contact_email", "email-domain-typo": "contact_email",
          "email-several": "contact_email", "name-picked": "contact_name",
          "name-several": "contact_name", "phone-extra": "contact_phone",
          "phone-zero-added": "contact_phone",
          "language-english": "language", "language-undecided": "language",
          "choice-codes": "target_group", "consent-unclear": "publish_consent",
          "test-response": "title", "heading-close-spelling": "keywords",
          "row-cells-shifted": "row", "row-line-broken": "row", "time-unread": "row",
          "heading-inflected": "goal"}


def _every_flag() -> list[str]:
    """One flag of every code, unsure and plain, made from the registry's examples."""
    made = [unsure(FIELDS.get(code, "summary"), code, **text.example)
            for code, text in UNSURE_TEXTS.items()]
    made += [name + (f":{text.example['arg']}" if text.example else "")
             for name, text in PLAIN_TEXTS.items()]
    return made


def _without_values(text: str, flag: str) -> str:
    """A rendered text without what was typed (the flag's quoted values and its arguments)."""
    parsed = parse(flag)
    values = [parsed.arg.partition(":")[2] if parsed.name == "note" else parsed.arg]
    for value in parsed.args.values():
        values.extend(value if isinstance(value, list) else [value])
    for value in sorted((str(v) for v in values if v), key=len, reverse=True):
        text = text.replace(str(value), " ")
    return text


@pytest.mark.parametrize("flag", _every_flag(), ids=lambda f: f.split("{")[0])
def test_every_flag_code_says_a_finnish_sentence_with_the_field_label(flag: str) -> None:
    parsed = parse(flag)
    finnish, swedish, english = (describe(flag, language) for language in ("fi", "sv", "en"))
    assert len({finnish, swedish, english}) == 3
    assert finnish[0].isupper() and finnish.rstrip().endswith((".", "?")) or \
        parsed.name == "note"
    if parsed.field:
        label = flags.DEFAULT_LABELS["fi"][parsed.field]
        assert finnish.startswith(f"{label}: ")
        assert swedish.startswith(f"{flags.DEFAULT_LABELS['sv'][parsed.field]}: ")
        assert english.startswith(f"{parsed.field}: ")
    words = re.findall(r"[^\W\d_]+", _without_values(finnish, flag).lower())
    assert not set(words) & set(ENGLISH_MARKERS), finnish
    assert "{" not in finnish and "}" not in finnish


def test_the_quoted_values_are_kept_exactly_as_typed() -> None:
    flag = unsure("contact_phone", "phone-extra", raw="09 123 4567 / 123",
                  number="+358 9 1234567", more="123")
    assert describe(flag, "fi") == (
        "Puhelin: vastauksessa '09 123 4567 / 123' on numeron +358 9 1234567 lisäksi '123' "
        "(alanumero, vaihde, aukioloaika?). Puhelinnumeroksi otettiin vain +358 9 1234567, ja "
        "koko vastaus on yhteystietotekstissä; tarkista se.")
    typo = unsure("contact_email", "email-domain-typo", address="Eija.Koski@gmial.com",
                  intended="gmail.com")
    assert "'Eija.Koski@gmial.com'" in describe(typo, "fi")
    assert "'gmail.com'" in describe(typo, "sv") and "'gmail.com'" in describe(typo, "en")


def test_a_flag_is_a_plain_string_that_reads_back_as_its_code_and_values() -> None:
    flag = unsure("contact_name", "name-picked", picked='Maija "Mape" M.', parts=["a", "b:c"])
    assert isinstance(flag, str) and flag.startswith("unsure:contact_name:name-picked{")
    assert json.loads(json.dumps([flag])) == [flag]
    read = parse(flag)
    assert (read.field, read.code, read.args) == (
        "contact_name", "name-picked", {"picked": 'Maija "Mape" M.', "parts": ["a", "b:c"]})
    assert read.short == "unsure:contact_name:name-picked"
    assert read.to_dict()["reason"].startswith("contact_name: 'Maija \"Mape\" M.' taken as")


def test_a_code_without_texts_or_values_is_refused_where_the_flag_is_made() -> None:
    with pytest.raises(ValueError, match="unknown flag code"):
        unsure("title", "no-such-code")
    with pytest.raises(ValueError, match="needs"):
        unsure("contact_phone", "phone-extra", raw="09 1")


OLD_PHONE = ("unsure:contact_phone:'09 123 4567 / 123': only +358 9 1234567 is the phone; "
             "'/ 123' beside it (an extension, a switchboard, hours?) is kept in the contact "
             "text; check it")


def test_a_flag_an_older_version_stored_in_english_shows_as_it_is_beside_the_finnish_label(
        ) -> None:
    assert describe(OLD_PHONE, "fi") == (
        "tarkista (Puhelin): '09 123 4567 / 123': only +358 9 1234567 is the phone; '/ 123' "
        "beside it (an extension, a switchboard, hours?) is kept in the contact text; check it")
    assert describe(OLD_PHONE, "sv").startswith("kontrollera (Telefon): '09 123 4567")
    assert parse(OLD_PHONE).short == "unsure:contact_phone"
    # An old reason that happens to look like a code, a newer version's code, broken values,
    # a plain flag with an unexpected argument: shown, never an error.
    assert describe("unsure:goal:see{this}", "fi") == "tarkista (Tavoite): see{this}"
    assert describe('unsure:goal:new-code{"x":1}', "fi") == 'tarkista (Tavoite): new-code {"x": 1}'
    assert describe('unsure:goal:phone-extra{"x":1}', "fi") == 'Tavoite: {"x": 1}'
    assert describe("unsure:goal", "fi") == "tarkista (Tavoite): "
    assert describe("no-consent:what", "fi") == "no-consent:what"
    assert describe("something-new", "en") == "something-new"


def test_the_review_workbook_shows_an_older_english_flag_beside_the_new_finnish_ones(
        session, tmp_path: Path) -> None:
    import openpyxl
    from factories import make_practice

    from yhteistuumin_survey.review.export import export_review

    made = make_practice(session, title="Vanha lippu", flags=[
        OLD_PHONE, unsure("contact_email", "email-pattern", address="etunimi.sukunimi@espoo.fi")])
    session.commit()
    [written] = export_review(tmp_path / "outputs", session=session).files
    sheet = openpyxl.load_workbook(written.path).worksheets[0]
    cells = {cell.value: cell.column for cell in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(row=r, column=cells["ID"]).value == made.id)
    assert sheet.cell(row=row, column=cells["Huomiot"]).value.splitlines() == [
        describe(OLD_PHONE, "fi"),
        "Sähköposti: 'etunimi.sukunimi@espoo.fi' on osoitteen malli (etunimi.sukunimi) eikä "
        "kenenkään oma osoite. Kysy oikea osoite kunnalta."]


def test_every_word_of_the_finnish_texts_is_a_finnish_word_for_voikko(voikko) -> None:
    unknown = set()
    for text in [*UNSURE_TEXTS.values(), *PLAIN_TEXTS.values()]:
        words = re.sub(r"\{[a-z_]+\}", " ", text.fi)  # the values and labels filled in
        unknown |= {word for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", words)
                    if word not in NAMES and not voikko.spell(word)}
    for labels in flags.DEFAULT_LABELS["fi"].values():
        unknown |= {word for word in labels.split() if not voikko.spell(word)}
    assert unknown == set()


# --- what the reviewers and the CLI see of a real questionnaire ------------------------------


@pytest.fixture
def ingested(sqlite_engine, workspace, tmp_path):
    """A real questionnaire whose phone has an extension and whose email domain is a slip."""
    path = questionnaire_copy(tmp_path / "in")
    set_answer(path, "Käytäntö 1", "contact_phone", "09 123 4567 / 123")
    set_answer(path, "Käytäntö 1", "contact_email", "eija.koski@gmial.com")
    result = run_ingest([path], engine=sqlite_engine, workspace=workspace)
    practice = practices_by_title(sqlite_engine)["Kuntien välinen yhteistyö aluetyössä"]
    return result, practice


PHONE_FI = ("Puhelin: vastauksessa '09 123 4567 / 123' on numeron +358 9 1234567 lisäksi '123' "
            "(alanumero, vaihde, aukioloaika?). Puhelinnumeroksi otettiin vain +358 9 1234567, "
            "ja koko vastaus on yhteystietotekstissä; tarkista se.")
EMAIL_FI = ("Sähköposti: osoitteen 'eija.koski@gmial.com' verkkotunnus voi olla kirjoitusvirhe, "
            "ehkä tarkoitettiin 'gmail.com'. Osoitetta ei korjattu; tarkista se kunnalta.")


def test_the_review_workbook_says_the_flags_of_an_ingested_questionnaire_in_finnish(
        ingested, sqlite_engine, tmp_path) -> None:
    import openpyxl
    from sqlmodel import Session

    from yhteistuumin_survey.resources import bundled_path
    from yhteistuumin_survey.review.export import export_review
    from yhteistuumin_survey.survey import load_survey

    _result, practice = ingested
    survey = load_survey(bundled_path("survey/questions.yaml"))
    with Session(sqlite_engine) as session:
        [written] = export_review(tmp_path / "outputs", session=session, survey=survey).files
    sheet = openpyxl.load_workbook(written.path).worksheets[0]
    cells = {cell.value: cell.column for cell in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1)
               if sheet.cell(row=r, column=cells["ID"]).value == practice["id"])
    said = sheet.cell(row=row, column=cells["Huomiot"]).value.splitlines()
    assert PHONE_FI in said and EMAIL_FI in said
    assert not any(line.startswith("tarkista (") for line in said)


def test_the_ingest_report_workbook_says_the_flags_to_check_in_the_rounds_language(
        ingested, tmp_path) -> None:
    import openpyxl

    from yhteistuumin_survey.ingest import write_report_csv

    result, practice = ingested

    def reason_of(path: Path) -> str:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        heads = [cell.value for cell in sheet[1]]
        rows = [dict(zip(heads, (c.value for c in row), strict=True))
                for row in sheet.iter_rows(min_row=2)]
        practice_key = next(h for h in heads if h in ("Käytäntö", "Praxis"))
        reason_key = next(h for h in heads if h in ("Syy tai huomio", "Orsak eller anmärkning"))
        return next(r[reason_key] for r in rows if r[practice_key] == practice["id"])

    assert result.report_path is not None  # the run's own report, in Finnish
    finnish = reason_of(result.report_path)
    assert "Tarkistettavaa: " in finnish and PHONE_FI in finnish and EMAIL_FI in finnish
    assert "to check" not in finnish and "is the phone" not in finnish
    (tmp_path / "sv").mkdir()
    swedish = reason_of(write_report_csv(result, tmp_path / "sv", lang="sv"))
    assert "Att kontrollera: " in swedish
    assert ("Telefon: svaret '09 123 4567 / 123' har utöver numret +358 9 1234567 också '123'"
            in swedish)
    # The CLI and --format json keep the English.
    english = next(r["reason"] for r in result.rows() if r["practice_id"] == practice["id"])
    assert "to check: " in english
    assert "contact_phone: '09 123 4567 / 123': only +358 9 1234567 is the phone" in english


def test_practices_show_says_the_flags_in_english_and_json_keeps_code_and_values(
        ingested, sqlite_engine) -> None:
    from sqlmodel import Session

    from yhteistuumin_survey.practices import show_practice

    _result, practice = ingested
    with Session(sqlite_engine) as session:
        detail = show_practice(practice["id"], session=session)
    [line] = [line for line in detail.summary() if line.startswith("flags: ")]
    assert ("unsure:contact_phone:phone-extra (contact_phone: '09 123 4567 / 123': only "
            "+358 9 1234567 is the phone; '123' beside it") in line
    assert "unsure:contact_email:email-domain-typo (contact_email: 'eija.koski@gmial.com': " \
           "is the domain a typo of 'gmail.com'?" in line
    assert "tarkista" not in line and "Puhelin" not in line
    shown = {f["code"]: f for f in detail.to_dict()["flags"] if f["code"]}
    assert shown["phone-extra"]["args"] == {"raw": "09 123 4567 / 123",
                                            "number": "+358 9 1234567", "more": "123"}
    assert shown["email-domain-typo"]["field"] == "contact_email"
    assert shown["email-domain-typo"]["reason"].endswith("check it with the municipality.")


def test_every_flag_the_code_makes_has_texts_and_unsure_ones_come_from_the_module() -> None:
    package = Path(flags.__file__).parent
    made: dict[str, str] = {}
    for path in package.rglob("*.py"):
        if path.name == "flags.py":
            continue
        source = path.read_text(encoding="utf-8")
        # An unsure flag written by hand would be a sentence no reviewer can read in Finnish.
        assert not re.search(r"""f["']unsure:""", source), f"{path}: use flags.unsure()"
        # A flag's name written out (followed by its quote or its colon), not a variable's
        # name ("flags.extend(text_flags)").
        for name in re.findall(r"""flags\.(?:append|extend)\(\s*f?["'(]*([a-z][a-z-]+)(?=["':])""",
                               source) + re.findall(r"""_FLAG = ["']([a-z-]+)["']""", source) \
                + re.findall(r"""f["']([a-z][a-z-]+):\{[a-z_]+\}["'] for """, source):
            made.setdefault(name, str(path.relative_to(package)))
    unknown = {name: where for name, where in made.items()
               if name not in PLAIN_TEXTS and name not in {"unsure", "self", "typo"}}
    assert unknown == {}
    assert {"possible-duplicate", "no-consent", "hidden-sheet", "required-missing",
            "choice-value-unclear"} <= set(made)


def test_forget_takes_the_person_out_of_the_values_a_flag_quotes(workspace, session) -> None:
    from factories import make_practice
    from publish_support import settings_for
    from sqlmodel import select

    from yhteistuumin_survey.db.models import PracticeVersion
    from yhteistuumin_survey.privacy import forget_person

    email, name = "maija.meikalainen@gmial.com", "Maija Meikäläinen"
    practice = make_practice(
        session, title="Kulttuurikaveri", contact_name=name, contact_email=email, flags=[
            unsure("contact_email", "email-domain-typo", address=email, intended="gmail.com"),
            unsure("contact_name", "name-several", picked=f"{name} ja Matti Virtanen"),
            OLD_PHONE, "no-consent"])
    forget_person(workspace, email, session=session, settings=settings_for(workspace))

    session.expire_all()
    [version] = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id)).all()
    kept = version.flags
    assert not any("meikalainen" in f.casefold() or "meikäläinen" in f.casefold() for f in kept)
    # The flags still read as their codes, the values the person was in are cleaned.
    assert [parse(f).code for f in kept[:2]] == ["email-domain-typo", "name-several"]
    assert parse(kept[1]).args["picked"].endswith(" ja Matti Virtanen")
    assert kept[2:] == [OLD_PHONE, "no-consent"]
