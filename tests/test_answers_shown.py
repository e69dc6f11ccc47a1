"""What the reviewers and the site see of the answers: consent in three states, keywords as
typed beside their concepts, unsure values in plain words, keyword filters on concepts."""

from __future__ import annotations

from factories import make_practice

from yhteistuumin_survey.normalise import bundled_vocabulary
from yhteistuumin_survey.publish import keyword_facets
from yhteistuumin_survey.resources import bundled_path
from yhteistuumin_survey.survey import load_survey


def test_the_review_workbook_shows_unknown_consent_concepts_and_unsure_flags(session) -> None:
    from yhteistuumin_survey.review.export import collect_rows

    survey = load_survey(bundled_path("survey/questions.yaml"))
    make_practice(session, title="Kylätanssit", publish_consent=None,
                  keywords=["kylät", "Sirkus", "tanssi"],
                  flags=["unsure:keywords:heading 'Avainsanoja' read as keywords by a close "
                         "spelling (90); check it", "consent-unknown"])
    make_practice(session, title="Kirjastokaveri", publish_consent=False, keywords=["kirjasto"],
                  flags=["no-consent"])
    rows = {row.values["title"]: row.values for row in collect_rows(session=session, survey=survey)}
    unknown, refused = rows["Kylätanssit"], rows["Kirjastokaveri"]
    assert unknown["contact"].endswith("(julkaisulupa ei tiedossa)")
    assert refused["contact"].endswith("(ei julkaisulupaa)")
    assert unknown["keywords"] == "kylät (→ kylät ⊂ maaseutu), Sirkus, tanssi"
    assert "tarkista (Avainsanat): heading 'Avainsanoja'" in unknown["flags"]
    assert "Lupa julkaista yhteystiedot: vastaus on tyhjä, joten julkaisulupaa ei ole." in \
        unknown["flags"]


def test_site_filters_on_the_keyword_concept_and_its_broader_ones() -> None:
    vocabulary = bundled_vocabulary()
    assert keyword_facets("byar", vocabulary) == [("villages", "kylät"), ("rural_areas", "maaseutu")]
    assert keyword_facets("Kylät", vocabulary)[0][0] == "villages"
    assert keyword_facets("Sirkus", vocabulary) == [("sirkus", "Sirkus")]
