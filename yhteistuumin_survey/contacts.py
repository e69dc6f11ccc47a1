"""The contact list: import the coordinator's contacts, and check the coverage of the register.

``import_contacts`` reads a CSV or spreadsheet whose columns are found by their headers in
Finnish, Swedish or English, finds the municipality of each row by code or by name (the
resolver; an ambiguous or unknown name is a problem row, never a guess), splits cells holding
several addresses and validates each (syntax only, no DNS). Importing again updates the same
(municipality, address) instead of adding it twice. ``check_contacts`` reports which
municipalities have no valid contact.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .reports import Report, plural, render_table

if TYPE_CHECKING:
    from sqlmodel import Session

    from .tables import Sheet

#: Folded header -> column role. Matched whole first, then by the words a header contains.
_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("kuntanumero", "kuntakoodi", "kuntanro", "kunta nro", "kunnan numero",
             "kunnan koodi", "kommunnummer", "kommunkod", "kommunnr", "municipality code",
             "municipality number", "code", "koodi", "kod"),
    "municipality": ("kunta", "kommun", "municipality", "kunnan nimi", "kommunens namn",
                     "kommun namn", "municipality name", "kaupunki", "stad", "organisaatio",
                     "organisation", "organization"),
    "email": ("sahkoposti", "sahkopostiosoite", "sahkoposti osoite", "email", "e mail",
              "email address", "e mail address", "e post", "epost", "e postadress",
              "e postadresser", "epostadress", "mail", "sposti", "s posti", "sahkopostit",
              "emails", "sahkopostiosoitteet"),
    "name": ("nimi", "namn", "name", "yhteyshenkilo", "yhteyshenkilon nimi", "kontaktperson",
             "kontaktperson namn", "contact", "contact name", "contact person", "henkilo",
             "vastaanottaja", "mottagare", "recipient"),
    "role": ("rooli", "titteli", "tehtava", "nimike", "tehtavanimike", "virka", "befattning",
             "titel", "roll", "uppgift", "role", "title", "job title", "position"),
    "phone": ("puhelin", "puhelinnumero", "puh", "matkapuhelin", "gsm", "telefon",
              "telefonnummer", "tfn", "tel", "phone", "phone number", "mobile"),
}
_EXACT = {name: role for role, names in _HEADERS.items() for name in names}
#: Words that give a header its role when the whole header is not listed above.
_WORDS = (("email", ("sahkoposti", "email", "epost", "e post", "e mail", "sposti")),
          ("code", ("kuntanumero", "kuntakoodi", "kommunnummer", "kommunkod")),
          ("municipality", ("kunta", "kommun", "municipality")),
          ("phone", ("puhelin", "telefon", "phone")),
          ("role", ("rooli", "titteli", "nimike", "befattning", "tehtava")),
          ("name", ("nimi", "namn", "name", "yhteyshenkilo", "kontaktperson")))
#: How many rows from the top may hold titles before the header row.
HEADER_SEARCH_ROWS = 25

_SPLIT = re.compile(r"[,;\s]+")
_ANGLE = re.compile(r"<([^<>]+)>")
_AT = re.compile(r"\s*[\(\[\{]\s*(?:at|ät)\s*[\)\]\}]\s*", re.IGNORECASE)
_CODE = re.compile(r"^(?:KU)?\s*(\d{1,3})(?:\.0)?$", re.IGNORECASE)
_CODE_AND_NAME = re.compile(r"^((?:KU)?\d{1,3})\s*[-–:]?\s+(\D.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class ContactProblemRow:
    """A row (or one address in it) that could not be imported."""

    source: str
    row: int
    kind: str  # unknown-municipality, ambiguous-municipality, invalid-email, no-email, mismatch
    text: str
    reason: str

    def line(self) -> str:
        return f"{self.source}:{self.row}: {self.reason}"


@dataclass
class ContactImport:
    """What ``import_contacts`` found and did."""

    source: str
    sheet: str
    header_row: int
    columns: dict[str, list[str]]
    report: Report
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ContactProblemRow] = field(default_factory=list)
    #: What was read other than as typed, by row: a former municipality, "(at)" in an
    #: address, names and phones given to addresses in order, a header row repeated.
    notes: list[tuple[int, str]] = field(default_factory=list)
    #: Retired addresses the list names again, put back in use.
    restored: int = 0
    #: Addresses in use of the municipalities this list has that it no longer names:
    #: {"code", "name", "email"}; retired when ``retired_missing``, else still in use.
    dropped: list[dict[str, str]] = field(default_factory=list)
    retired_missing: bool = False
    #: Municipalities with a row the import could not read whole (a bad address …): what it
    #: dropped of them may be on that row, so none of it is retired.
    unsure: set[str] = field(default_factory=set)
    #: Of ``dropped``, those kept in use all the same (their municipality is in ``unsure``).
    kept: list[dict[str, str]] = field(default_factory=list)
    #: (code, name) of the municipalities left with no working address after the import.
    left_without: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def summary(self) -> list[str]:
        from .contact_retire import no_address_lines

        rows = len(self.report.outcomes)
        failed = sum(1 for o in self.report.outcomes if o.failed)
        back = f", {self.restored} retired put back in use" if self.restored else ""
        repeated = sum(1 for o in self.report.outcomes if o.status == "duplicate")
        again = f", {repeated} repeating an address read above" if repeated else ""
        lines = [f"{self.source}: {plural(rows, 'row')}: {plural(self.added, 'contact')} added, "
                 f"{self.updated} updated, {self.unchanged} unchanged{back}{again}; "
                 f"{plural(failed, 'row')} with problems."]
        if self.kept:
            n = len(self.kept)
            listed = "; ".join(f"{d['code']} {d['name']}: {d['email']}" for d in self.kept)
            lines.append(f"{plural(n, 'address')} no longer in the list kept in use all the "
                         f"same, as {'its' if n == 1 else 'their'} municipality has a row with "
                         f"problems above: {listed}. Fix the row and import the list again.")
        if self.dropped:
            n = len(self.dropped)
            listed = "; ".join(f"{d['code']} {d['name']}: {d['email']}" for d in self.dropped)
            if self.retired_missing:
                lines.append(f"{plural(n, 'address')} of municipalities in this list no longer "
                             f"in it, retired (kept for the record, never mailed again): "
                             f"{listed}.")
            else:
                lines.append(f"{plural(n, 'address')} of municipalities in this list no longer "
                             f"in it, still in use (invitations and reminders go to "
                             f"{'it' if n == 1 else 'them'}): {listed}. To stop mailing "
                             f"{'it' if n == 1 else 'them'}: import the list again with "
                             "--retire-missing, or yhteistuumin register retire ADDRESS.")
        lines += [f"Warning: {line}" for line in no_address_lines(self.left_without)]
        return lines + ["Next: 'yhteistuumin register check' shows which municipalities have "
                        "no contact."]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        return ["source", "status", "code", "reason"], [
            {"source": o.source, "status": o.status, "code": o.detail.get("code") or "",
             "reason": o.reason} for o in self.report.outcomes]

    def text(self) -> str:
        """The problems and the notes in the order of the rows, then the summary."""
        # A note among the problems reads like one: its row's outcome says what was imported
        # ("1 added ('Vehmersalmi' is a former municipality, now part of 297 Kuopio)").
        done = {o.source: o.reason for o in self.report.outcomes}
        lines = sorted([(item.row, item.line()) for item in self.problems]
                       + [(row, f"{self.source}:{row}: "
                                f"{done.get(f'{self.source}:{row}', note)}")
                          for row, note in self.notes],
                       key=lambda pair: pair[0])
        return "\n".join([line for _, line in lines] + self.summary())

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "sheet": self.sheet, "header_row": self.header_row,
                "columns": self.columns, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "problems": [asdict(p) for p in self.problems],
                "notes": [{"row": row, "note": note} for row, note in self.notes],
                "restored": self.restored, "dropped": self.dropped, "kept": self.kept,
                "retired_missing": self.retired_missing,
                "no_address_left": [{"municipality": c, "name": n}
                                    for c, n in self.left_without],
                **self.report.to_dict()}


# --- reading ---------------------------------------------------------------------------------


def header_role(text: str) -> str | None:
    """Return the column role a header names (code, municipality, email, name, role, phone)."""
    from .survey import fold

    folded = fold(text)
    if not folded:
        return None
    if folded in _EXACT:
        return _EXACT[folded]
    padded = f" {folded} "
    for role, words in _WORDS:
        if any(word in folded.replace(" ", "") or f" {word} " in padded for word in words):
            return role
    return None


def find_header(sheet: Sheet) -> tuple[int, dict[str, list[int]]] | None:
    """Return (row index, role -> column indexes) of the first row that names a municipality
    column and an email column, or None."""
    from .tables import find_header_row

    return find_header_row(sheet.rows, header_role, search_rows=HEADER_SEARCH_ROWS,
                           accept=lambda roles: "email" in roles
                           and bool({"code", "municipality"} & roles))


def split_addresses(cell: str) -> list[str]:
    """Return the address candidates of a cell: ``a@x.fi; b@x.fi``, ``Name <a@x.fi>``, …"""
    text = _AT.sub("@", cell.replace("mailto:", " "))
    bracketed = _ANGLE.findall(text)
    if bracketed:
        return [part.strip() for part in bracketed if part.strip()]
    tokens = [token.strip("\"'()[]<>") for token in _SPLIT.split(text)]
    tokens = [token for token in tokens if token]
    with_at = [token for token in tokens if "@" in token]
    return with_at if with_at else tokens


def normalise_address(address: str) -> str:
    """Return the address in the form it is stored (lower case); raise ValueError if invalid."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized.lower()


