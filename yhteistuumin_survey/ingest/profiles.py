"""Header profiles: one YAML file per export tool under ``survey/profiles/`` (data, not code).

A profile says how a tool's export is recognised (``signature``: every group, or
``signature_min`` of them, must have one heading in the header row), where its header
row is, which columns are metadata (response ID, times, the respondent's account email,
LimeSurvey's token), how multiple choices are separated, which timestamp formats it writes,
and extra headings of its own. A new tool's
export needs a new profile, not code. A workspace's own ``survey/profiles/<name>.yaml``
replaces the bundled one of the same name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..normalise import fold  # cached: the same labels and titles are folded again and again
from ..survey import safe_load_yaml

#: Metadata roles a profile may name.
META_ROLES = ("response_id", "started", "submitted", "modified", "account_email", "account_name",
              "token", "last_page", "start_language", "seed", "score", "ip", "referrer",
              "municipality_code", "survey_version")

#: What a survey tool says of a respondent that the survey never needs (our own LimeSurvey
#: form is made with ipaddr and refurl off, webform.py): personal data, so an answer's
#: columns in these roles are not stored, not even in the answer as received.
UNKEPT_ROLES = frozenset({"ip", "referrer"})


@dataclass(frozen=True)
class Profile:
    """How one export tool writes its responses."""

    name: str
    label: str
    priority: int
    signature: tuple[frozenset[str], ...]
    search_rows: int
    metadata: dict[str, tuple[str, ...]]
    anonymous: frozenset[str]
    separators: tuple[str, ...]
    option_columns: bool
    choice_codes: dict[str, str]
    timestamps: tuple[str, ...]
    questions: dict[str, str]
    complete_when: str | None = None
    fuzzy_cutoff: float = 85.0
    weak_headings: frozenset[str] = frozenset()
    signature_min: int | None = None  # None: every group
    path: Path | None = field(default=None, compare=False)

    def meta_role(self, header: str) -> str | None:
        """Return the metadata role of a header (``response_id``, ``submitted``…), or None."""
        key = fold(header)
        for role, spellings in self.metadata.items():
            if key in {fold(s) for s in spellings}:
                return role
        return None

    def matches(self, headers: list[str]) -> bool:
        """Whether a header row carries this profile's signature."""
        if not self.signature:
            return False
        folded = {fold(h) for h in headers if h}
        found = sum(1 for group in self.signature if group & folded)
        return found >= (self.signature_min or len(self.signature))

    def parse_time(self, value: Any) -> dt.datetime | None:
        """Parse a timestamp cell with the profile's formats (None when it cannot)."""
        return parse_timestamp(value, self.timestamps)


_LAST_FORMAT: dict[int, str] = {}
#: strptime's directives that ``_strptime`` reads itself, and strptime's own compiled pattern of
#: each format made of only them (None: strptime reads that format).
_READ_DIRECTIVES = frozenset({"Y", "y", "m", "d", "H", "I", "M", "S", "p", "z"})
_TIME_PATTERNS: dict[str, Any] = {}
_GMT = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?$")
#: Time zones a form tool names by their abbreviation ("10:15:22 AM EET", Google Forms for a
#: Finnish form's owner), as the offsets from UTC they stand for: only names that mean one.
_ZONES = {"UTC": "+0", "GMT": "+0", "WET": "+0", "WEST": "+1", "CET": "+1", "CEST": "+2",
          "EET": "+2", "EEST": "+3"}
_ZONE = re.compile(r"\s(UTC|GMT|WET|WEST|CET|CEST|EET|EEST)$")


def _time_pattern(fmt: str) -> Any:
    if fmt in _TIME_PATTERNS:
        return _TIME_PATTERNS[fmt]
    pattern = None
    try:
        import _strptime

        compiled = _strptime._TimeRE_cache.compile(fmt)
        groups = set(compiled.groupindex)
        if groups <= _READ_DIRECTIVES and not {"Y", "y"} <= groups and not {"H", "I"} <= groups:
            pattern = compiled
    except Exception:  # noqa: BLE001 - a format strptime refuses, another Python: strptime decides
        pattern = None
    _TIME_PATTERNS[fmt] = pattern
    if pattern is not None and not _reads_as_strptime(fmt):
        _TIME_PATTERNS[fmt] = pattern = None
    return pattern


