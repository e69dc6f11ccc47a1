"""The municipality register: load the shipped classification, list it, update it.

The database holds the register once loaded; ``ensure_register`` loads the workspace's copy of
``recipients/municipalities.csv`` (or the bundled one) into an empty database, with the
regions and the former municipalities of ``mergers.csv`` as aliases of their successors.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from .workspace import Workspace

LANGUAGES = ("fi", "fi-sv", "sv-fi", "sv")


@dataclass(frozen=True)
class RegisterRow:
    """One municipality as read from a register file."""

    code: str
    name_fi: str
    name_sv: str
    region_code: str
    region_fi: str
    region_sv: str
    language: str
    aland: bool


@dataclass(frozen=True)
class MergerRow:
    """One municipality merged away, and its successor in force."""

    old_code: str
    old_name_fi: str
    old_name_sv: str
    successor_code: str
    merged_on: dt.date | None


def _read_dicts(path: Path, required: set[str]) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise InputError(f"{path}:1: missing columns {', '.join(sorted(missing))}")
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def load_register_csv(path: Path) -> list[RegisterRow]:
    """Read a register file in the shipped ``municipalities.csv`` layout."""
    required = {"code", "name_fi", "name_sv", "region_code", "region_fi", "region_sv",
                "language", "aland"}
    rows: list[RegisterRow] = []
    for number, row in enumerate(_read_dicts(path, required), start=2):
        code = row["code"].zfill(3)
        if not code.isdigit() or len(code) != 3:
            raise InputError(f"{path}:{number}: {row['code']!r} is not a 3-digit code")
        if row["language"] not in LANGUAGES:
            raise InputError(f"{path}:{number}: language {row['language']!r} is not one of "
                             f"{', '.join(LANGUAGES)}")
        rows.append(RegisterRow(code=code, name_fi=row["name_fi"],
                                name_sv=row["name_sv"] or row["name_fi"],
                                region_code=row["region_code"].zfill(2),
                                region_fi=row["region_fi"], region_sv=row["region_sv"],
                                language=row["language"],
                                aland=row["aland"].lower() in {"true", "1", "yes"}))
    return rows


def load_mergers_csv(path: Path) -> list[MergerRow]:
    """Read ``mergers.csv``: former municipalities and their successor in force."""
    rows: list[MergerRow] = []
    for row in _read_dicts(path, {"old_code", "old_name_fi", "successor_code"}):
        merged = row.get("merged_on") or ""
        rows.append(MergerRow(old_code=row["old_code"].zfill(3), old_name_fi=row["old_name_fi"],
                              old_name_sv=row.get("old_name_sv", ""),
                              successor_code=row["successor_code"].zfill(3),
                              merged_on=dt.date.fromisoformat(merged) if merged else None))
    return rows


def seed_register(session: Session, *, register: Path, regions: Path | None,
                  mergers: Path | None) -> int:
    """Load a register (and its regions and mergers) into an empty database; return the count."""
    from .db.models import Municipality, MunicipalityAlias, Region

    rows = load_register_csv(register)
    english: dict[str, str] = {}
    if regions is not None and regions.is_file():
        for region in _read_dicts(regions, {"region_code", "region_fi"}):
            english[region["region_code"].zfill(2)] = region.get("region_en", "")
    seen: set[str] = set()
    for row in rows:
        if row.region_code not in seen:
            seen.add(row.region_code)
            session.add(Region(code=row.region_code, name_fi=row.region_fi,
                               name_sv=row.region_sv, name_en=english.get(row.region_code, "")))
    session.flush()
    for row in rows:
        session.add(Municipality(code=row.code, name_fi=row.name_fi, name_sv=row.name_sv,
                                 region_code=row.region_code, language=row.language,
                                 aland=row.aland))
    session.flush()
    codes = {row.code for row in rows}
    if mergers is not None and mergers.is_file():
        for merger in load_mergers_csv(mergers):
            if merger.successor_code not in codes:
                continue
            names = {merger.old_name_fi, merger.old_name_sv} - {""}
            for name in sorted(names):
                session.add(MunicipalityAlias(alias=name, code=merger.successor_code,
                                              kind="former", old_code=merger.old_code,
                                              merged_on=merger.merged_on))
    return len(rows)


def ensure_register(engine: Engine, *, workspace: Workspace) -> bool:
    """Load the register into the database if it has none yet; return True if it did."""
    from sqlmodel import Session, select

    from .db.models import Municipality

    with Session(engine) as session:
        if session.exec(select(Municipality.code).limit(1)).first() is not None:
            return False
        seed_register(session,
                      register=workspace.resolve("recipients/municipalities.csv"),
                      regions=workspace.resolve("recipients/regions.csv"),
                      mergers=workspace.resolve("recipients/mergers.csv"))
        session.commit()
    return True
