"""``forget`` and ``person`` tried a fifth time as data subjects would (audit5-privacy).

The access report in the citizen's language, the same message looked into once wherever it
lies, one erasure key for workspaces sharing a database, messages queued to her, her replies
on the mail server, forget by phone or name, and what a dump of the database still holds.
"""

from __future__ import annotations

ANNA = "anna.virtanen@kunta.example.fi"
PEKKA = "pekka.korhonen@kunta.example.fi"


def _workbook_bytes(*rows: list[str]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _message_with(attachment: bytes, to: str = "kirjaamo@kunta.example.fi",
                  extra: str = "") -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "kysely@yhteistuumin.example.fi"
    message["To"] = to
    message["Subject"] = "Kysely" + extra
    message.set_content("Hyvä vastaanottaja, kysely on liitteenä.")
    message.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           filename="091-helsinki.xlsx")
    return message.as_bytes()


# --- 1. the same content, looked into once, is named wherever it lies ---------------------------


def test_person_names_every_copy_of_one_message_and_its_attachment_in_and_outside_outputs(
        workspace, session):
    """A message copy under outbox/ is byte for byte the one the coordinator's mailbox folder
    holds, and its attachment is the questionnaire under questionnaires/: each content is
    looked into once, and every file holding it is named, whichever was looked at first."""
    from yhteistuumin_survey.person import person_report

    attachment = _workbook_bytes(["Yhteyshenkilö", "Anna Virtanen"], ["Sähköposti", ANNA])
    other = _workbook_bytes(["Yhteyshenkilö", "Pekka Korhonen"], ["Sähköposti", PEKKA])
    message = _message_with(attachment)
    places = {"outputs/outbox/r/sent/091-invite-0-1.eml": message,
              "outputs/questionnaires/091-helsinki.xlsx": attachment,
              "mailbox/00001-kirjaamo.eml": message,
              "mailbox/00002-kirjaamo.eml": _message_with(attachment, extra=" (muistutus)"),
              "mailbox/00003-pekka.eml": _message_with(other),
              "outputs/outbox/r/sent/092-invite-0-2.eml": _message_with(other)}
    for name, data in places.items():
        path = workspace.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    files = {row["file"] for row in person_report(workspace, ANNA, session=session)
             .sections["files"]}

    assert files == {"outputs/outbox/r/sent/091-invite-0-1.eml",
                     "outputs/questionnaires/091-helsinki.xlsx",
                     "mailbox/00001-kirjaamo.eml", "mailbox/00002-kirjaamo.eml"}
