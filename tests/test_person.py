"""``person``: everything held about one person (the right of access), and nothing of anyone else."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from publish_support import settings_for
from sqlmodel import select
from test_privacy_exact import FORGOTTEN, KEPT, populate

from yhteistuumin_survey.db.models import PracticeVersion, ReviewDecision
from yhteistuumin_survey.privacy import forget_person


def test_person_json_shows_their_practice_and_nothing_of_the_other(workspace, session, db_url,
                                                                    cli):
    populate(workspace, session, FORGOTTEN, KEPT)
    other = session.exec(select(PracticeVersion).where(
        PracticeVersion.contact_email == KEPT.email)).one()
    session.add(ReviewDecision(practice_id=other.practice_id, version=1, decision="needs-info",
                               previous_status="new",
                               comment=f"Kysy {FORGOTTEN.name}lta: soita {FORGOTTEN.phone}"))
    session.add(ReviewDecision(practice_id=other.practice_id, version=1, decision="approved",
                               previous_status="needs-info", comment=f"{KEPT.name} vastasi"))
    session.commit()

    result = cli("--db", db_url, "person", "--lang", "en", "--format", "json", FORGOTTEN.email)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["sections"]
    assert [c["email"] for c in data["contacts"]] == [FORGOTTEN.email]
    assert data["contacts"][0]["name"] == FORGOTTEN.name
    assert [(m["kind"], m["state"]) for m in data["messages"]] == [("invite", "sent")]
    assert [b["kind"] for b in data["bounces"]] == ["auto-reply"]
    assert [(p["title"], p["role"]) for p in data["practices"]] == [("Kulttuurikaveri", "contact")]
    assert data["practices"][0]["contact_phone"] == FORGOTTEN.phone
    assert [d["decision"] for d in data["decisions"]] == ["needs-info"]
    assert len(data["received"]) == 1 and data["erasures"] == []
    assert KEPT.email not in result.stdout and KEPT.name not in result.stdout
    assert KEPT.phone not in result.stdout and "Lukupiiri" not in result.stdout


def test_person_lists_erasures_done_and_writes_a_workbook(workspace, session, db_url, cli,
                                                           tmp_path):
    populate(workspace, session, FORGOTTEN, KEPT)
    forget_person(workspace, FORGOTTEN.email, session=session, settings=settings_for(workspace))
    files = sorted(p for p in workspace.root.rglob("*"))
    out = tmp_path / "pyyntö.xlsx"

    result = cli("--db", db_url, "person", "--lang", "en", "--out", str(out),
                 FORGOTTEN.email.upper())

    assert result.exit_code == 0, result.output
    assert "Held about" in result.stdout and "1 erasure." in result.stdout
    assert "Erasures done" in result.stdout and "Contact details" not in result.stdout
    sheets = load_workbook(out)
    assert sheets.sheetnames == ["about", "contacts", "messages", "bounces", "records", "received",
                                 "practices", "decisions", "contact_problems", "fetched", "files", "erasures"]
    assert sheets["erasures"].max_row == 3
    assert sorted(p for p in workspace.root.rglob("*")) == files  # reading writes nothing


def test_person_with_nothing_held_says_so(cli):
    result = cli("person", "--lang", "en", "nobody@kunta.example.fi")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Nothing is held about nobody@kunta.example.fi."
