"""``status``: the round's numbers by region and in total, the chart and the status page."""

from __future__ import annotations

import pytest
from factories import make_practice
from sqlmodel import select

from yhteistuumin_survey.db.models import (
    Contact,
    OutboundMessage,
    ReceivedFile,
    Submission,
    SurveyToken,
)
from yhteistuumin_survey.followup import follow_up
from yhteistuumin_survey.status import (
    STATUS_KEYS,
    ChartFormatError,
    draw_chart,
    round_status,
    write_status_page,
)

ROUND = "kevat-2027"


@pytest.fixture
def round_db(session):
    """Five municipalities in three regions at different stages of the round."""
    for code, status in (("049", "valid"), ("091", "valid"), ("092", "bounced"),
                         ("853", "valid"), ("837", "valid")):
        session.add(Contact(municipality_code=code, email=f"kulttuuri@{code}.example.fi",
                            status=status))
    for code, kind, state, round_name in (
            ("049", "invite", "sent", ROUND), ("049", "remind", "sent", ROUND),
            ("091", "invite", "sent", ROUND), ("092", "invite", "sent", ROUND),
            ("853", "invite", "sent", ROUND), ("837", "invite", "failed", ROUND),
            ("837", "invite", "sent", "syksy-2026")):  # another round: not counted
        session.add(OutboundMessage(round_name=round_name, municipality_code=code,
                                    address=f"kulttuuri@{code}.example.fi", kind=kind,
                                    sequence=1 if kind == "remind" else 0, state=state))
    session.add(SurveyToken(round_name=ROUND, municipality_code="853", token="tok-853"))
    received = ReceivedFile(sha256="f" * 64, original_name="turku.xlsx",
                            stored_path="outputs/received/turku.xlsx", size=1)
    session.add(received)
    session.flush()
    session.add(Submission(received_file_id=received.id, locator="Käytäntö 1",
                           format="questionnaire", raw={}, response_key="tok-853",
                           status="practice"))
    session.commit()
    joint = make_practice(session, title="Yhteinen", status="approved",
                          municipalities=["049", "091"])
    copy = make_practice(session, title="Kaksoiskappale", status="approved",
                         municipalities=["091"])
    copy.duplicate_of_id = joint.id
    session.add(copy)
    make_practice(session, title="Hylätty", status="rejected", municipalities=["853"])
    session.commit()
    return session


def test_status_counts_by_region_and_in_total(round_db):
    status = round_status(session=round_db, round_name=ROUND)

    regions = {row["code"]: row for row in status.regions}
    assert len(status.regions) == 19
    assert set(status.to_dict()) == {"totals", "regions"}
    assert list(regions["01"]) == ["code", "name", *STATUS_KEYS]
    assert regions["01"] == {
        "code": "01", "name": "Uusimaa", "municipalities": 26, "with_contact": 2, "invited": 3,
        "bounced": 1, "reminded": 1, "answered": 2, "answered_uninvited": 0, "practices": 2, "approved": 2,
        "published": 1, "response_rate": 0.6667}
    assert regions["02"] == {
        "code": "02", "name": "Varsinais-Suomi", "municipalities": 27, "with_contact": 1,
        "invited": 1, "bounced": 0, "reminded": 0, "answered": 1, "answered_uninvited": 0,
        "practices": 1,
        "approved": 0, "published": 0, "response_rate": 1.0}
    assert regions["06"]["with_contact"] == 1 and regions["06"]["invited"] == 0
    assert regions["06"]["response_rate"] == 0.0
    assert status.totals == {
        "municipalities": 308, "with_contact": 4, "invited": 4, "bounced": 1, "reminded": 1,
        "answered": 3, "answered_uninvited": 0, "practices": 3, "approved": 2, "published": 1,
        "response_rate": 0.75}


def test_status_of_an_empty_round_has_zero_rates(session):
    status = round_status(session=session, round_name=ROUND)

    assert status.totals["municipalities"] == 308
    assert status.totals["invited"] == 0 and status.totals["response_rate"] == 0.0
    assert all(row["response_rate"] == 0.0 for row in status.regions)


