"""Every email template for every municipality: names in their checked forms, nothing empty.

308 municipalities × invitation, reminder, thanks × fi, sv, fi-sv, sv-fi: the Finnish text
names the municipality in the genitive that ``data/genitives.csv`` holds (read through by
hand), never a bare name after a case word ("kunnalle Alajärvi"); the Swedish text uses its
Swedish name and writes "god praxis" / "exempel", never "goda praxis"; a bilingual message says
at its top that the other language follows; and no template prints an empty variable.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlmodel import select

from yhteistuumin_survey.config import load_settings
from yhteistuumin_survey.db.models import Municipality
from yhteistuumin_survey.messages import (
    KINDS,
    is_registry_address,
    message_context,
    render_bodies,
    render_subject,
)
from yhteistuumin_survey.survey import workspace_survey
from yhteistuumin_survey.templating import make_environment

GENITIVES = Path(__file__).parent / "data" / "genitives.csv"
LANGUAGES = ("fi", "sv", "fi-sv", "sv-fi")
#: What the Finnish text of each kind says with the genitive.
FINNISH_PHRASE = {"invite": "osoitettu {g} kulttuuripalveluille",
                  "remind": "Emme ole vielä saaneet {g} vastausta",
                  "thanks": "Olemme vastaanottaneet {g} vastauksen"}
SWEDISH_PHRASE = {"invite": "riktar sig till kulturtjänsterna i {n}.",
                  "remind": "fått något svar från {n}.",
                  "thanks": "tagit emot svaret från {n}."}
TOP_NOTICE = {"fi-sv": "På svenska nedan.", "sv-fi": "Suomeksi alla."}


class EmptyVariable(AssertionError):
    pass


def _never_empty(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise EmptyVariable("a template printed an empty variable")
    return value


@pytest.fixture
def strict_env(workspace):
    env = make_environment(workspace)
    env.finalize = _never_empty  # set before any template is compiled: applies to every {{ }}
    return env


def test_every_template_for_every_municipality(session, workspace, strict_env):
    settings = load_settings(workspace.root, overrides={"round.deadline": "2027-02-05"})
    survey = workspace_survey(workspace)
    with GENITIVES.open(encoding="utf-8") as handle:
        checked = {row["code"]: row["genitive"] for row in csv.DictReader(handle)}
    municipalities = list(session.exec(select(Municipality)
                                       .where(Municipality.active == True)))  # noqa: E712
    assert len(municipalities) == 308
    rendered = 0
    for municipality in municipalities:
        genitive = checked[municipality.code]
        for kind in KINDS:
            context = message_context(
                settings=settings, survey=survey, municipality=municipality, kind=kind,
                token="Tk-all", contact_name=None, sequence=1 if kind == "remind" else 0,
                attachment=None if kind == "thanks" else Path(f"{municipality.code}.xlsx"),
                address=f"kirjaamo@{municipality.code}.example.fi")
            assert context["municipality"]["genitive_fi"] == genitive
            for lang in LANGUAGES:
                context["municipality"]["language"] = lang
                context["subject"] = render_subject(strict_env, lang, context)
                text, html = render_bodies(strict_env, kind, lang, context)
                rendered += 1
                where = f"{municipality.code} {kind} {lang}"
                if lang in TOP_NOTICE:
                    assert text.startswith(TOP_NOTICE[lang]), where
                    assert TOP_NOTICE[lang] in html[:html.index("<div")], where
                if "fi" in lang:
                    phrase = FINNISH_PHRASE[kind].format(g=genitive)
                    assert phrase in text, where
                    assert phrase.replace(genitive, f"<strong>{genitive}</strong>") in html, where
                    assert f"kunnalle {municipality.name_fi}" not in text, where
                    assert "Kirjaamolle:" in text, where
                if "sv" in lang:
                    name = municipality.name_sv or municipality.name_fi
                    assert SWEDISH_PHRASE[kind].format(n=name) in text, where
                    assert "Till registratorskontoret:" in text, where
                    assert not re.search(r"goda praxis|\d+ praxis|praxisen", text), where
                assert "tietosuojaseloste" in text, where
                assert "{{" not in text + html and "{%" not in text + html, where
                assert 'bgcolor="#0a4f86"' in html, where  # the form link is a button
    assert rendered == 308 * 3 * 4


def test_registry_offices_are_recognised_by_their_shared_mailbox():
    assert is_registry_address("kirjaamo@alajarvi.fi")
    assert is_registry_address("Registrator@pedersore.fi")
    assert is_registry_address("kirjaamo.kulttuuri@espoo.fi")
    assert not is_registry_address("kulttuuri@alajarvi.fi")
    assert not is_registry_address("maija.kirjaamo@espoo.fi")
    assert not is_registry_address(None)


def test_a_personal_address_is_not_asked_to_forward_and_the_privacy_url_is_a_setting(
        session, workspace, strict_env):
    settings = load_settings(workspace.root, overrides={
        "round.privacy_url": "https://www.espoo.fi/tietosuoja/yhteistuumin",
        "round.answer_minutes": "15"})
    context = message_context(settings=settings, survey=workspace_survey(workspace),
                              municipality=session.get(Municipality, "005"), kind="invite",
                              token="t", contact_name="Aino", attachment=None,
                              address="aino.kulttuuri@alajarvi.example.fi")
    context["subject"] = render_subject(strict_env, "fi", context)
    text, html = render_bodies(strict_env, "invite", "fi", context)

    assert text.startswith("Hyvä Aino,") and "Kirjaamolle" not in text
    assert "Tämä kysely on osoitettu Alajärven kulttuuripalveluille." in text
    assert "Vastaaminen vie noin 15 minuuttia." in text
    assert '<a href="https://www.espoo.fi/tietosuoja/yhteistuumin">tietosuojaseloste</a>' in html


def test_the_swedish_of_the_web_form_and_the_review_workbook_counts_examples_not_praxis():
    """The rule of the messages above, for the other Swedish texts people read (the web form's
    welcome, the questions, the reviewers' instructions): "god praxis" is not counted."""
    from yhteistuumin_survey.resources import bundled_path
    from yhteistuumin_survey.review.export import INSTRUCTIONS_SV
    from yhteistuumin_survey.survey import load_survey
    from yhteistuumin_survey.webform import _WELCOME

    survey = load_survey(bundled_path("survey/questions.yaml"))
    texts = [_WELCOME["sv"], *INSTRUCTIONS_SV, survey.title("sv")]
    for question in survey.questions:
        texts += [question.label("sv"), question.card_label("sv"), question.help_text("sv")]
        texts += [choice.label("sv") for choice in question.choices]
    for text in texts:
        assert not re.search(r"goda praxis\b|\d+ praxis|\bpraxis \d|\ben praxis\b", text, re.I), text