def _parse_code(text: str) -> str | None:
    match = _CODE.match(text.strip())
    return match.group(1).zfill(3) if match else None


@dataclass
class _Municipalities:
    """The register as the import needs it: codes in force, former codes, the resolver."""

    session: Session
    names: dict[str, str]
    successor: dict[str, str]
    folded: dict[str, set[str]] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)
    resolver: Any = None

    @classmethod
    def load(cls, session: Session) -> _Municipalities:
        from sqlmodel import select

        from .db.models import Municipality, MunicipalityAlias
        from .survey import fold

        names: dict[str, str] = {}
        successor: dict[str, str] = {}
        folded: dict[str, set[str]] = {}
        gone: dict[str, str] = {}
        for municipality in session.exec(select(Municipality)).all():
            if municipality.active:
                names[municipality.code] = municipality.name_fi
                folded[municipality.code] = {fold(municipality.name_fi),
                                             fold(municipality.name_sv)}
            elif municipality.successor_code:
                successor[municipality.code] = municipality.successor_code
            else:
                gone[municipality.code] = municipality.name_fi
        for alias in session.exec(select(MunicipalityAlias)).all():
            if alias.old_code and alias.old_code not in names:
                successor.setdefault(alias.old_code, alias.code)
        return cls(session, names, successor, folded, gone)

    def by_code(self, code: str) -> tuple[str | None, str]:
        """Return (code in force or None, note)."""
        if code in self.names:
            return code, ""
        seen: set[str] = set()
        current = code
        while current in self.successor and current not in seen:
            seen.add(current)
            current = self.successor[current]
            if current in self.names:
                return current, f"former code {code}, now {current} {self.names[current]}"
        if code in self.gone:
            return None, (f"{code} {self.gone[code]} is no longer a municipality and the register "
                          "names no successor; give the municipality it now belongs to")
        return None, f"{code} is not a municipality code in the register"

    def by_name(self, text: str) -> tuple[list[str], str, str]:
        """Return (codes, status, reason) for a municipality name."""
        if self.resolver is None:
            from .resolve import Resolver

            self.resolver = Resolver.from_session(self.session)
        result = self.resolver.resolve(text)
        codes = [code for code in result.codes if code in self.names]
        methods = set(result.method.split("+"))  # one per part of the text
        if result.status == "resolved" and len(codes) == 1 and methods == {"fuzzy"}:
            # A near spelling: the invitation (and its answer token) would go to a guessed
            # municipality. The coordinator writes the name, it takes a second.
            return [], "unsure", (f"{text!r} is not a municipality's name as the register "
                                  f"writes it; did you mean {codes[0]} {self.names[codes[0]]}? "
                                  "write the name in full or give the code")
        if result.status == "resolved" and len(codes) == 1:
            if "former" in methods:
                return codes, "resolved", (f"{text!r} is a former municipality, now part of "
                                           f"{codes[0]} {self.names[codes[0]]}")
            return codes, "resolved", ""
        if result.status == "resolved" and len(codes) > 1:
            names = ", ".join(f"{code} {self.names[code]}" for code in codes)
            return codes, "ambiguous", f"{text!r} names several municipalities ({names}); " \
                                       "give one per row"
        if result.status == "ambiguous":
            candidates = ", ".join(f"{code} {self.names[code]}" if code in self.names else code
                                   for code in (result.candidates or codes)[:5])
            return [], "ambiguous", f"{text!r} could be several municipalities ({candidates}); " \
                                    "write the name in full or give the code"
        return [], "unresolved", f"{text!r} names no municipality in the register; " \
                                 "check the spelling or give the code"