def test_chart_is_accessible_svg_and_the_status_page_holds_it_inline(round_db, workspace,
                                                                     tmp_path):
    import datetime as dt

    status = round_status(session=round_db, round_name=ROUND)
    rows = follow_up(session=round_db, round_name=ROUND)

    chart = draw_chart(status, tmp_path / "chart.svg")
    page = write_status_page(workspace, status, site_title="Testi", follow_up=rows,
                             made_at=dt.datetime(2027, 1, 5, 10, 7, tzinfo=dt.UTC))

    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and 'role="img"' in svg
    assert 'aria-labelledby="chart-title chart-desc"' in svg and '<title id="chart-title">' in svg
    assert "yhteensä 75,0\u00a0%" in svg and "66,7\u00a0% (2/3)" in svg
    assert "0\u00a0%<" in svg and "100\u00a0%<" in svg  # the same spacing on every tick
    html = page.read_text(encoding="utf-8")
    assert page == workspace.outputs / "status.html"
    assert '<html lang="fi">' in html and "<style>" in html and "--accent" in html
    assert "<svg" in html and '<title id="chart-title">' in html
    assert '<time datetime="2027-01-05T10:07:00+00:00">Päivitetty 5.1.2027 klo 12.07</time>' in html
    assert "<th scope=\"row\">Uusimaa</th>" in html and "66,7\u00a0%" in html
    assert "<th scope=\"row\">Yhteensä</th>" in html and "75,0\u00a0%" in html
    assert "66.7" not in html and "75.0" not in html
    # the follow-up table comes below the regions: every municipality, Vantaa to find an address
    assert html.index("Seuranta kunnittain") > html.index("status-caption")
    assert html.count("<tr>") >= 19 + 1 + 308
    assert "<th scope=\"row\">Vantaa</th>" in html and "etsi uusi osoite" in html


def test_a_full_bar_and_its_label_stay_inside_the_axis(round_db):
    from yhteistuumin_survey.status import _LABELS_WIDTH, _PLOT_WIDTH, chart_context

    status = round_status(session=round_db, round_name=ROUND)
    chart = chart_context(status)

    turku = next(bar for bar in chart["bars"] if bar["name"] == "Varsinais-Suomi")
    assert turku["width"] == _PLOT_WIDTH and turku["inside"]
    assert turku["label_x"] <= _LABELS_WIDTH + _PLOT_WIDTH
    assert all(bar["width"] <= _PLOT_WIDTH for bar in chart["bars"])


def test_a_png_chart_is_refused_with_the_svg_name_to_use(round_db, tmp_path):
    status = round_status(session=round_db, round_name=ROUND)

    with pytest.raises(ChartFormatError, match=r"chart.png: the chart is drawn as SVG only; "
                                                r"name the file chart.svg"):
        draw_chart(status, tmp_path / "chart.png")
    assert not (tmp_path / "chart.png").exists()


def test_a_partner_named_in_a_practice_has_not_answered(session):
    """Espoo's questionnaire names Vantaa as partner: Espoo answered, Vantaa did not."""
    from yhteistuumin_survey.db.models import PracticeMunicipality
    from yhteistuumin_survey.status import answered_codes

    joint = make_practice(session, title="Yhteinen aluetyö", municipalities=["049"],
                          municipality_source="token")
    session.add(PracticeMunicipality(practice_id=joint.id, municipality_code="092",
                                     source="text"))
    # A web-form answer names its municipality only in its text: that one answered.
    make_practice(session, title="Lomakkeelta", municipalities=["853"],
                  municipality_source="text")
    # An anonymous row naming several tells nobody's answer; a rejected one counts for nobody.
    make_practice(session, title="Nimetön", municipalities=["837", "091", "179"],
                  municipality_source="text")
    make_practice(session, title="Hylätty", municipalities=["297"], status="rejected",
                  municipality_source="token")
    # A reviewer moved a practice to Kotka: Kotka did not answer, the reporter Lahti did.
    moved = make_practice(session, title="Siirretty", municipalities=["398"],
                          municipality_source="metadata")
    for row in session.exec(select(PracticeMunicipality).where(
            PracticeMunicipality.practice_id == moved.id)):
        row.superseded = True
    session.add(PracticeMunicipality(practice_id=moved.id, municipality_code="285",
                                     source="reviewer"))
    session.commit()

    assert answered_codes(session=session, round_name=ROUND) == {"049", "853", "398"}
    totals = round_status(session=session, round_name=ROUND).totals
    # nobody was invited: the three answered uninvited, and the rate stays 0
    assert totals["answered"] == 0 and totals["answered_uninvited"] == 3
    assert totals["response_rate"] == 0.0
    from yhteistuumin_survey.status import mentioned_codes

    assert mentioned_codes(session=session, round_name=ROUND) == {"092", "837", "091", "179"}


def test_a_swedish_round_gets_a_swedish_page_and_summary(round_db, workspace):
    status = round_status(session=round_db, round_name=ROUND, lang="sv")

    html = write_status_page(workspace, status).read_text(encoding="utf-8")

    assert status.regions[0]["name"] == "Nyland"
    assert status.summary() == ["3 av 4 inbjudna kommuner har svarat (75,0\u00a0%)."]
    assert '<html lang="sv">' in html and "Svarsprocent per landskap – totalt 75,0\u00a0%" in html
    assert "<th scope=\"row\">Totalt</th>" in html and "Uppdaterad " in html
    # The table on the screen is headed in Swedish too, to its first column.
    from yhteistuumin_survey.status import render_status

    assert render_status(status, "table").splitlines()[0].split()[:3] == [
        "Kod", "Landskap", "Kommuner"]
