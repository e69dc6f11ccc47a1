"""Settings: defaults < ``yhteistuumin.toml`` < environment variables < command options.

Every key is declared once in ``KEYS``; the defaults, the validation, the environment variable
names (``YHTEISTUUMIN_<SECTION>_<KEY>``) and the commented template written by ``init`` all come
from that one table. All invalid keys are reported at once, each with its location.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "yhteistuumin.toml"
ENV_PREFIX = "YHTEISTUUMIN_"
#: Environment variable for the database URL (also ``YHTEISTUUMIN_DATABASE_URL``).
DB_ENV = "YHTEISTUUMIN_DB"
#: The SMTP password exists only in the environment (or the system keyring), never in a file.
PASSWORD_ENV = "YHTEISTUUMIN_SMTP_PASSWORD"
#: The IMAP password (``fetch``), likewise only in the environment or the system keyring.
IMAP_PASSWORD_ENV = "YHTEISTUUMIN_IMAP_PASSWORD"
#: The sections whose passwords are never read from a file, and where each comes from instead.
_PASSWORD_ENVS = {"smtp": PASSWORD_ENV, "imap": IMAP_PASSWORD_ENV}


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value.strip()


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ValueError("expected a whole number")


def _as_positive_int(value: Any) -> int:
    number = _as_int(value)
    if number < 0:
        raise ValueError("expected zero or more")
    return number


def _as_port(value: Any) -> int:
    number = _as_int(value)
    if not 0 < number < 65536:
        raise ValueError("expected a port number 1-65535")
    return number


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    raise ValueError("expected a date such as 2026-12-31 or 31.12.2026")


def _as_language(value: Any) -> str:
    text = _as_str(value).lower()
    if text not in {"fi", "sv"}:
        raise ValueError("expected fi or sv")
    return text


def _as_security(value: Any) -> str:
    text = _as_str(value).lower()
    if text not in {"ssl", "starttls", "none"}:
        raise ValueError("expected ssl, starttls or none")
    return text


_RATE_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0,
               "h": 3600.0, "hour": 3600.0}


def parse_rate(value: Any) -> float:
    """Return messages per second for a rate such as ``30/min``, ``2/s`` or ``600/hour``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        per_minute = float(value)
        if per_minute <= 0:
            raise ValueError("expected a rate above zero")
        return per_minute / 60.0
    text = _as_str(value).lower().replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)/(\w+)", text)
    if not match or match.group(2) not in _RATE_UNITS or float(match.group(1)) <= 0:
        raise ValueError("expected a rate such as 30/min, 2/s or 600/hour")
    return float(match.group(1)) / _RATE_UNITS[match.group(2)]


def _as_rate(value: Any) -> str:
    parse_rate(value)
    return value if isinstance(value, str) else f"{value}/min"


@dataclass(frozen=True)
class Key:
    """One setting: where it lives, its default, how it is checked and what it means."""

    section: str
    name: str
    default: Any
    convert: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}{self.section.upper()}_{self.name.upper()}"


