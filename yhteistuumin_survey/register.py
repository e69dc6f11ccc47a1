"""The municipality register: load the shipped classification, list it, update it.

The database holds the register once loaded; ``ensure_register`` loads the workspace's copy of
``recipients/municipalities.csv`` (or the bundled one) into an empty database, with the
regions and the former municipalities of ``mergers.csv`` as aliases of their successors.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import InputError, no_such_file
from .reports import count_phrase, plural, render_table

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
        raise no_such_file(path) from None
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
                                 region_code=row.region_code, language=row.language))
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
    from sqlalchemy import text

    with engine.connect() as connection:  # every open: one query, no ORM
        if connection.execute(text("SELECT 1 FROM municipality LIMIT 1")).first() is not None:
            return False
    from sqlmodel import Session

    with Session(engine) as session:
        seed_register(session,
                      register=workspace.resolve("recipients/municipalities.csv"),
                      regions=workspace.resolve("recipients/regions.csv"),
                      mergers=workspace.resolve("recipients/mergers.csv"))
        session.commit()
    return True


# --- listing -----------------------------------------------------------------------------

#: What ``--language`` accepts: a language status, or ``bilingual`` for both bilingual kinds.
LANGUAGE_FILTERS: dict[str, tuple[str, ...]] = {
    **{language: (language,) for language in LANGUAGES},
    "bilingual": ("fi-sv", "sv-fi"),
}


@dataclass(frozen=True)
class RegisterEntry:
    """One municipality of the register as listed."""

    code: str
    name_fi: str
    name_sv: str
    region_code: str
    region_fi: str
    region_sv: str
    language: str
    aland: bool
    active: bool = True
    successor_code: str | None = None


def material_languages(language_status: str, *, aland: bool = False) -> list[str]:
    """Return the languages a municipality gets its questionnaire and mail in (``fi`` first).

    Swedish-speaking and Swedish-majority municipalities and Åland get Swedish, bilingual
    Finnish-majority ones both, the rest Finnish.
    """
    if aland or language_status in {"sv", "sv-fi"}:
        return ["sv"]
    if language_status == "fi-sv":
        return ["fi", "sv"]
    return ["fi"]


#: The columns of ``register list`` as CSV and JSON; the table shows fewer.
REGISTER_COLUMNS = ["code", "name_fi", "name_sv", "region_code", "region_fi", "region_sv",
                    "language", "aland"]


@dataclass
class RegisterList:
    """What ``register list`` shows: the municipalities selected."""

    entries: list[RegisterEntry]

    JSON_ROOT: ClassVar[str] = "municipalities"
    failed = False

    def summary(self) -> list[str]:
        return [plural(len(self.entries), "municipality", "municipalities")]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        # CSV spells the Åland flag as true/false, as Statistics Finland's files do
        return REGISTER_COLUMNS, [{**row, "aland": "true" if row["aland"] else "false"}
                                  for row in self.to_dict()["municipalities"]]

    def text(self) -> str:
        rows = [{"code": e.code, "name_fi": e.name_fi, "name_sv": e.name_sv,
                 "region": e.region_fi, "language": e.language} for e in self.entries]
        return "\n".join([render_table(rows, ["code", "name_fi", "name_sv", "region", "language"]),
                          *self.summary()])

    def to_dict(self) -> dict[str, Any]:
        return {"municipalities": [{col: getattr(e, col) for col in REGISTER_COLUMNS}
                                   for e in self.entries]}


def find_region(session: Session, text: str) -> str:
    """Return the code of the region named by ``text`` (code, Finnish, Swedish or English name)."""
    from sqlmodel import select

    from .db.models import Region
    from .survey import fold

    wanted = fold(text)
    regions = session.exec(select(Region).order_by(Region.code)).all()
    for region in regions:
        keys = {region.code, region.code.lstrip("0"), fold(region.name_fi), fold(region.name_sv),
                fold(region.name_en or "")} - {""}
        if wanted in keys:
            return region.code
    known = ", ".join(f"{region.code} {region.name_fi}" for region in regions)
    raise InputError(f"region {text!r} is unknown; use a code or a Finnish, Swedish or English "
                     f"name: {known}")


def language_filter(text: str) -> tuple[str, ...]:
    """Return the language statuses ``--language text`` selects."""
    key = text.strip().lower()
    if key not in LANGUAGE_FILTERS:
        raise InputError(f"language {text!r} is not one of {', '.join(LANGUAGE_FILTERS)}")
    return LANGUAGE_FILTERS[key]


def list_register(*, session: Session, region: str | None = None, language: str | None = None,
                  include_inactive: bool = False) -> list[RegisterEntry]:
    """Return the municipalities in force (by code), optionally of one region or language."""
    from sqlmodel import col, select

    from .db.models import Municipality, Region

    statement = (select(Municipality, Region)
                 .join(Region, col(Region.code) == col(Municipality.region_code))
                 .order_by(col(Municipality.code)))
    if not include_inactive:
        statement = statement.where(col(Municipality.active).is_(True))
    if region is not None:
        statement = statement.where(col(Municipality.region_code) == find_region(session, region))
    if language is not None:
        statement = statement.where(col(Municipality.language).in_(language_filter(language)))
    return [RegisterEntry(code=m.code, name_fi=m.name_fi, name_sv=m.name_sv,
                          region_code=r.code, region_fi=r.name_fi, region_sv=r.name_sv,
                          language=m.language, aland=m.aland, active=m.active,
                          successor_code=m.successor_code)
            for m, r in session.exec(statement).all()]


# --- reading a classification file --------------------------------------------------------

#: Folded header -> role, for our own layout, Statistics Finland's classification service
#: exports (classification items, the kunta#maakunta correspondence, its JSON flattened) and
#: the Finnish, Swedish and English headers people give the same columns.
_CLASSIFICATION_HEADERS: dict[str, str] = {}
for _role, _names in {
    "code": ("code", "kuntakoodi", "kuntanumero", "kuntanro", "kunta nro", "kunnan koodi",
             "kunnan numero", "kunta koodi", "kommunkod", "kommunnummer", "kommunnr",
             "municipality code", "municipality number", "sourcecode", "source code",
             "sourceitem code", "koodi", "kod", "kunta code"),
    "name_fi": ("name fi", "nimi", "kunnan nimi", "kunta nimi", "kunnan nimi suomeksi",
                "nimi suomeksi", "kunta suomeksi", "classificationitemname",
                "classificationitemnames", "classification item name", "name",
                "sourcename", "source name", "sourceitem classificationitemnames",
                "municipality name", "municipality name fi", "name in finnish"),
    "name_sv": ("name sv", "namn", "kommunens namn", "kommun namn", "kunnan nimi ruotsiksi",
                "nimi ruotsiksi", "kunta ruotsiksi", "namn pa svenska", "municipality name sv",
                "name in swedish"),
    "region_code": ("region code", "maakuntakoodi", "maakuntanumero", "maakunta koodi",
                    "maakunnan koodi", "maakuntanro", "landskapskod", "landskapsnummer",
                    "targetcode", "target code", "targetitem code", "region number"),
    "region_fi": ("region fi", "maakunnan nimi", "maakunta nimi", "maakunnan nimi suomeksi",
                  "targetname", "target name", "targetitem classificationitemnames",
                  "region name", "region name fi"),
    "region_sv": ("region sv", "landskapets namn", "landskap namn", "maakunnan nimi ruotsiksi",
                  "region name sv"),
    "language": ("language", "kieli", "kielisuhde", "kielitilanne", "kielellinen asema",
                 "sprak", "spraklig status", "language status"),
    # Columns whose header says "municipality" or "region" hold a code or a name: the
    # content decides (see _settle_ambiguous).
    "municipality": ("kunta", "municipality", "kunta fi"),
    "kommun": ("kommun", "kunta sv"),
    "region": ("maakunta", "region", "landskap", "maakunta fi", "landskap sv"),
}.items():
    for _name in _names:
        _CLASSIFICATION_HEADERS[_name] = _role

_CODE_PREFIX = re.compile(r"^(?:KU|MK)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ClassificationRow:
    """One municipality of a classification file; empty text where the file does not say."""

    line: int
    code: str
    name_fi: str
    name_sv: str = ""
    region_code: str = ""
    region_fi: str = ""
    region_sv: str = ""
    language: str = ""


@dataclass(frozen=True)
class Classification:
    """A classification file as read: its rows and which columns were found."""

    path: Path
    sheet: str
    header_line: int
    columns: dict[str, str]
    rows: list[ClassificationRow]


def _bare_code(text: str, width: int) -> str:
    """Return ``KU005``, ``5``, ``005`` or ``5.0`` as ``005`` (width 3) or ``''`` if not a code."""
    text = _CODE_PREFIX.sub("", text.strip())
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) <= width:
        return text.zfill(width)
    return ""


def _classification_role(text: str) -> str | None:
    from .survey import fold

    return _CLASSIFICATION_HEADERS.get(fold(text))


def _settle_ambiguous(roles: dict[str, int], body: list[list[str]]) -> dict[str, int]:
    """Decide whether a ``kunta``/``maakunta`` column holds codes or names by its content."""
    def mostly_codes(index: int, width: int) -> bool:
        values = [row[index] for row in body if index < len(row) and row[index]]
        return bool(values) and sum(bool(_bare_code(v, width)) for v in values) > len(values) / 2

    settled = {k: v for k, v in roles.items() if k not in {"municipality", "kommun", "region"}}
    if "municipality" in roles:
        index = roles["municipality"]
        target = "code" if mostly_codes(index, 3) else "name_fi"
        settled.setdefault(target, index)
    if "kommun" in roles:
        index = roles["kommun"]
        target = "code" if mostly_codes(index, 3) else "name_sv"
        settled.setdefault(target, index)
    if "region" in roles:
        index = roles["region"]
        target = "region_code" if mostly_codes(index, 2) else "region_fi"
        settled.setdefault(target, index)
    return settled


def read_classification(path: Path) -> Classification:
    """Read a municipality classification: our layout, a Statistics Finland export, or headers.

    The header row may sit below title rows. Raises ``InputError`` when no sheet has a
    municipality code column and a name column.
    """
    from .tables import cell_text, header_rows, read_table_file

    sheets = read_table_file(path)
    for sheet in sheets:
        for header_index, found in header_rows(sheet.rows, _classification_role, search_rows=25):
            header = sheet.rows[header_index]
            roles = {role: columns[0] for role, columns in found.items()}
            if not ({"code", "municipality", "kommun"} & roles.keys()):
                continue
            body = [[cell_text(v) for v in row] for row in sheet.rows[header_index + 1:]]
            roles = _settle_ambiguous(roles, body)
            if "code" not in roles or not ({"name_fi", "name_sv"} & roles.keys()):
                continue
            header_cells = [cell_text(v) for v in header]
            columns = {role: header_cells[index] for role, index in roles.items()}
            rows = _classification_rows(path, roles, body, header_index + 2)
            return Classification(path=path, sheet=sheet.name, header_line=header_index + 1,
                                  columns=columns, rows=rows)
    raise InputError(f"{path}: unknown column layout: no row has a municipality code column "
                     "(code, Kuntakoodi, sourceCode, …) and a name column (name_fi, Kunnan nimi, "
                     "classificationItemName, sourceName, …); export the classification from "
                     "Statistics Finland as CSV or XLSX")


def _classification_rows(path: Path, roles: dict[str, int], body: list[list[str]],
                         first_line: int) -> list[ClassificationRow]:
    def get(row: list[str], role: str) -> str:
        index = roles.get(role)
        return row[index].strip() if index is not None and index < len(row) else ""

    rows: dict[str, ClassificationRow] = {}
    for line, row in enumerate(body, start=first_line):
        if not any(cell.strip() for cell in row):
            continue
        raw_code = get(row, "code")
        code = _bare_code(raw_code, 3)
        if not code:
            raise InputError(f"{path}:{line}: {raw_code!r} is not a municipality code (3 digits)")
        name_fi, name_sv = get(row, "name_fi"), get(row, "name_sv")
        if "name_sv" not in roles and " - " in name_fi:
            # Statistics Finland labels Mariehamn "Maarianhamina - Mariehamn".
            name_fi, name_sv = (part.strip() for part in name_fi.split(" - ", 1))
        language = get(row, "language").lower()
        if language and language not in LANGUAGES:
            raise InputError(f"{path}:{line}: language {language!r} is not one of "
                             f"{', '.join(LANGUAGES)}")
        raw_region = get(row, "region_code")
        region_code = _bare_code(raw_region, 2)
        if raw_region and not region_code:
            raise InputError(f"{path}:{line}: {raw_region!r} is not a region code (2 digits)")
        item = ClassificationRow(line=line, code=code, name_fi=name_fi or name_sv,
                                 name_sv=name_sv, region_code=region_code,
                                 region_fi=get(row, "region_fi"), region_sv=get(row, "region_sv"),
                                 language=language)
        if not item.name_fi:
            raise InputError(f"{path}:{line}: municipality {code} has no name")
        earlier = rows.get(code)
        if earlier is not None and (earlier.name_fi, earlier.region_code) != \
                (item.name_fi, item.region_code):
            raise InputError(f"{path}:{line}: code {code} is listed twice (also on line "
                             f"{earlier.line}) with different data")
        rows.setdefault(code, item)
    return list(rows.values())


# --- updating from a newer classification ---------------------------------------------------

#: A complete classification lists at least this share of the municipalities in force; fewer
#: looks like an extract (one region, a sample) and would remove the rest by accident.
COMPLETE_SHARE = 0.9


@dataclass(frozen=True)
class RegisterChangeRow:
    """One change ``register update`` applied (or would apply)."""

    code: str
    change: str  # added, merged, removed, renamed, moved, language, reactivated
    name: str
    detail: str


@dataclass(frozen=True)
class ContactMove:
    """Contacts of a merged municipality moved to its successor's list."""

    old_code: str
    old_name: str
    successor_code: str
    moved: int
    already_listed: int