# --- importing -------------------------------------------------------------------------------


def import_contacts(path: Path, *, session: Session, display: str | None = None,
                    retire_missing: bool = False, round_name: str = "", who: str = ""
                    ) -> ContactImport:
    """Import a contact list; every row gets an outcome, bad rows become ``ContactProblem``.

    The addresses in use of the municipalities the list has that it no longer names are
    listed (``dropped``), and retired with ``retire_missing`` (a list of some municipalities
    only, or one sheet of several, must not retire the others' addresses: only those of the
    municipalities it names are looked at). Raises ``InputError`` only when the file as a
    whole cannot be used (missing, not a table, no municipality and email columns).
    """
    from sqlmodel import col, delete, select

    from .db.models import Contact, ContactProblem, utcnow
    from .tables import cell_text

    source = display or str(path)
    sheet, header_index, roles = _find_contact_sheet(path, source)
    header_cells = [cell_text(v) for v in sheet.rows[header_index]]
    result = ContactImport(source=source, sheet=sheet.name, header_row=header_index + 1,
                           columns={role: [header_cells[i] for i in indexes]
                                    for role, indexes in roles.items()},
                           report=Report())
    header_folded = [cell.casefold() for cell in header_cells if cell]
    register = _Municipalities.load(session)
    upsert = _ContactUpserter(session, path.name, utcnow(),
                              {(c.municipality_code, c.email): c
                               for c in session.exec(select(Contact)).all()})

    def column(row: list[str], role: str) -> str:
        values = [row[i].strip() for i in roles.get(role, []) if i < len(row) and row[i].strip()]
        return "\n".join(values) if role == "email" else " ".join(values)

    for index, raw in enumerate(sheet.rows[header_index + 1:], start=header_index + 2):
        row = [cell_text(value) for value in raw]
        if not any(row):
            continue
        if [cell.casefold() for cell in row if cell] == header_folded:
            # Two lists pasted one under the other: the second one's header is no contact.
            result.notes.append((index, "the header row again; skipped"))
            continue
        problems: list[ContactProblemRow] = []

        def problem(kind: str, text: str, reason: str, row_number: int = index,
                    sink: list[ContactProblemRow] = problems) -> None:
            sink.append(ContactProblemRow(source, row_number, kind, text, reason))

        code, note = _row_municipality(register, column(row, "code"),
                                       column(row, "municipality"), problem)
        addresses, read_as = _row_addresses(column(row, "email"), problem)
        note = "; ".join(filter(None, [note, read_as]))
        phone_text = column(row, "phone")
        if "@" in phone_text:
            # An address in the phone column is not a phone, nor a contact of its own: the
            # coordinator moves it (the rest of the row is imported).
            problem("misplaced", phone_text, f"the phone column holds an email address "
                    f"({phone_text!r}); move it to the email column, it was not imported")
            phone_text = ""
        counts = {"added": 0, "updated": 0, "unchanged": 0, "duplicate": 0, "restored": 0}
        if code is not None:
            names = per_person(column(row, "name"), len(addresses), "name")
            phones = per_person(phone_text, len(addresses), "phone")
            if len(addresses) > 1 and (len(set(names)) > 1 or len(set(phones)) > 1):
                note = "; ".join(filter(None, [note, "the names and phones of the row given to "
                                               "its addresses in order"]))
            for address, name, phone in zip(addresses, names, phones, strict=True):
                for key, n in upsert(code, [address], index, name=name,
                                     role=column(row, "role") or None, phone=phone).items():
                    counts[key] += n
        result.added += counts["added"]
        result.updated += counts["updated"]
        result.unchanged += counts["unchanged"]
        result.restored += counts["restored"]
        result.problems.extend(problems)
        if problems and code is not None:
            result.unsure.add(code)
        if note and not problems:
            result.notes.append((index, note))
        _report_row(result.report, f"{source}:{index}", code, note, counts, problems)

    _dropped_contacts(result, session, upsert, register.names, retire_missing=retire_missing,
                      round_name=round_name, who=who)
    session.exec(delete(ContactProblem).where(col(ContactProblem.source_file) == path.name))
    for item in result.problems:
        session.add(ContactProblem(source_file=path.name, source_row=item.row, kind=item.kind,
                                   text=item.text[:500], reason=item.reason))
    session.flush()
    return result


