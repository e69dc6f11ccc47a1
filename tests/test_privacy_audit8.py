"""``forget`` and ``person`` tried an eighth time as a data subject would (audit8-privacy).

Her address hidden from harvesters as an HTML character reference in a file that is not XML,
the display name her mail program put before her address in a header, and an address that
differs from hers only by a "+tag" (is it hers? flagged, never guessed).
"""

from __future__ import annotations

from email.message import EmailMessage

from publish_support import settings_for

from yhteistuumin_survey.privacy import forget_person

HERS = "koulu@hel.example.fi"
OTHER = "kalle.koulu@hel.example.fi"


def _write(path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


# --- 1. "koulu&#64;hel.example.fi" outside XML -----------------------------------------------


def test_an_address_written_as_a_character_reference_is_erased_outside_xml(workspace, session):
    """A CSV, a plain text and an HTML mail body that does not start with a tag hold her
    address with its at sign as "&#64;" / "&#x40;" / "&commat;": each loses it, and the other
    person's address, written the same way, stays (the file is kept, not deleted)."""
    reports = workspace.outputs / "reports"
    _write(reports / "yhteystiedot.csv",
           f"nimi,osoite\nX,koulu&#64;hel.example.fi\nY,{OTHER.replace('@', '&#64;')}\n")
    _write(reports / "muistio.txt",
           f"koulu&#x40;hel.example.fi ja koulu&commat;hel.example.fi; {OTHER}\n")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = OTHER, "kysely@example.fi", "Vastaus"
    message.set_content("Hei,<br>osoitteeni on koulu&#64;hel.example.fi<br>Kalle",
                        subtype="html", cte="quoted-printable")
    _write(reports / "viesti.eml", message.as_bytes())

    result = forget_person(workspace, HERS, session=session, settings=settings_for(workspace))

    csv_text = (reports / "yhteystiedot.csv").read_text(encoding="utf-8")
    assert "koulu&#64;hel.example.fi" not in csv_text.replace("kalle.koulu&#64;", "")
    assert OTHER.replace("@", "&#64;") in csv_text
    note = (reports / "muistio.txt").read_text(encoding="utf-8")
    assert "&#x40;" not in note and "&commat;" not in note and OTHER in note
    assert note.count(f"erased-{result.subject_hash[:8]}@invalid") == 2
    mail = (reports / "viesti.eml").read_bytes()
    assert b"koulu&#64;" not in mail and b"koulu=26#64;" not in mail
    shown = {place.where for place in result.places}
    assert {"outputs/reports/yhteystiedot.csv", "outputs/reports/muistio.txt",
            "outputs/reports/viesti.eml"} <= shown