@dataclass
class RegisterUpdate:
    """What ``update_register`` found and did."""

    source: str
    sheet: str
    columns: dict[str, str]
    in_file: int
    active_before: int
    active_after: int
    partial: bool
    changes: list[RegisterChangeRow]
    contacts: list[ContactMove]

    dry_run: bool = False

    failed = False

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.change] = counts.get(change.change, 0) + 1
        return counts

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["code", "change", "name", "detail"], [vars(c) for c in self.changes]

    def summary(self) -> list[str]:
        lines = [f"{self.source}: {self.in_file} municipalities in the file; "
                 f"{self.active_before} in force before, {self.active_after} after."]
        if not self.changes:
            return [*lines, "No changes: the register already matches the file."]
        for move in self.contacts:
            line = (f"Contacts of {move.old_code} {move.old_name}: {move.moved} moved to the "
                    f"list of {move.successor_code}")
            if move.already_listed:
                line += f" ({move.already_listed} already there)"
            lines.append(line + ".")
        lines.append(f"{'Would apply' if self.dry_run else 'Applied'}: "
                     f"{count_phrase(self.counts)}."
                     + (" Nothing was changed (--dry-run)." if self.dry_run else ""))
        return lines

    def text(self) -> str:
        lines = self.summary()
        if self.changes:
            lines.insert(1, render_table(*reversed(self.table())))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "in_file": self.in_file,
                "active_before": self.active_before, "active_after": self.active_after,
                "partial": self.partial, "dry_run": self.dry_run, "counts": self.counts,
                "changes": [vars(c) for c in self.changes],
                "contacts": [vars(m) for m in self.contacts]}