def _dropped_contacts(result: ContactImport, session: Session, upsert: _ContactUpserter,
                      names: dict[str, str], *, retire_missing: bool, round_name: str,
                      who: str) -> None:
    """List (and with ``retire_missing`` retire) the addresses in use of the municipalities
    the list names that it no longer has; say who is left with no working address."""
    from .contact_retire import retire, without_address

    codes = {code for code, _address in upsert.seen_in_file}
    dropped = sorted((c for key, c in upsert.existing.items() if c.status == "valid"
                      and c.municipality_code in codes and key not in upsert.seen_in_file),
                     key=lambda c: (c.municipality_code, c.email))
    def listed(contacts: list[Any]) -> list[dict[str, str]]:
        return [{"code": c.municipality_code, "name": names.get(c.municipality_code, ""),
                 "email": c.email} for c in contacts]

    result.kept = listed([c for c in dropped if c.municipality_code in result.unsure])
    dropped = [c for c in dropped if c.municipality_code not in result.unsure]
    result.dropped = listed(dropped)
    result.retired_missing = retire_missing
    if retire_missing and dropped:
        retire(session, dropped, reason=f"not in the contact list {upsert.file_name}",
               round_name=round_name, who=who, now=upsert.now)
        session.flush()
    result.left_without = without_address(session, codes)