#: Times written in each format and read back both ways before the short way is trusted
#: (midnight and noon for %I/%p, offsets east and west, a leap day, two-digit years).
_SAMPLE_TIMES = [dt.datetime(2024, 2, 29, 0, 5, 9), dt.datetime(2023, 12, 31, 12, 59, 58),
                 dt.datetime(1999, 7, 4, 23, 0, 0), dt.datetime(2068, 1, 1, 13, 30, 0)]
_SAMPLE_ZONES = [dt.timezone(dt.timedelta(hours=2)), dt.timezone(-dt.timedelta(hours=5, minutes=30)),
                 dt.UTC]


def _reads_as_strptime(fmt: str) -> bool:
    """Whether ``_strptime`` reads what this format writes as strptime does (another Python's
    strptime may read a field differently: then strptime reads that format)."""
    for sample in _SAMPLE_TIMES:
        for zone in _SAMPLE_ZONES:
            text = sample.replace(tzinfo=zone).strftime(fmt)
            for typed in (text, text.lower()):
                try:
                    expected: Any = dt.datetime.strptime(typed, fmt)
                except ValueError:
                    expected = ValueError
                try:
                    got: Any = _strptime(typed, fmt)
                except ValueError:
                    got = ValueError
                if got != expected or (expected is not ValueError and got.tzinfo != expected.tzinfo):
                    return False
    return True


def _strptime(text: str, fmt: str) -> dt.datetime:
    """``datetime.strptime(text, fmt)``, the same value or ValueError, without its general
    machinery for the formats of dates and times in numbers (a form export has thousands):
    strptime's own pattern matches, the fields are read as strptime reads them."""
    pattern = _time_pattern(fmt)
    if pattern is None:
        return dt.datetime.strptime(text, fmt)
    found = pattern.match(text)
    if found is None or found.end() != len(text):
        raise ValueError(f"time data {text!r} does not match format {fmt!r}")
    fields = found.groupdict()
    if "Y" in fields:
        year = int(fields["Y"])
    elif "y" in fields:
        year = int(fields["y"])
        year += 2000 if year <= 68 else 1900
    else:
        year = 1900
    hour = int(fields.get("H") or 0)
    if "I" in fields:
        import _strptime

        times = _strptime._TimeRE_cache.locale_time
        if "p" in fields and times.lang != _strptime._getlang():
            return dt.datetime.strptime(text, fmt)  # the locale changed: strptime learns it
        hour = int(fields["I"])
        ampm = fields.get("p", "").lower()
        if ampm in ("", times.am_pm[0]):
            if hour == 12:
                hour = 0
        elif ampm == times.am_pm[1] and hour != 12:
            hour += 12
    tz = None
    if "z" in fields:
        tz = _utc_offset(fields["z"])
    return dt.datetime(year, int(fields.get("m") or 1), int(fields.get("d") or 1), hour,
                       int(fields.get("M") or 0), int(fields.get("S") or 0), 0, tz)


@lru_cache(maxsize=256)  # an export writes one or two offsets, on every row
def _utc_offset(z: str) -> dt.timezone:
    """A ``%z`` field as strptime reads it."""
    if z == "Z":
        return dt.timezone(dt.timedelta(0))
    if z[3] == ":":
        z = z[:3] + z[4:]
        if len(z) > 5:
            if z[5] != ":":
                raise ValueError(f"Inconsistent use of : in {z}")
            z = z[:5] + z[6:]
    seconds = int(z[1:3]) * 3600 + int(z[3:5]) * 60 + int(z[5:7] or 0)
    remainder = z[8:]
    fraction = int(remainder + "0" * (6 - len(remainder)))
    if z.startswith("-"):
        seconds, fraction = -seconds, -fraction
    return dt.timezone(dt.timedelta(seconds=seconds, microseconds=fraction))