KEYS: tuple[Key, ...] = (
    Key("round", "name", "yhteistuumin-2026", _as_str,
        "Name of this survey round; tokens, outbox rows and reports are kept per round."),
    Key("round", "title", "Kulttuuria yhteistuumin: hyvät käytännöt", _as_str,
        "Title of the survey as shown in emails and questionnaires."),
    Key("round", "sender", "kysely@yhteistuumin.example.fi", _as_str,
        "The From address of invitations and reminders."),
    Key("round", "sender_name", "Kulttuuria yhteistuumin", _as_str,
        "The display name beside the From address."),
    Key("round", "reply_to", "koordinaattori@yhteistuumin.example.fi", _as_str,
        "The coordinator's address: replies and returned questionnaires go here (Reply-To)."),
    Key("round", "coordinator", "Kulttuuria yhteistuumin -koordinaattori", _as_str,
        "The coordinator's name, used to sign the emails."),
    Key("round", "deadline", dt.date(2027, 1, 31), _as_date,
        "Last day to answer (YYYY-MM-DD)."),
    Key("round", "form_url", "https://www.yhteistuumin.fi/kysely?token={token}", _as_str,
        "Link to the web form; {token} is replaced by the municipality's response token."),
    Key("round", "language", "fi", _as_language,
        "The coordinator's language (fi or sv): reports, the status page and follow-up list."),
    Key("round", "privacy_url", "", _as_str,
        "Link to the privacy notice in the emails; empty links the site's tietosuojaseloste."),
    Key("round", "answer_minutes", 20, _as_positive_int,
        "About how many minutes answering takes (said in the invitation)."),
    Key("smtp", "host", "localhost", _as_str, "SMTP server host name."),
    Key("smtp", "port", 587, _as_port, "SMTP server port (587 STARTTLS, 465 SSL, 25 plain)."),
    Key("smtp", "security", "starttls", _as_security,
        "ssl, starttls or none; login without encryption is refused except to localhost."),
    Key("smtp", "user", "", _as_str,
        "Login name; the password comes from YHTEISTUUMIN_SMTP_PASSWORD or the system keyring."),
    Key("smtp", "rate", "30/min", _as_rate,
        "Sending rate in the provider's terms, e.g. 30/min, 1/s, 600/hour."),
    Key("smtp", "oauth2_token_command", "", _as_str,
        "Command that prints an OAuth2 access token for AUTH XOAUTH2 (e.g. Microsoft 365)."),
    Key("smtp", "timeout", 60, _as_positive_int, "Seconds to wait for the SMTP server."),
    Key("smtp", "ca_file", "", _as_str,
        "Extra CA certificate (PEM) to trust for the SMTP server; empty trusts the system's."),
    Key("imap", "host", "", _as_str,
        "IMAP server of the coordinator's mailbox read by 'fetch'; empty: fetch is not set up."),
    Key("imap", "port", 993, _as_port, "IMAP server port (993 SSL, 143 STARTTLS or plain)."),
    Key("imap", "security", "ssl", _as_security,
        "ssl, starttls or none; login without encryption is refused except to localhost."),
    Key("imap", "user", "", _as_str,
        "Login name; the password comes from YHTEISTUUMIN_IMAP_PASSWORD or the system keyring."),
    Key("imap", "folder", "INBOX", _as_str, "The folder 'fetch' reads."),
    Key("imap", "processed_folder", "", _as_str,
        "Folder processed messages are moved to; empty: they stay and get the keyword "
        "$Yhteistuumin. Nothing is ever deleted."),
    Key("imap", "ca_file", "", _as_str,
        "Extra CA certificate (PEM) to trust for the IMAP server; empty trusts the system's."),
    Key("imap", "oauth2_token_command", "", _as_str,
        "Command that prints an OAuth2 access token for AUTHENTICATE XOAUTH2 (Microsoft 365, "
        "Gmail)."),
    Key("imap", "timeout", 60, _as_positive_int, "Seconds to wait for the IMAP server."),
    Key("reminders", "max", 2, _as_positive_int, "At most this many reminders per municipality."),
    Key("reminders", "min_days", 7, _as_positive_int,
        "Remind only when the last message to the municipality is at least this many days old."),
    Key("bounces", "soft_limit", 3, _as_positive_int,
        "Soft bounces (mailbox full, greylisting) of one address after which the follow-up "
        "list says to check the contact."),
    Key("bounces", "soft_days", 14, _as_positive_int,
        "...or two soft bounces of one address read at least this many days apart."),
    Key("database", "url", "", _as_str,
        "SQLAlchemy URL; empty means SQLite at outputs/yhteistuumin.sqlite. Also YHTEISTUUMIN_DB."),
    Key("limits", "max_rows", 100_000, _as_positive_int,
        "Rows a table may have; a longer one is refused (far above a real round)."),
    Key("limits", "max_columns", 1_000, _as_positive_int,
        "Columns a sheet may have; a wider one is refused before it is read."),
    Key("limits", "max_cell_chars", 100_000, _as_positive_int,
        "Characters one cell may hold; a longer cell refuses its file."),
    Key("limits", "max_member_mb", 300, _as_positive_int,
        "Megabytes one file inside a zip (a workbook's sheet, a file of a zipped export) may "
        "expand to; a bigger one refuses its file unopened (a zip bomb?)."),
    Key("limits", "max_message_mb", 300, _as_positive_int,
        "Megabytes (the server's count) a message may be for 'fetch' to download it; a "
        "bigger one stays in the mailbox, said in the report."),
    Key("site", "title", "Kulttuuria yhteistuumin – hyvät käytännöt", _as_str,
        "Title of the published knowledge bank."),
    Key("site", "title_sv", "Kulttuuria yhteistuumin – goda exempel", _as_str,
        "Title of the Swedish site (sv/); [site] title is the Finnish one."),
    Key("site", "base_url", "", _as_str,
        "Public address of the site, used in practices.json links; empty keeps links relative."),
    Key("site", "contact_email", "", _as_str,
        "Feedback address of the accessibility statement and the privacy notice "
        "(empty: [round] reply_to)."),
    Key("site", "controller", "Espoon kaupunki, Kulttuuria yhteistuumin -ohjelma", _as_str,
        "The controller of the published contact details, named in the privacy notice."),
    Key("site", "statement_date", dt.date(2026, 12, 6), _as_date,
        "The day the accessibility statement was last reviewed (YYYY-MM-DD)."),
)

