"""Response tokens: one random, unguessable token per municipality per survey round.

The token identifies a returned questionnaire (its ``_meta`` sheet), a web-form answer (the
link carries it) and a reply or bounce (the ``X-Yhteistuumin-Token`` header). It is made once
with :mod:`secrets` and stored in ``SurveyToken``; rebuilding or resending reuses it.

New tokens hold only ASCII letters and digits: LimeSurvey's participant import refuses a token
with any character but letters, digits, ``_`` and ``~``, and the token must be the same in the
invitation link and in LimeSurvey. Tokens made earlier with ``-`` or ``_`` (URL-safe base64)
stay valid: they are looked up as stored, never re-made.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

#: Letters and digits only: safe in a link, in a mail header and in LimeSurvey's participant table.
TOKEN_ALPHABET = string.ascii_letters + string.digits
#: 22 characters of 62: 130 bits, as unguessable as the 16 random bytes of the earlier tokens.
TOKEN_LENGTH = 22


def new_token() -> str:
    """Return a fresh random token: 22 letters and digits (130 bits)."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def get_or_create_token(*, session: Session, round_name: str, municipality_code: str) -> str:
    """Return the municipality's token of the round, creating and storing it on first use."""
    from sqlmodel import select

    from .db.models import SurveyToken

    found = session.exec(select(SurveyToken.token).where(
        SurveyToken.round_name == round_name,
        SurveyToken.municipality_code == municipality_code)).first()
    if found is not None:
        return found
    while True:
        token = new_token()
        clash = session.exec(select(SurveyToken.id).where(SurveyToken.token == token)).first()
        if clash is None:
            break
    session.add(SurveyToken(round_name=round_name, municipality_code=municipality_code,
                            token=token))
    session.flush()
    return token


def ensure_tokens(*, session: Session, round_name: str, codes: list[str]) -> dict[str, str]:
    """Return code -> token for ``codes``, creating the missing ones in one go."""
    from sqlmodel import select

    from .db.models import SurveyToken

    rows = session.exec(select(SurveyToken).where(SurveyToken.round_name == round_name)).all()
    tokens = {row.municipality_code: row.token for row in rows}
    taken = {row.token for row in rows}
    missing = [code for code in codes if code not in tokens]
    for code in missing:
        token = new_token()
        while token in taken:  # 128 bits: never in practice, but cheap to rule out in memory
            token = new_token()
        taken.add(token)
        tokens[code] = token
        session.add(SurveyToken(round_name=round_name, municipality_code=code, token=token))
    if missing:
        session.flush()
    return {code: tokens[code] for code in codes}


def tokens_for_round(*, session: Session, round_name: str) -> dict[str, str]:
    """Return code -> token of every municipality that has a token in the round."""
    from sqlmodel import select

    from .db.models import SurveyToken

    rows = session.exec(select(SurveyToken).where(SurveyToken.round_name == round_name)).all()
    return {row.municipality_code: row.token for row in rows}


def municipality_for_token(*, session: Session, token: str) -> tuple[str, str] | None:
    """Return ``(round_name, municipality_code)`` of a token, or None if it is unknown."""
    from sqlmodel import select

    from .db.models import SurveyToken

    row = session.exec(select(SurveyToken).where(SurveyToken.token == token.strip())).first()
    return None if row is None else (row.round_name, row.municipality_code)
