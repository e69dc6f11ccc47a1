"""``practices show`` (one practice whole) and ``practices list`` filters by name or code."""

from __future__ import annotations

import json
import shutil

import pytest
from factories import make_practice
from ingest_support import DATA

from yhteistuumin_survey.db.models import ReviewDecision
from yhteistuumin_survey.errors import InputError
from yhteistuumin_survey.practices import find_practices, show_practice


@pytest.fixture
def espoo_practice(session):
    practice = make_practice(session, title="4V: aluetyö", municipalities=["049"], version=2,
                             status="approved", goal="Yhteistyö yli kuntarajojen",
                             flags=["no-consent", "required-missing:goal"])
    session.add(ReviewDecision(practice_id=practice.id, version=2, decision="approved",
                               previous_status="new", reviewer="Aino", comment="Hyvä kortti",
                               source_file="arviointi.xlsx", source_row=4))
    make_practice(session, title="Turun runoilta", municipalities=["853"])
    session.commit()
    return practice


def test_show_gives_the_card_flags_with_reasons_source_versions_and_reviews(session,
                                                                            espoo_practice):
    detail = show_practice(espoo_practice.id, session=session)

    data = detail.to_dict()
    assert data["card"]["title"] == "4V: aluetyö" and data["card"]["municipalities"] == ["049"]
    assert data["municipalities"] == [{"code": "049", "name": "Espoo", "source": "token"}]
    assert data["flags"][0] == {
        "flag": "no-consent", "short": "no-consent", "name": "no-consent",
        "field": "publish_consent", "code": None, "args": {},
        "reason": "publish_consent: no consent to publish the contact details; they are left "
                  "off the site."}
    assert data["flags"][1]["reason"].endswith(": a required answer is missing.")
    assert data["source"]["file"].endswith("-2.xlsx") and data["source"]["sheet"] is None
    assert [v["title"] for v in data["versions"]] == ["4V: aluetyö (v1)", "4V: aluetyö"]
    assert data["review"][0]["decision"] == "approved" and data["review"][0]["reviewer"] == "Aino"
    lines = detail.summary()
    assert lines[0] == f"#{espoo_practice.id} 4V: aluetyö"
    assert "Kunnat: Espoo (049, token)" in lines
    assert any(line.startswith("review ") and "new -> approved" in line for line in lines)


def test_show_says_an_unanswered_consent_is_unknown_never_a_no(session):
    asked = make_practice(session, title="Kysytty", contact_name="Aino Esimerkki",
                          publish_consent=None)
    refused = make_practice(session, title="Kielletty", contact_name="Aino Esimerkki",
                            publish_consent=False)

    unknown = show_practice(asked.id, session=session)
    no = show_practice(refused.id, session=session)

    assert unknown.card["contact"]["publish_consent"] is None
    assert any("consent unknown" in line for line in unknown.summary())
    assert any(line.endswith("(not to be published)") for line in no.summary())


def test_show_names_the_target_groups_by_their_labels(session, workspace):
    from yhteistuumin_survey.survey import workspace_survey

    practice = make_practice(session, title="Kenelle", target_group=["children", "families"])

    detail = show_practice(practice.id, session=session, survey=workspace_survey(workspace))

    assert detail.card["target_group"] == ["children", "families"]  # stored ids in JSON
    assert "Kenelle: Lapset, Perheet" in detail.summary()


def test_show_gives_the_reviewers_keywords_the_card_shows_instead(session):
    practice = make_practice(session, title="Lukupiiri", keywords=["lukeminen"],
                             corrected_keywords=["kirjasto", "nuoret"])

    lines = show_practice(practice.id, session=session).summary()

    assert "Avainsanat: lukeminen" in lines
    assert "reviewer's keywords: kirjasto, nuoret" in lines


def test_show_of_a_missing_practice_is_an_error_naming_it(session):
    with pytest.raises(InputError, match=r"^practice 999: no such practice"):
        show_practice(999, session=session)


@pytest.mark.parametrize("text", ["Espoo", "Esbo", "049", "49", "Espoon"])
def test_list_takes_a_municipality_by_name_in_finnish_or_swedish_or_by_code(
        session, espoo_practice, text):
    found = find_practices(session=session, municipality=text)

    assert [p["title"] for p in found.practices] == ["4V: aluetyö"]


@pytest.mark.parametrize("text", ["Uusimaa", "Nyland", "01", "uusimaa"])
def test_list_takes_a_region_by_name_or_code(session, espoo_practice, text):
    assert [p["title"] for p in find_practices(session=session, region=text).practices] == [
        "4V: aluetyö"]


def test_an_unknown_name_is_a_one_line_error_with_close_names(session, espoo_practice):
    with pytest.raises(InputError) as unknown:
        find_practices(session=session, municipality="Espooo-kylä")
    with pytest.raises(InputError) as region:
        find_practices(session=session, region="Uusimaaa")

    assert str(unknown.value).startswith("-m 'Espooo-kylä': no municipality by that name")
    assert "\n" not in str(unknown.value)
    assert str(region.value) == "--region 'Uusimaaa': no region by that name; did you mean Uusimaa?"


def test_practices_show_and_list_by_name_on_the_command_line(cli, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "msforms.xlsx", inbox / "msforms.xlsx")
    assert cli("ingest", str(inbox)).exit_code == 0
    listed = cli("practices", "list", "-m", "Rovaniemi", "--format", "json")
    practice_id = json.loads(listed.stdout)[0]["id"]

    shown = cli("practices", "show", str(practice_id))
    as_json = cli("practices", "show", str(practice_id), "--format", "json")
    missing = cli("practices", "show", "999")

    assert shown.exit_code == 0, shown.output
    assert "source: msforms.xlsx, sheet Sheet1, row 3 (msforms)" in shown.stdout
    assert ("flags: no-consent (publish_consent: no consent to publish the contact details; "
            "they are left off the site.)") in shown.stdout
    assert json.loads(as_json.stdout)["source"]["row"] == 3
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: practice 999: no such")
    by_region = cli("practices", "list", "--region", "Lappi")
    assert by_region.stdout.splitlines()[-1] == "1 practice"