_BY_SECTION: dict[str, dict[str, Key]] = {}
for _key in KEYS:
    _BY_SECTION.setdefault(_key.section, {})[_key.name] = _key


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one workspace, by ``section.key``; see ``KEYS``."""

    root: Path
    values: Mapping[str, Any]
    smtp_password: str | None = field(default=None, repr=False)
    imap_password: str | None = field(default=None, repr=False)
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, dotted: str) -> Any:
        return self.values[dotted]

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def database_url(self) -> str:
        url = str(self.values["database.url"])
        return url or f"sqlite:///{self.outputs / 'yhteistuumin.sqlite'}"

    @property
    def round_name(self) -> str:
        return str(self.values["round.name"])


def _read_config_file(path: Path, raw: dict[str, tuple[Any, str]], problems: list[str]) -> None:
    """Put the keys of ``yhteistuumin.toml`` (if there is one) into ``raw``; list bad ones."""
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad writes a BOM
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text; save it as UTF-8"]) from None
    except OSError as exc:
        from .faults import os_fault

        raise ConfigError([f"{path}: {os_fault(OSError(exc.errno, exc.strerror))}"]) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        number = int(at.group(1)) if at else 0
        twice = _written_twice(text, number) if at else None
        if twice:
            raise ConfigError([f"{path}:{number}: {twice}"]) from None
        if at:  # path:line: as every other error of a file
            message = f"{at.group(1)}: {message[:at.start()]} (column {at.group(2)})"
        raise ConfigError([f"{path}:{message}; fix the TOML syntax" if at
                           else f"{path}: {message}; fix the TOML syntax"]) from None
    lines = _key_lines(text)

    def where(section: str, name: str | None = None) -> str:
        line = lines.get((section, name))
        key = f"[{section}]" + (f" {name}" if name else "")
        return f"{path}:{line}: {key}" if line else f"{path}: {key}"

    for section, table in data.items():
        if section not in _BY_SECTION:
            hint = _closest_section(section, table)
            problems.append(f"{where(section)}: unknown section; {hint}"
                            f"known: {', '.join(sorted(_BY_SECTION))}")
            continue
        if not isinstance(table, dict):
            problems.append(f"{path}: {section}: expected a [{section}] table")
            continue
        for name, value in table.items():
            if section in _PASSWORD_ENVS and name == "password":
                problems.append(f"{where(section, name)}: passwords are never read "
                                f"from a file; set {_PASSWORD_ENVS[section]} or use the "
                                "system keyring")
                continue
            if name not in _BY_SECTION[section]:
                problems.append(f"{where(section, name)}: unknown key; "
                                f"{_closest_key(section, name)}known: "
                                f"{', '.join(sorted(_BY_SECTION[section]))}")
                continue
            raw[f"{section}.{name}"] = (value, where(section, name))


def _did_you_mean(word: str, choices: Mapping[str, str]) -> str:
    """``"did you mean [smtp] host? "`` for the choice nearest ``word`` (keys of ``choices``
    compared, values shown), or "" when none is near."""
    import difflib

    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.75)
    return f"did you mean {choices[close[0]]}? " if close else ""


def _closest_key(section: str, name: str) -> str:
    """A typo of a key of ``section`` (``[smtp] hots``), else the key of another section
    written under the wrong heading (``host`` under ``[round]``)."""
    hint = _did_you_mean(name, {key: f"[{section}] {key}" for key in _BY_SECTION[section]})
    if hint:
        return hint
    exact = [f"[{other}] {name}" for other in sorted(_BY_SECTION) if name in _BY_SECTION[other]]
    if exact:  # host under [round]: [imap] host or [smtp] host
        return f"did you mean {' or '.join(exact)}? "
    elsewhere = {key: f"[{other}] {key}" for other, keys in _BY_SECTION.items()
                 if other != section for key in keys}
    return _did_you_mean(name, elsewhere)


def _closest_section(section: str, table: Any) -> str:
    """A typo of a section (``[smpt]``), or a key written flat at the top (``smtp_hots =``)."""
    if isinstance(table, dict):
        return _did_you_mean(section, {name: f"[{name}]" for name in _BY_SECTION})
    flat = {f"{other}_{key}": f"{key} under [{other}]" for other, keys in _BY_SECTION.items()
            for key in keys}
    return _did_you_mean(section, flat)


_TOML_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _written_twice(text: str, number: int) -> str | None:
    """What to do when line ``number`` sets a key (or opens a section) an earlier line already
    did, as a copy and paste in an editor leaves it; None for any other TOML error."""
    lines = text.splitlines()
    if not 0 < number <= len(lines):
        return None
    before = lines[:number - 1]
    earlier = _key_lines("\n".join(before))
    if table := _TOML_TABLE.match(lines[number - 1]):
        first = earlier.get((table.group(1), None))
        return (f"[{table.group(1)}] is written twice (first on line {first}); put its keys "
                "under one") if first else None
    key = _TOML_KEY.match(lines[number - 1])
    opened = [match.group(1) for line in before if (match := _TOML_TABLE.match(line))]
    if key is None or not opened:
        return None
    first = earlier.get((opened[-1], key.group(1)))
    return (f"[{opened[-1]}] {key.group(1)} is set twice (first on line {first}); keep the one "
            "you mean and delete the other") if first else None


def _key_lines(text: str) -> dict[tuple[str, str | None], int]:
    """The line of each ``[section]`` and of each plain ``key =`` under it (for messages
    ``path:line:``); a key written another way (dotted, quoted, inline) has none."""
    found: dict[tuple[str, str | None], int] = {}
    section: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if table := _TOML_TABLE.match(line):
            section = table.group(1)
            found.setdefault((section, None), number)
        elif section is not None and (key := _TOML_KEY.match(line)):
            found.setdefault((section, key.group(1)), number)
    return found


def _read_environment(env: Mapping[str, str], raw: dict[str, tuple[Any, str]],
                      problems: list[str]) -> None:
    """Put the ``YHTEISTUUMIN_*`` settings of ``env`` into ``raw``; list unknown ones."""
    known_env = {key.env for key in KEYS} | set(_PASSWORD_ENVS.values())
    for name in sorted(env):  # a typo (YHTEISTUUMIN_SMTP_HOTS) must not pass for the default
        env_section = next(
            (s for s in _BY_SECTION if name.startswith(f"{ENV_PREFIX}{s.upper()}_")), None)
        if env_section is not None and name not in known_env:
            known = sorted(k.env for k in KEYS if k.section == env_section)
            hint = _did_you_mean(name.lower(), {k.lower(): k for k in known_env})
            problems.append(f"{name}: unknown setting; {hint}known: {', '.join(known)}")
    for key in KEYS:
        if key.env in env:
            raw[f"{key.section}.{key.name}"] = (env[key.env], key.env)
    if env.get(DB_ENV):
        raw["database.url"] = (env[DB_ENV], DB_ENV)


def load_settings(
    root: Path,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve the settings of the workspace at ``root``; raise ``ConfigError`` listing every bad key."""
    env = {} if env is None else env
    problems: list[str] = []
    raw: dict[str, tuple[Any, str]] = {f"{k.section}.{k.name}": (k.default, "default") for k in KEYS}

    _read_config_file(root / CONFIG_NAME, raw, problems)
    _read_environment(env, raw, problems)

    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        if dotted not in raw:
            problems.append(f"option {dotted}: unknown setting")
            continue
        raw[dotted] = (value, f"option --{dotted.split('.')[-1].replace('_', '-')}")

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        dotted = f"{key.section}.{key.name}"
        value, source = raw[dotted]
        try:
            values[dotted] = key.convert(value)
        except (ValueError, TypeError) as exc:
            problems.append(f"{source}: {exc} (got {value!r})")
        sources[dotted] = source
    if problems:
        raise ConfigError(problems)
    return Settings(root=root, values=values, smtp_password=env.get(PASSWORD_ENV) or None,
                    imap_password=env.get(IMAP_PASSWORD_ENV) or None, sources=sources)


