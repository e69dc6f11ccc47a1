"""``status``: rates over invited municipalities only, and the follow-up list of whom to chase."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from factories import make_practice
from openpyxl import load_workbook
from send_support import round_env
from sqlmodel import Session, select

from yhteistuumin_survey.db.models import (
    Contact,
    OutboundMessage,
    PracticeMunicipality,
    ReceivedFile,
    Submission,
    SurveyToken,
)
from yhteistuumin_survey.followup import follow_up
from yhteistuumin_survey.status import round_status

ROUND = "kevat-2027"
T0 = dt.datetime(2027, 1, 7, 9, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # every reminder due


def _send(session, code: str, kind: str = "invite", sequence: int = 0,
          when: dt.datetime = T0, state: str = "sent") -> None:
    session.add(OutboundMessage(round_name=ROUND, municipality_code=code,
                                address=f"kirjaamo@{code}.example.fi", kind=kind,
                                sequence=sequence, state=state, sent_at=when))


@pytest.fixture
def two_invited_three_answered(session):
    """Helsinki and Alajärvi invited; Helsinki, Espoo and Turku answered."""
    for code in ("091", "005", "049", "853", "837"):
        session.add(Contact(municipality_code=code, email=f"kirjaamo@{code}.example.fi"))
    _send(session, "091")
    _send(session, "005")
    session.commit()
    make_practice(session, title="Helsingin käytäntö", municipalities=["091"])
    make_practice(session, title="Espoon käytäntö", municipalities=["049"],
                  municipality_source="metadata", status="approved")
    make_practice(session, title="Turun käytäntö", municipalities=["853"],
                  file_format="msforms", municipality_source="text")
    return session


def test_no_rate_passes_100_percent_when_uninvited_municipalities_answer(
        two_invited_three_answered):
    status = round_status(session=two_invited_three_answered, round_name=ROUND)

    regions = {row["name"]: row for row in status.regions}
    assert all(row["response_rate"] <= 1.0 for row in status.regions)
    assert regions["Uusimaa"]["invited"] == 1 and regions["Uusimaa"]["answered"] == 1
    assert regions["Uusimaa"]["answered_uninvited"] == 1  # Espoo, shown apart
    assert regions["Uusimaa"]["response_rate"] == 1.0
    assert regions["Varsinais-Suomi"]["answered_uninvited"] == 1
    assert regions["Varsinais-Suomi"]["response_rate"] == 0.0
    assert status.totals["invited"] == 2 and status.totals["answered"] == 1
    assert status.totals["answered_uninvited"] == 2 and status.totals["response_rate"] == 0.5
    for key in ("invited", "answered", "answered_uninvited", "practices"):
        assert sum(row[key] for row in status.regions) == status.totals[key]
    assert status.summary() == ["1/2 kutsutusta kunnasta on vastannut (50,0\u00a0%).",
                                "Lisäksi 2 kuntaa vastasi kutsumatta."]


def test_the_row_of_an_uninvited_municipality_that_answered_says_so(two_invited_three_answered):
    rows = follow_up(session=two_invited_three_answered, round_name=ROUND,
                     now=T0 + dt.timedelta(days=30))

    assert len(rows.rows) == 308
    espoo = next(row for row in rows.shown_rows() if row["code"] == "049")
    assert espoo["invited"] == "" and espoo["answered"] == "Excel-lomake (vastasi kutsumatta)"
    assert espoo["next_action"] == "ei toimenpiteitä (vastasi kutsumatta)"
    assert espoo["practices"] == 1 and espoo["approved"] == 1
    by_code = {row["code"]: row for row in rows.rows}
    assert by_code["091"]["answered"] and not by_code["091"]["answered_uninvited"]
    assert by_code["853"]["answered_how"] == ["web form"]
    assert by_code["005"]["next_action"] == "remind" and by_code["005"]["invited"] == "2027-01-07"
    assert by_code["837"]["next_action"] == "invite"  # a contact, never invited
    assert by_code["092"]["next_action"] == "find-address"  # no contact at all


def test_next_action_follows_bounces_and_reminders(session):
    session.add(Contact(municipality_code="005", email="kirjaamo@alajarvi.example.fi",
                        status="bounced"))
    # the addresses the messages went to (``_send``): a reminder goes only to an address
    # that had the invitation
    session.add(Contact(municipality_code="009", email="kirjaamo@009.example.fi",
                        phone="+358 8 123 4567"))
    session.add(Contact(municipality_code="010", email="kirjaamo@010.example.fi"))
    for code in ("005", "009", "010"):
        _send(session, code)
    for sequence, day in ((1, 14), (2, 21)):
        _send(session, "009", "remind", sequence, dt.datetime(2027, 1, day, 8, tzinfo=dt.UTC))
    _send(session, "010", "remind", 1, dt.datetime(2027, 1, 14, 8, tzinfo=dt.UTC))
    _send(session, "010", "remind", 2, state="failed")  # not sent: not counted
    session.commit()

    rows = {row["code"]: row for row in follow_up(session=session, round_name=ROUND,
                                                   max_reminders=2, now=LATER).rows}

    assert rows["005"]["next_action"] == "find-new-address"
    assert rows["005"]["bounced"] == ["kirjaamo@alajarvi.example.fi"]
    assert rows["009"]["reminders"] == 2 and rows["009"]["last_reminder"] == "2027-01-21"
    assert rows["009"]["next_action"] == "phone" and rows["009"]["phones"] == ["+358 8 123 4567"]
    assert rows["010"]["reminders"] == 1 and rows["010"]["next_action"] == "remind"
    open_rows = follow_up(session=session, round_name=ROUND, only_open=True, now=LATER).rows
    assert {"005", "009", "010"} <= {row["code"] for row in open_rows}


def test_a_reminder_not_yet_due_says_from_which_day_as_send_remind_counts_it(session):
    """"Remind" the day after the invitation led the coordinator to a `send remind` that
    skips everyone ("last message 1.0 days ago (wait 7)"): the list says when instead."""
    for code in ("005", "009"):
        session.add(Contact(municipality_code=code, email=f"kirjaamo@{code}.example.fi"))
        _send(session, code)
    _send(session, "009", "remind", 1, T0 + dt.timedelta(days=8))
    session.commit()
    day_after = T0 + dt.timedelta(days=1)

    listed = follow_up(session=session, round_name=ROUND, min_days=7, now=day_after)
    rows = {row["code"]: row for row in listed.shown_rows()}
    assert rows["005"]["next_action"] == "muistuta 14.1.2027 alkaen"
    assert rows["009"]["next_action"] == "muistuta 22.1.2027 alkaen"  # 7 days after reminder 1
    assert listed.to_dict()["rows"][0]["remind_from"] == "2027-01-14"
    # A number as the subject: the verb in the singular, both of them alike ("306 vaativat
    # toimia, 2 odottaa" mixed plural and singular in one sentence).
    assert listed.summary() == ["308 kuntaa, 306 vaatii toimia, "
                                "2 odottaa seuraavaa muistutusta."]
    swedish = follow_up(session=session, round_name=ROUND, lang="sv", now=day_after)
    assert {row["code"]: row for row in swedish.shown_rows()}["005"]["next_action"] == (
        "påminn från och med 14.1.2027")
    assert swedish.summary()[0].endswith(", 2 väntar på nästa påminnelse.")
    # On the day, it is due: the list and send remind agree.
    due = follow_up(session=session, round_name=ROUND, now=T0 + dt.timedelta(days=7))
    assert {row["code"]: row for row in due.rows}["005"]["next_action"] == "remind"


def test_an_invitation_of_unknown_fate_asks_for_a_check_not_a_new_invitation(session):
    """A run killed or cut off after the whole message went out leaves the invitation
    uncertain: "send the invitation" would invite a second copy (--resend-uncertain)."""
    for code in ("005", "009"):
        session.add(Contact(municipality_code=code, email=f"kirjaamo@{code}.example.fi"))
    _send(session, "005", state="uncertain")
    _send(session, "009", state="failed")
    session.commit()

    rows = {row["code"]: row for row in follow_up(session=session, round_name=ROUND).rows}
    swedish = {row["code"]: row for row in follow_up(session=session, round_name=ROUND,
                                                      lang="sv").shown_rows()}

    assert rows["005"]["next_action"] == "check-invite" and rows["005"]["invited"] is None
    assert rows["009"]["next_action"] == "invite"
    finnish = {row["code"]: row for row in follow_up(session=session,
                                                      round_name=ROUND).shown_rows()}
    assert finnish["005"]["next_action"] == "tarkista, menikö kutsu perille"
    assert swedish["005"]["next_action"] == "kontrollera om inbjudan kom fram"


def test_a_joint_practice_counts_for_each_municipality_and_its_token_says_how(session):
    for code in ("049", "091", "092"):
        _send(session, code)
    session.add(SurveyToken(round_name=ROUND, municipality_code="092", token="tok-092"))
    received = ReceivedFile(sha256="e" * 64, original_name="vantaa.xlsx",
                            stored_path="outputs/received/vantaa.xlsx", size=1,
                            message_time=dt.datetime(2027, 1, 9, 12, tzinfo=dt.UTC))
    session.add(received)
    session.flush()
    session.add(Submission(received_file_id=received.id, locator="Käytäntö 1",
                           format="questionnaire", raw={}, response_key="tok-092",
                           status="practice"))
    session.commit()
    joint = make_practice(session, title="4V", municipalities=["049"], status="approved")
    session.add(PracticeMunicipality(practice_id=joint.id, municipality_code="091",
                                     source="text"))
    session.commit()

    status = round_status(session=session, round_name=ROUND)
    rows = {row["code"]: row for row in follow_up(session=session, round_name=ROUND).rows}

    assert status.totals["answered"] == 2  # Espoo (token) and Vantaa (its token came back)
    assert status.totals["practices"] == 1  # one joint practice, counted once in the total
    assert rows["091"]["practices"] == 1 and not rows["091"]["answered"]  # a named partner
    assert rows["091"]["next_action"] == "find-address"
    assert rows["092"]["answered_how"] == ["workbook"]
    assert rows["092"]["answered_at"] == "2027-01-09"


def test_follow_up_in_swedish(two_invited_three_answered):
    rows = follow_up(session=two_invited_three_answered, round_name=ROUND, lang="sv")

    espoo = next(row for row in rows.shown_rows() if row["code"] == "049")
    assert espoo["name"] == "Esbo" and espoo["region"] == "Nyland"
    assert espoo["answered"] == "Excel-formulär (svarade utan inbjudan)"
    assert rows.headings()[-1] == "Nästa åtgärd"


# --- the command ---------------------------------------------------------------------------

@pytest.fixture
def loaded(cli, workspace):
    from yhteistuumin_survey.resources import bundled_path

    result = cli("register", "contacts", str(bundled_path("recipients/contacts.example.csv")))
    assert result.exit_code == 0, result.output
    return cli


def _workspace_session(workspace):
    from yhteistuumin_survey.db.engine import make_engine

    return Session(make_engine(f"sqlite:///{workspace.outputs / 'yhteistuumin.sqlite'}"),
                   expire_on_commit=False)


def test_status_after_sending_only_two_and_three_answers(loaded, workspace):
    from send_support import mail_server

    with mail_server() as server:
        env = {"YHTEISTUUMIN_SMTP_HOST": "127.0.0.1", "YHTEISTUUMIN_SMTP_PORT": str(server.port),
               "YHTEISTUUMIN_SMTP_SECURITY": "none", "YHTEISTUUMIN_SMTP_RATE": "1000/s",
               **round_env()}
        sent = loaded("send", "invite", "--only", "091,005", "--yes", env=env)
    assert sent.exit_code == 0, sent.output
    with _workspace_session(workspace) as session:
        for code, title in (("091", "Helsinki"), ("049", "Espoo"), ("853", "Turku")):
            make_practice(session, title=title, municipalities=[code])
        rovaniemi = session.exec(select(Contact).where(Contact.municipality_code == "698"))
        for contact in rovaniemi:
            contact.status = "bounced"
        session.commit()

    regions = loaded("status", "--format", "json")
    listing = loaded("status", "--by", "municipality", "--format", "json")
    table = loaded("status")

    assert regions.exit_code == 0, regions.output
    data = json.loads(regions.stdout)
    assert max(row["response_rate"] for row in data["regions"]) <= 1.0
    assert data["totals"]["response_rate"] == 0.5 and data["totals"]["answered_uninvited"] == 2
    rows = json.loads(listing.stdout)["rows"]
    assert len(rows) == 308
    espoo = next(row for row in rows if row["code"] == "049")
    assert espoo["answered_uninvited"] and espoo["invited"] is None
    rovaniemi_row = next(row for row in rows if row["code"] == "698")
    assert rovaniemi_row["next_action_text"] == "etsi uusi osoite"
    assert "Lisäksi 2 kuntaa vastasi kutsumatta." in table.stdout


def test_follow_up_workbook_can_be_filtered_and_printed(loaded, workspace, tmp_path):
    out = tmp_path / "seuranta.xlsx"

    result = loaded("status", "--by", "municipality", "--only-open", "--format", "xlsx",
                    "--out", str(out))

    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]][:3] == ["Koodi", "Kunta", "Maakunta"]
    assert sheet.max_row == 309  # nobody answered yet: all 308 are open
    assert sheet.auto_filter.ref == "A1:N309" and sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.column_dimensions["E"].width > 20  # the addresses fit
    assert sheet["N2"].value == "lähetä kutsu"


def test_follow_up_csv_opens_in_a_finnish_excel(loaded, tmp_path):
    out = tmp_path / "seuranta.csv"

    result = loaded("status", "--by", "municipality", "--format", "csv", "--out", str(out))

    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("Koodi;Kunta;")


def test_xlsx_without_out_and_png_chart_are_one_line_errors(cli, tmp_path):
    no_out = cli("status", "--by", "municipality", "--format", "xlsx")
    png = cli("status", "--chart", str(tmp_path / "rate.png"))

    assert no_out.exit_code == 1 and no_out.stderr == (
        "Error: --format xlsx writes a file; add --out FILE.xlsx\n")
    assert png.exit_code == 1 and png.stderr.startswith("Error: ")
    assert "name the file rate.svg" in png.stderr and len(png.stderr.splitlines()) == 1


def test_regions_written_to_a_file_open_in_a_finnish_excel(cli, tmp_path):
    book, text = tmp_path / "tilanne.xlsx", tmp_path / "tilanne.csv"

    assert cli("status", "--format", "xlsx", "--out", str(book)).exit_code == 0
    assert cli("status", "--format", "csv", "--out", str(text)).exit_code == 0

    sheet = load_workbook(book).active
    assert [c.value for c in sheet[1]][:3] == ["Koodi", "Maakunta", "Kunnat"]
    assert sheet.max_row == 1 + 19 + 1 and sheet["B21"].value == "Yhteensä"
    lines = text.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Koodi;Maakunta;Kunnat;") and lines[-1].endswith(";0,0\u00a0%")


def test_the_round_s_status_says_how_many_invitations_are_of_unknown_fate(session):
    from yhteistuumin_survey.status import round_status

    for code in ("005", "009", "010"):
        session.add(Contact(municipality_code=code, email=f"kirjaamo@{code}.example.fi"))
    _send(session, "005", state="uncertain")
    _send(session, "009", state="uncertain")
    _send(session, "010")
    session.commit()

    status = round_status(session=session, round_name=ROUND)
    assert status.totals["invited"] == 1 and status.uncertain == 2
    assert status.summary()[-1] == (
        "2 kunnan kutsuista ei tiedetä, menivätkö ne perille: tarkista ne ennen kuin lähetät ne "
        "uudelleen (yhteistuumin status --by municipality).")
    assert status.to_dict()["uncertain_invitations"] == 2
    swedish = round_status(session=session, round_name=ROUND, lang="sv")
    assert swedish.summary()[-1].startswith(
        "För 2 kommuner är det oklart om inbjudningarna kom fram")
    # once an invitation to the municipality is known to have gone out (to its second
    # address), it counts as invited, not as uncertain
    session.add(OutboundMessage(round_name=ROUND, municipality_code="005",
                                address="kulttuuri@005.example.fi", kind="invite", sequence=0,
                                state="sent", sent_at=T0))
    session.commit()
    assert round_status(session=session, round_name=ROUND).uncertain == 1