def parse_timestamp(value: Any, formats: tuple[str, ...] | list[str]) -> dt.datetime | None:
    """Parse a timestamp the way form tools and Excel write them; naive times stay naive."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = " ".join(str(value).replace("\u00a0", " ").split())
    zone = _ZONE.search(text)
    if zone:  # "EET" -> "GMT+2"
        text = f"{text[:zone.start()]} GMT{_ZONES[zone.group(1)]}"
    # "GMT+1" / "GMT+2" / "GMT+05:30" -> "+0100" so %z can read it.
    match = _GMT.search(text)
    if match:
        text = text[:match.start()] + "GMT" + f"{match.group(1)}{int(match.group(2)):02d}" \
            + (match.group(3) or "00")
    parsed = _read_with(text, formats)
    if parsed is not None:
        return parsed
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    # As a spreadsheet shows it, or a person types it: without seconds ("3/1/2024 9:00", what
    # Excel writes re-saving a CSV), with "klo" ("1.3.2024 klo 9.00"), or a day alone: the
    # profile's own formats read so, and a dotted date (always day first).
    return _read_with(_CLOCK_WORD.sub(" ", text), _lenient(tuple(formats)))


def _read_with(text: str, formats: tuple[str, ...] | list[str]) -> dt.datetime | None:
    """``text`` read by the first of ``formats`` that reads it (None: none does)."""
    # The format that worked last time first: an export writes all its times alike.
    last = _LAST_FORMAT.get(id(formats))
    for fmt in (last, *formats) if last else formats:
        try:
            parsed = _strptime(text, fmt)
        except ValueError:
            continue
        _LAST_FORMAT[id(formats)] = fmt
        return parsed
    return None


#: The word before a time ("1.3.2024 klo 9.00", "1.3.2024 kl. 9.00").
_CLOCK_WORD = re.compile(r"\s+(?:klo|kl\.?)\s+", re.IGNORECASE)


@lru_cache(maxsize=64)
def _lenient(formats: tuple[str, ...]) -> tuple[str, ...]:
    """A profile's formats, the same without their seconds, and dotted dates, day first, with
    or without a time: what ``parse_timestamp`` tries, "klo" taken out, when the formats
    themselves read nothing."""
    shorter = [fmt.replace(":%S", "").replace(".%S", "") for fmt in formats]
    dotted = ["%d.%m.%Y %H.%M.%S", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H.%M", "%d.%m.%Y %H:%M",
              "%d.%m.%Y"]
    return tuple(dict.fromkeys([*formats, *shorter, *dotted]))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_profile(data: Any, path: Path) -> Profile:
    """Check and build a profile from its parsed YAML."""
    if not isinstance(data, dict) or not data.get("name"):
        raise InputError(f"{path}: a header profile needs at least 'name'")
    metadata: dict[str, tuple[str, ...]] = {}
    for role, spellings in (data.get("metadata") or {}).items():
        if role not in META_ROLES:
            raise InputError(f"{path}: unknown metadata role {role!r}; use one of "
                             f"{', '.join(META_ROLES)}")
        metadata[role] = _strings(spellings)
    choices = data.get("choices") or {}
    header_row = data.get("header_row") or {}
    return Profile(
        name=str(data["name"]),
        label=str(data.get("label") or data["name"]),
        priority=int(data.get("priority", 50)),
        signature=tuple(frozenset(fold(s) for s in _strings(group))
                        for group in data.get("signature") or ()),
        search_rows=int(header_row.get("search_rows", 10)),
        metadata=metadata,
        anonymous=frozenset(fold(s) for s in _strings(data.get("anonymous"))),
        separators=_strings(choices.get("separators")),
        option_columns=bool(choices.get("option_columns", False)),
        choice_codes={fold(str(k)): str(v) for k, v in (choices.get("codes") or {}).items()},
        timestamps=_strings(data.get("timestamps")),
        questions={fold(str(k)): str(v) for k, v in (data.get("questions") or {}).items()},
        complete_when=data.get("complete_when"),
        fuzzy_cutoff=float(data.get("fuzzy_cutoff", 85)),
        signature_min=int(data["signature_min"]) if data.get("signature_min") else None,
        weak_headings=frozenset(fold(s) for s in _strings(data.get("weak_headings"))),
        path=path,
    )


@cache
def _load(path: Path, mtime: float) -> Profile:
    import yaml

    try:
        data = safe_load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse_profile(data, path)


def load_profiles(workspace: Any = None) -> dict[str, Profile]:
    """Return every header profile by name: the bundled ones, replaced by the workspace's own."""
    from ..resources import bundled_path

    folders = [bundled_path("survey/profiles")]
    if workspace is not None:
        folders.append(Path(workspace.root) / "survey" / "profiles")
    profiles: dict[str, Profile] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            profile = _load(path, path.stat().st_mtime)
            profiles[profile.name] = profile
    if "table" not in profiles:
        raise InputError("survey/profiles/table.yaml is missing; reinstall or restore it")
    return profiles