def _toml_literal(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


#: Comments written under a section's heading by ``init``.
_SECTION_NOTES: dict[str, tuple[str, ...]] = {
    "imap": (
        "# The mailbox that 'yhteistuumin fetch' reads: replies, returned questionnaires,",
        "# bounces and out-of-office replies. It never deletes a message.",
        "# Microsoft 365: host outlook.office365.com, port 993, security ssl, user your",
        "#   address, and oauth2_token_command printing an access token (Microsoft 365",
        "#   refuses passwords over IMAP).",
        "# Gmail: host imap.gmail.com, port 993, security ssl, user your address, and an app",
        "#   password in YHTEISTUUMIN_IMAP_PASSWORD (or the keyring), or oauth2_token_command.",
    ),
}


def config_template() -> str:
    """Return ``yhteistuumin.toml`` with every key commented out at its default."""
    lines = [
        "# yhteistuumin.toml: settings of this survey workspace.",
        "# Every key is shown at its default, commented out. Uncomment to change it.",
        f"# Each key can be overridden by an environment variable {ENV_PREFIX}<SECTION>_<KEY>,",
        f"# e.g. [smtp] host by {ENV_PREFIX}SMTP_HOST. Passwords are never kept here:",
        f"# set {PASSWORD_ENV} / {IMAP_PASSWORD_ENV} or store them in the system keyring.",
    ]
    for section, keys in _BY_SECTION.items():
        lines += ["", f"[{section}]", *_SECTION_NOTES.get(section, ())]
        for key in keys.values():
            lines.append(f"# {key.help}  ({key.env})")
            lines.append(f"# {key.name} = {_toml_literal(key.default)}")
    return "\n".join(lines) + "\n"