#: What separates people in a contact-list cell: a semicolon, a slash, a line, "ja"/"och".
_PEOPLE = re.compile(r"\s*(?:[;/\n]|\s(?:ja|och|and|&)\s)\s*", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
#: A phone number as people type one: digits, spaces, "+", "-", "/", brackets.
_PHONE = re.compile(r"^\+?[\d\s()/-]+$")


def per_person(cell: str, count: int, kind: str) -> list[str | None]:
    """Return a row's name (``kind`` "name") or phone cell for each of its ``count`` addresses.

    A cell naming as many people as the row has addresses ("Maija Meikäläinen; Pekka Puupää"
    beside "maija@…; pekka@…") gives each address its own part, in order; commas separate
    people only when every part is a whole name (two words or more: "Meikäläinen, Maija" is one
    person) or a whole phone number. Any other cell is every address's, as it was typed.
    """
    whole: list[str | None] = [cell or None] * count
    if count < 2 or not cell:
        return whole
    parts = [part.strip() for part in _PEOPLE.split(cell)]
    if len(parts) != count:
        parts = [part.strip() for part in cell.split(",")]
        fits = (lambda part: len(part.split()) >= 2) if kind == "name" else \
            (lambda part: len(_DIGIT.findall(part)) >= 5)
        if len(parts) != count or not all(map(fits, parts)):
            return whole
    if not all(parts):
        return whole
    return list(parts)


def _find_contact_sheet(path: Path, source: str) -> tuple[Sheet, int, dict[str, list[int]]]:
    """Return the sheet (visible ones first), header row and columns of a contact list."""
    from .tables import cell_text, read_table_file

    sheets = read_table_file(path)
    for sheet in sorted(sheets, key=lambda s: s.hidden):
        header = find_header(sheet)
        if header is not None:
            return (sheet, *header)
    first = next((row for sheet in sheets for row in sheet.rows[:HEADER_SEARCH_ROWS]
                  if any(cell_text(v) for v in row)), [])
    seen = ", ".join(cell_text(v) for v in first if cell_text(v))[:200]
    raise InputError(f"{source}: unknown column layout: no row names both a municipality "
                     "column (kunta, kommun, municipality, kuntanumero) and an email column "
                     f"(sähköposti, e-post, email); first row: {seen or 'empty'}")


def _row_municipality(register: _Municipalities, code_text: str, name_text: str,
                      problem: Callable[[str, str, str], None]) -> tuple[str | None, str]:
    """Return (code, note) of the municipality a row names by code, name or both."""
    from .survey import fold

    combined = _CODE_AND_NAME.match(name_text)
    if combined and not code_text:
        # "091 Helsinki": the code, and the name to check it against.
        code_text, name_text = combined.group(1), combined.group(2)
    if not (code_text or _parse_code(name_text)):
        if not name_text:
            problem("unknown-municipality", "", "no municipality on this row; fill in the "
                    "municipality's name or code")
            return None, ""
        codes, status, reason = register.by_name(name_text)
        if status == "resolved":
            return codes[0], reason
        kinds = {"ambiguous": "ambiguous-municipality", "unsure": "unsure-municipality"}
        problem(kinds.get(status, "unknown-municipality"), name_text, reason)
        return None, ""
    raw_code = code_text or name_text
    parsed = _parse_code(raw_code)
    if parsed is None:
        problem("unknown-municipality", raw_code,
                f"{raw_code!r} is not a municipality code (1-3 digits)")
        return None, ""
    code, note = register.by_code(parsed)
    if code is None:
        problem("unknown-municipality", raw_code, note)
    elif name_text and not _parse_code(name_text) \
            and fold(name_text) not in register.folded.get(code, set()):
        codes, status, _ = register.by_name(name_text)
        if status == "resolved" and codes[0] != code:
            problem("mismatch", f"{raw_code} {name_text}",
                    f"code {parsed} is {code} {register.names[code]} but the name "
                    f"{name_text!r} is {codes[0]} {register.names[codes[0]]}; fix one of them")
            return None, note
    return code, note


def _row_addresses(email_text: str, problem: Callable[[str, str, str], None]
                   ) -> tuple[list[str], str]:
    """Return the valid addresses of a row's email cells and a note of what was read other
    than as typed ("(at)" for "@"); each bad one becomes a problem."""
    if not email_text:
        problem("no-email", "", "no email address on this row")
        return [], ""
    cell = " ".join(email_text.split())
    if "@" not in _AT.sub("@", email_text):
        # No address at all: one problem for the cell as typed, not one for each of its words
        # ("040 765 4321" is a phone, not three bad addresses).
        if _PHONE.match(cell) and len(_DIGIT.findall(cell)) >= 5:
            problem("invalid-email", cell, f"{cell!r} in the email column is a phone number, "
                    "not an address; move it to the phone column and give the address")
        else:
            problem("invalid-email", cell, f"{cell!r} is not an email address (it has no "
                    "@-sign); give the address in the email column")
        return [], ""
    addresses: list[str] = []
    for candidate in split_addresses(email_text):
        try:
            addresses.append(normalise_address(candidate))
        except ValueError as exc:
            # The cell as typed beside the part that failed: "ville@vantaa,fi" was cut at the
            # comma, and the coordinator looks for what the file says.
            typed = f" (the cell reads {cell!r})" if cell != candidate else ""
            problem("invalid-email", candidate, f"{candidate!r} is not a valid email "
                    f"address{typed}: {str(exc).rstrip('.')}; correct it in the list and "
                    "import it again")
    note = ""
    left_out = _words_left_out(email_text)
    if addresses and (_AT.search(email_text) or left_out):
        note = f"{email_text.strip()!r} read as {', '.join(addresses)}"
        if left_out:
            # "Kirjaamo: a@x.fi", "a@x.fi (lomalla)", a pasted "Bcc: b@x.fi": the words
            # around the addresses are no contact, and the coordinator sees what was taken.
            note += f" (not an address, left out: {' '.join(left_out)!r})"
    return addresses, note


def _words_left_out(cell: str) -> list[str]:
    """The words of an email cell that ``split_addresses`` did not take as addresses when the
    cell has some (a display name before ``<address>`` is no word left out)."""
    text = _AT.sub("@", cell.replace("mailto:", " "))
    if _ANGLE.search(text) or "@" not in text:
        return []
    tokens = [token.strip("\"'()[]<>") for token in _SPLIT.split(text)]
    return [token for token in tokens if token and "@" not in token]


class _ContactUpserter:
    """Adds or updates the contacts of one file; an address repeated in the file counts once."""

    def __init__(self, session: Session, file_name: str, now: Any,
                 existing: dict[tuple[str, str], Any]):
        self.session, self.file_name, self.now, self.existing = session, file_name, now, existing
        self.seen_in_file: dict[tuple[str, str], int] = {}

    def __call__(self, code: str, addresses: list[str], row: int, *, name: str | None,
                 role: str | None, phone: str | None) -> dict[str, int]:
        from .db.models import Contact

        counts = {"added": 0, "updated": 0, "unchanged": 0, "duplicate": 0, "restored": 0}
        for address in addresses:
            key = (code, address)
            if key in self.seen_in_file:
                counts["duplicate"] += 1
                continue
            self.seen_in_file[key] = row
            contact = self.existing.get(key)
            if contact is None:
                contact = Contact(municipality_code=code, email=address, name=name, role=role,
                                  phone=phone, source_file=self.file_name, source_row=row)
                self.session.add(contact)
                self.existing[key] = contact
                counts["added"] += 1
                continue
            new = (name or contact.name, role or contact.role, phone or contact.phone)
            if contact.status == "retired":  # the list names it again: in use again
                contact.status = "valid"
                contact.name, contact.role, contact.phone = new
                counts["restored"] += 1
            elif new != (contact.name, contact.role, contact.phone):
                contact.name, contact.role, contact.phone = new
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            contact.source_file, contact.source_row = self.file_name, row
            contact.updated_at = self.now
            self.session.add(contact)
        return counts


def _report_row(report: Report, where: str, code: str | None, note: str,
                counts: dict[str, int], problems: list[ContactProblemRow]) -> None:
    """Add a row's outcome: error (with what was imported anyway), added, updated, …"""
    labels = (("added", "added"), ("updated", "updated"), ("restored", "retired, back in use"),
              ("unchanged", "unchanged"), ("duplicate", "repeated in the file"))
    summary = ", ".join(f"{counts[key]} {label}" for key, label in labels if counts[key])
    if note:
        summary = f"{summary} ({note})" if summary else note
    if problems:
        reason = "; ".join(p.reason for p in problems)
        if summary and code is not None:
            reason += f"; imported: {summary}"
        report.add(where, "error", reason, code=code)
        return
    status = next((key for key in ("added", "updated", "restored", "unchanged") if counts[key]),
                  "duplicate")
    report.add(where, status, summary, code=code)


# --- coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCoverage:
    """How many municipalities of a region have a valid contact."""

    region_code: str
    region: str
    municipalities: int
    covered: int

    @property
    def missing(self) -> int:
        return self.municipalities - self.covered


@dataclass
class Coverage:
    """What ``check_contacts`` found."""

    regions: list[RegionCoverage]
    missing: list[dict[str, str]]
    bounced: list[dict[str, Any]]
    shared: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    #: Addresses retired (``register retire``): kept for the record, never mailed.
    retired: list[dict[str, Any]] = field(default_factory=list)

    @property
    def municipalities(self) -> int:
        return sum(region.municipalities for region in self.regions)

    @property
    def covered(self) -> int:
        return sum(region.covered for region in self.regions)

    #: ``register check --strict``: an incomplete coverage is a failure.
    strict: bool = False

    @property
    def complete(self) -> bool:
        """True when every municipality has a valid contact and no row is left unresolved."""
        return not self.missing and not self.problems

    @property
    def failed(self) -> bool:
        return self.strict and not self.complete

    def summary(self) -> list[str]:
        # Rows, as 'register contacts' counts them: a row can hold several problems.
        rows = len({(p["source"], p["row"]) for p in self.problems})
        return [f"{self.covered} of {self.municipalities} municipalities have a valid contact; "
                f"{len(self.missing)} missing, {len(self.bounced)} bounced, "
                f"{plural(rows, 'row')} with problems."]

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = [
            {"region": f"{r.region_code} {r.region}", "municipalities": r.municipalities,
             "with_contact": r.covered, "missing": r.missing} for r in self.regions]
        rows.append({"region": "total", "municipalities": self.municipalities,
                     "with_contact": self.covered, "missing": self.municipalities - self.covered})
        return ["region", "municipalities", "with_contact", "missing"], rows

    def sections(self) -> list[tuple[str, list[dict[str, Any]], list[str]]]:
        """Return what needs attention: (title, rows, columns) of each list."""
        return [
            ("No valid contact", list(self.missing), ["code", "name", "region"]),
            ("Bounced addresses", list(self.bounced), ["code", "name", "email", "reason"]),
            ("Retired addresses (kept for the record, never mailed)", list(self.retired),
             ["code", "name", "email"]),
            ("Addresses shared by several municipalities (allowed, a note)",
             [{"email": s["email"], "municipalities": ", ".join(
                 f"{c} {n}" for c, n in zip(s["codes"], s["names"], strict=True))}
              for s in self.shared], ["email", "municipalities"]),
            ("Problems in the rows of the contact list",
             [{"row": f"{p['source']}:{p['row']}", "kind": p["kind"], "reason": p["reason"]}
              for p in self.problems], ["row", "kind", "reason"]),
        ]

    def text(self) -> str:
        columns, rows = self.table()
        lines = [render_table(rows, columns, ["region", "municipalities", "with contact",
                                              "missing"])]
        for title, section_rows, section_columns in self.sections():
            if section_rows:
                lines += ["", f"{title} ({len(section_rows)}):",
                          render_table(section_rows, section_columns)]
        return "\n".join([*lines, "", *self.summary()])

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipalities": self.municipalities, "covered": self.covered,
            "missing_count": len(self.missing),
            "regions": [{**asdict(r), "missing": r.missing} for r in self.regions],
            "missing": self.missing, "bounced": self.bounced, "shared": self.shared,
            "problems": self.problems, "retired": self.retired,
        }


