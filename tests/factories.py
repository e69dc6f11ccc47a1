"""Practices made directly through the models, for tests of review, publish and status.

``make_practice`` builds what the ingest stage would: a ReceivedFile and a Submission as the
source, the Practice, its PracticeVersion(s) and its PracticeMunicipality rows. It never
depends on the ingest code, so later stages can be tested on their own. Add keyword
arguments here, never change the existing ones (other test modules rely on them).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import Any

from yhteistuumin_survey.db.models import (
    Practice,
    PracticeMunicipality,
    PracticeVersion,
    ReceivedFile,
    Submission,
)

_serial = itertools.count(1)

#: Card fields a PracticeVersion takes; anything else in ``**fields`` goes to Practice.
VERSION_FIELDS = {
    "title", "keywords", "target_group", "goal", "summary", "implementation", "resources",
    "experiences", "benefits", "contact_name", "contact_email", "contact_phone",
    "contact_text", "publish_consent", "municipality_text", "language", "flags",
}

DEFAULT_CARD: dict[str, Any] = {
    "keywords": ["yhteistyö", "kirjasto"],
    "target_group": ["children"],
    "goal": "Tuoda kulttuuri lähemmäs asukkaita.",
    "summary": "Kirjasto ja kulttuuripalvelut järjestävät yhdessä tapahtumia.",
    "implementation": "Kuukausittain vaihtuvissa paikoissa.",
    "resources": "Kaksi työntekijää, 5 000 euroa vuodessa.",
    "experiences": "Osallistujia on ollut enemmän kuin odotettiin.",
    "benefits": "Uusia kävijöitä ja yhteistyötä.",
    "contact_name": "Testi Henkilö",
    "contact_email": "testi.henkilo@example.fi",
    "contact_phone": "+358 40 123 4567",
    "publish_consent": True,
}


def make_practice(session: Any, *, title: str, municipalities: Sequence[str] = ("049",),
                  status: str = "new", version: int = 1, file_format: str = "questionnaire",
                  municipality_source: str = "token", commit: bool = True,
                  **fields: Any) -> Practice:
    """Create a practice with ``version`` versions (the last holds ``title`` and ``fields``).

    ``municipalities`` are register codes; ``status`` is the Practice status (new,
    needs-info, approved, rejected, duplicate). Earlier versions (when ``version`` > 1) get
    the title with `` (vN)`` appended so tests can tell them apart. Fields of the card
    (``goal``, ``flags``, ``publish_consent`` …) go to the versions; others (``language``
    of the practice aside) go to Practice (``decided_version``, ``corrected_title`` …).
    """
    version_fields = {k: v for k, v in fields.items() if k in VERSION_FIELDS}
    practice_fields = {k: v for k, v in fields.items() if k not in VERSION_FIELDS}
    n = next(_serial)
    practice = Practice(status=status, current_version=version,
                        identity_key=practice_fields.pop("identity_key", f"test-{n}"),
                        language=version_fields.get("language", "fi"), **practice_fields)
    session.add(practice)
    session.flush()
    for number in range(1, version + 1):
        content = f"{title}|{n}|{number}".encode()
        received = ReceivedFile(sha256=hashlib.sha256(content).hexdigest(),
                                original_name=f"vastaus-{n}-{number}.xlsx",
                                stored_path=f"outputs/received/vastaus-{n}-{number}.xlsx",
                                size=len(content), format=file_format, status="ingested")
        session.add(received)
        session.flush()
        submission = Submission(received_file_id=received.id, locator="Käytäntö 1",
                                format=file_format, raw={"title": title}, status="practice")
        session.add(submission)
        session.flush()
        card = {**DEFAULT_CARD, **version_fields}
        card.setdefault("flags", [])
        card.setdefault("municipality_text", ", ".join(municipalities))
        card_title = title if number == version else f"{title} (v{number})"
        session.add(PracticeVersion(practice_id=practice.id, version=number,
                                    submission_id=submission.id, title=card_title, **card))
    for code in dict.fromkeys(municipalities):
        session.add(PracticeMunicipality(practice_id=practice.id, municipality_code=code,
                                         source=municipality_source))
    if commit:
        session.commit()
    else:
        session.flush()
    return practice


def add_version(session: Any, practice: Practice, *, title: str | None = None,
                commit: bool = True, **fields: Any) -> PracticeVersion:
    """Add a newer version to a practice, as a corrected resubmission would."""
    from sqlmodel import select

    last = session.exec(select(PracticeVersion).where(
        PracticeVersion.practice_id == practice.id,
        PracticeVersion.version == practice.current_version)).one()
    data = {k: getattr(last, k) for k in VERSION_FIELDS}
    data.update(fields)
    if title is not None:
        data["title"] = title
    number = practice.current_version + 1
    new = PracticeVersion(practice_id=practice.id, version=number,
                          submission_id=last.submission_id, **data)
    session.add(new)
    practice.current_version = number
    session.add(practice)
    if commit:
        session.commit()
    else:
        session.flush()
    return new