def _predecessor_language(languages: list[str]) -> str:
    """Return the language status of a municipality formed from municipalities of ``languages``."""
    if not languages:
        return "fi"
    if len(set(languages)) == 1:
        return languages[0]
    # Bilingual if any predecessor was: the merged municipality keeps both languages.
    for language in ("sv-fi", "fi-sv"):
        if language in languages:
            return language
    return "fi-sv"


def update_register(path: Path, *, session: Session, mergers: list[MergerRow],
                    partial: bool = False) -> RegisterUpdate:
    """Apply a newer classification to the register; merged municipalities become aliases.

    Added, renamed and moved municipalities are changed in place; one missing from the file
    becomes inactive, and if ``mergers`` names its successor, its names and code become
    aliases of the successor and its contacts move to the successor. Each change is recorded
    in ``RegisterChange``. Applying the same file again changes nothing. Raises
    ``InputError`` for a file that lists far fewer municipalities than the register (unless
    ``partial``: then nothing is removed).
    """
    from sqlmodel import col, select

    from .db.models import Municipality

    classification = read_classification(path)
    rows = classification.rows
    update = _RegisterUpdater(session, path, rows, mergers)
    active = {code: m for code, m in update.municipalities.items() if m.active}
    if not partial and len(rows) < COMPLETE_SHARE * len(active):
        missing = sum(1 for code in active if code not in update.in_file)
        raise InputError(f"{path}: lists {len(rows)} municipalities but the register has "
                         f"{len(active)}; applying it would remove {missing}. Use the complete "
                         "classification, or --partial to apply only its additions and changes")
    for index, row in enumerate(rows):
        row = rows[index] = update.with_region(row)
        existing = update.municipalities.get(row.code)
        if existing is None or not existing.active:
            update.add_or_reactivate(row, existing, active)
        else:
            update.change(existing, row)
    session.flush()
    if not partial:
        update.retire_missing()
    session.flush()
    active_after = sum(1 for m in session.exec(select(Municipality)
                                               .where(col(Municipality.active).is_(True))).all())
    return RegisterUpdate(source=str(path), sheet=classification.sheet,
                          columns=classification.columns, in_file=len(rows),
                          active_before=len(active), active_after=active_after, partial=partial,
                          changes=update.changes, contacts=update.moves)


