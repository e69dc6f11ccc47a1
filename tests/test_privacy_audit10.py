"""``person`` and ``forget`` on the ways personal data entered the workspace in audit9
(audit10-privacy): a contact card mailed beside an answer, a SurveyMonkey export's respondent
columns, an address typed as ``=HYPERLINK("mailto:…")``.

She is listed wherever these keep her, erased from there alone, and what a survey tool says
of a respondent that the survey never needs (her IP address) is not stored.
"""

from __future__ import annotations

from ingest_support import run_ingest
from publish_support import settings_for
from test_ingest_audit9 import _VCARD, _mail, _surveymonkey

from yhteistuumin_survey.person import person_report
from yhteistuumin_survey.privacy import forget_person

LIISA = "liisa.laine@pori.fi"
_LIISA_CARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Laine;Liisa\r\nFN:Liisa Laine\r\n"
               f"EMAIL;TYPE=INTERNET:{LIISA}\r\nTEL;TYPE=CELL:+358 40 555 1234\r\nEND:VCARD\r\n")


def _received_copies(workspace, suffix: str) -> dict[str, str]:
    return {path.name.partition("-")[2]: path.read_text(encoding="utf-8")
            for path in (workspace.outputs / "received").rglob(f"*{suffix}")}


# --- 1. a colleague's contact card mailed beside the answer ------------------------------------


def test_a_colleagues_contact_card_is_listed_for_her_and_erased_alone(
        engine, workspace, session, tmp_path):
    """Matti mails his own card and Liisa's: the kept copy of Liisa's card is hers. ``person``
    names it (and the message that carried it) in her language, ``forget`` deletes it and
    takes her out of the message; Matti's card stays as it was."""
    path = _mail(tmp_path / "in", "vastaus.eml", "Hei,\n\nkortit liitteenä.\n\nMatti",
                 [(_VCARD.encode(), "text", "x-vcard", "matti_virtanen.vcf"),
                  (_LIISA_CARD.encode(), "text", "x-vcard", "liisa_laine.vcf")])
    run_ingest([path], engine=engine, workspace=workspace)

    report = person_report(workspace, LIISA, session=session, lang="fi")

    held = {row["file"]: row["holds"] for row in report.sections["received"]}
    assert held == {"liisa_laine.vcf": "yhteystietosi", "vastaus.eml": "yhteystietosi"}
    swedish = person_report(workspace, LIISA, session=session, lang="sv")
    assert {row["holds"] for row in swedish.sections["received"]} == {"dina kontaktuppgifter"}
    # Matti sent both: his card holds his details, Liisa's card is only a file he sent.
    matti = person_report(workspace, "matti.virtanen@pori.fi", session=session, lang="fi")
    assert {row["file"]: row["holds"] for row in matti.sections["received"]} == {
        "vastaus.eml": "yhteystietosi", "matti_virtanen.vcf": "yhteystietosi",
        "liisa_laine.vcf": None}

    result = forget_person(workspace, LIISA, session=session, settings=settings_for(workspace))

    cards = _received_copies(workspace, ".vcf")
    assert set(cards) == {"matti_virtanen.vcf"}  # hers deleted: it held no one else
    assert cards["matti_virtanen.vcf"] == _VCARD.replace("\r\n", "\n")
    assert {place.kind for place in result.places} >= {"received_copies_deleted",
                                                       "received_copies_scrubbed"}
    assert person_report(workspace, LIISA, session=session, lang="fi").sections["received"] == []