def check_contacts(*, session: Session) -> Coverage:
    """Return the coverage of the register by valid contacts, and what needs attention."""
    from sqlmodel import col, select

    from .db.models import Contact, ContactProblem, Municipality, Region

    regions = {r.code: r for r in session.exec(select(Region)).all()}
    municipalities = session.exec(select(Municipality).where(col(Municipality.active).is_(True))
                                  .order_by(col(Municipality.code))).all()
    active = {m.code: m for m in municipalities}
    contacts = session.exec(select(Contact).order_by(col(Contact.municipality_code),
                                                     col(Contact.email))).all()
    valid = {c.municipality_code for c in contacts if c.status == "valid"}
    per_region: dict[str, list[Municipality]] = defaultdict(list)
    for municipality in municipalities:
        per_region[municipality.region_code].append(municipality)
    coverage = [RegionCoverage(region_code=code, region=regions[code].name_fi,
                               municipalities=len(members),
                               covered=sum(1 for m in members if m.code in valid))
                for code, members in sorted(per_region.items())]
    missing = [{"code": m.code, "name": m.name_fi, "region": regions[m.region_code].name_fi}
               for m in municipalities if m.code not in valid]
    bounced = [{"code": c.municipality_code,
                "name": active[c.municipality_code].name_fi if c.municipality_code in active
                else "", "email": c.email, "reason": c.bounce_reason or ""}
               for c in contacts if c.status == "bounced"]
    retired = [{"code": c.municipality_code,
                "name": active[c.municipality_code].name_fi if c.municipality_code in active
                else "", "email": c.email} for c in contacts if c.status == "retired"]
    by_address: dict[str, list[str]] = defaultdict(list)
    for contact in contacts:
        if contact.status == "valid" and contact.municipality_code in active:
            by_address[contact.email].append(contact.municipality_code)
    shared = [{"email": email, "codes": codes,
               "names": [active[code].name_fi for code in codes]}
              for email, codes in sorted(by_address.items()) if len(codes) > 1]
    problems = [{"source": p.source_file, "row": p.source_row, "kind": p.kind, "text": p.text,
                 "reason": p.reason}
                for p in session.exec(select(ContactProblem)
                                      .order_by(col(ContactProblem.source_file),
                                                col(ContactProblem.source_row))).all()]
    return Coverage(regions=coverage, missing=missing, bounced=bounced, shared=shared,
                    problems=problems, retired=retired)