class _RegisterUpdater:
    """The steps of ``update_register``, sharing the register as read and the changes made."""

    def __init__(self, session: Session, path: Path, rows: list[ClassificationRow],
                 mergers: list[MergerRow]):
        from sqlmodel import select

        from .db.models import Municipality, Region
        from .survey import fold

        self.session, self.path, self.mergers = session, path, mergers
        self.municipalities = {m.code: m for m in session.exec(select(Municipality)).all()}
        self.regions = {r.code: r for r in session.exec(select(Region)).all()}
        self.region_names = {fold(name): r.code for r in self.regions.values()
                             for name in (r.name_fi, r.name_sv, r.name_en or "") if name}
        self.by_old_code = {merger.old_code: merger for merger in mergers}
        self.in_file = {row.code for row in rows}
        self.changes: list[RegisterChangeRow] = []
        self.moves: list[ContactMove] = []
        self.today = dt.date.today()

    def record(self, code: str, change: str, name: str, detail: str) -> None:
        from .db.models import RegisterChange

        self.changes.append(RegisterChangeRow(code=code, change=change, name=name, detail=detail))
        self.session.add(RegisterChange(source_file=self.path.name, code=code, change=change,
                                        detail=detail))

    def with_region(self, row: ClassificationRow) -> ClassificationRow:
        """Return the row with its region code (found by name if need be); add a new region."""
        from .db.models import Region
        from .survey import fold

        if not row.region_code and (row.region_fi or row.region_sv):
            region_code = self.region_names.get(fold(row.region_fi or row.region_sv))
            if region_code is None:
                raise InputError(f"{self.path}:{row.line}: region "
                                 f"{row.region_fi or row.region_sv!r} is unknown; give region "
                                 "codes")
            row = replace(row, region_code=region_code)
        if row.region_code and row.region_code not in self.regions:
            region = Region(code=row.region_code, name_fi=row.region_fi or row.region_code,
                            name_sv=row.region_sv or row.region_fi or row.region_code)
            self.session.add(region)
            self.regions[row.region_code] = region
        return row

    def add_or_reactivate(self, row: ClassificationRow, existing: Any,
                          active: dict[str, Any]) -> None:
        """Add a municipality new to the register, or bring back an inactive one."""
        from .db.models import Municipality

        predecessors = [active[m.old_code] for m in self.mergers
                        if m.successor_code == row.code and m.old_code in active
                        and m.old_code not in self.in_file]
        region_code = row.region_code or (predecessors[0].region_code if predecessors else "")
        if not region_code:
            raise InputError(f"{self.path}:{row.line}: {row.code} {row.name_fi} is new and the "
                             "file gives no region; use the kunta#maakunta correspondence "
                             "export, which has one")
        language = row.language or _predecessor_language([p.language for p in predecessors])
        detail = f"region {region_code}, language {language}"
        if predecessors:
            detail += " (from " + ", ".join(f"{p.code} {p.name_fi}" for p in predecessors) + ")"
        if existing is None:
            self.session.add(Municipality(code=row.code, name_fi=row.name_fi,
                                          name_sv=row.name_sv or row.name_fi,
                                          region_code=region_code, language=language,
                                          valid_from=self.today))
            self.record(row.code, "added", row.name_fi, detail)
            return
        existing.active, existing.successor_code, existing.valid_until = True, None, None
        existing.name_fi, existing.name_sv = row.name_fi, row.name_sv or existing.name_sv
        existing.region_code = region_code
        self.session.add(existing)
        self.record(row.code, "reactivated", row.name_fi, detail)

    def change(self, existing: Any, row: ClassificationRow) -> None:
        """Rename, move to another region or change the language of a municipality in force."""
        renamed: list[str] = []
        if row.name_fi != existing.name_fi:
            renamed.append(f"{existing.name_fi} → {row.name_fi}")
        if row.name_sv and row.name_sv != existing.name_sv:
            renamed.append(f"{existing.name_sv} → {row.name_sv} (sv)")
        if renamed:
            for old in {existing.name_fi, existing.name_sv} - {row.name_fi, row.name_sv, ""}:
                _add_alias(self.session, alias=old, code=row.code, kind="former",
                           old_code=row.code, merged_on=None)
            existing.name_fi = row.name_fi
            existing.name_sv = row.name_sv or existing.name_sv
            self.record(row.code, "renamed", row.name_fi, "; ".join(renamed))
        if row.region_code and row.region_code != existing.region_code:
            regions = self.regions
            detail = (f"region {existing.region_code} {_region_name(regions, existing.region_code)}"
                      f" → {row.region_code} {_region_name(regions, row.region_code)}")
            existing.region_code = row.region_code
            self.record(row.code, "moved", existing.name_fi, detail)
        if row.language and row.language != existing.language:
            self.record(row.code, "language", existing.name_fi,
                        f"language {existing.language} → {row.language}")
            existing.language = row.language
        self.session.add(existing)

    def retire_missing(self) -> None:
        """Make inactive those missing from the file; merge those the mergers list names.

        Missing: those in force, and those an earlier update removed without knowing their
        successor (the mergers list given now may name it).
        """
        from .db.models import Municipality

        gone = {code: m for code, m in self.municipalities.items()
                if code not in self.in_file and (m.active or (m.successor_code is None
                                                              and code in self.by_old_code))}
        for code, municipality in sorted(gone.items()):
            merger = self.by_old_code.get(code)
            successor = (self.session.get(Municipality, merger.successor_code)
                         if merger is not None and merger.successor_code in self.in_file
                         else None)
            if not municipality.active and successor is None:
                continue
            municipality.active = False
            municipality.valid_until = (merger.merged_on - dt.timedelta(days=1)
                                        if merger and merger.merged_on else self.today)
            self.session.add(municipality)
            if merger is None or successor is None:
                self.record(code, "removed", municipality.name_fi,
                            "not in the file and not in the mergers list; kept as inactive")
                continue
            self.merge(code, municipality, successor, merger)

    def merge(self, code: str, municipality: Any, successor: Any, merger: MergerRow) -> None:
        """Make a merged municipality's names and code aliases of its successor; move contacts."""
        municipality.successor_code = successor.code
        self.session.add(municipality)
        for name in sorted({municipality.name_fi, municipality.name_sv} - {""}):
            _add_alias(self.session, alias=name, code=successor.code, kind="former",
                       old_code=code, merged_on=merger.merged_on)
        _add_alias(self.session, alias=code, code=successor.code, kind="former_code",
                   old_code=code, merged_on=merger.merged_on)
        _repoint_aliases(self.session, old=code, new=successor.code)
        moved, already = _move_contacts(self.session, old=code, new=successor.code)
        detail = f"merged into {successor.code} {successor.name_fi}"
        if moved or already:
            detail += f"; {moved} contact(s) moved to {successor.code}"
            if already:
                detail += f", {already} already listed there"
            self.moves.append(ContactMove(old_code=code, old_name=municipality.name_fi,
                                          successor_code=successor.code, moved=moved,
                                          already_listed=already))
        self.record(code, "merged", municipality.name_fi, detail)


def _region_name(regions: dict[str, Any], code: str) -> str:
    region = regions.get(code)
    return region.name_fi if region is not None else ""


def _add_alias(session: Session, *, alias: str, code: str, kind: str, old_code: str | None,
               merged_on: dt.date | None) -> None:
    from sqlmodel import select

    from .db.models import MunicipalityAlias

    exists = session.exec(select(MunicipalityAlias).where(MunicipalityAlias.alias == alias,
                                                          MunicipalityAlias.code == code)).first()
    if exists is None:
        session.add(MunicipalityAlias(alias=alias, code=code, kind=kind, old_code=old_code,
                                      merged_on=merged_on))
        session.flush()


def _repoint_aliases(session: Session, *, old: str, new: str) -> None:
    """Aliases of a municipality now merged away point to its successor (chains of mergers)."""
    from sqlmodel import select

    from .db.models import MunicipalityAlias

    for alias in session.exec(select(MunicipalityAlias).where(MunicipalityAlias.code == old)).all():
        duplicate = session.exec(select(MunicipalityAlias).where(
            MunicipalityAlias.alias == alias.alias, MunicipalityAlias.code == new)).first()
        if duplicate is not None:
            session.delete(alias)
        else:
            alias.code = new
            session.add(alias)
    session.flush()


def _move_contacts(session: Session, *, old: str, new: str) -> tuple[int, int]:
    """Move the contacts of ``old`` to ``new``; return (moved, already listed at ``new``)."""
    from sqlmodel import select

    from .db.models import Contact, utcnow

    listed = {c.email for c in session.exec(select(Contact)
                                            .where(Contact.municipality_code == new)).all()}
    moved = already = 0
    for contact in session.exec(select(Contact).where(Contact.municipality_code == old)).all():
        if contact.email in listed:
            already += 1
            continue
        contact.municipality_code = new
        contact.updated_at = utcnow()
        session.add(contact)
        listed.add(contact.email)
        moved += 1
    session.flush()
    return moved, already
