"""Course renewal rules: how long each course's training lasts before it must be renewed.

The rules live in a TOML file (the `RENEWALS_PATH` setting, `renewals.toml` by default; see
`renewals.example.toml`)::

    [courses]
    "Safeguarding Foundations" = "3 years"   # by name, case-insensitive
    2 = "36 months"                          # by course id

When a submission leaves the expiry blank but gives a completion date (or, without one, an
attended date), and its course has a rule, `bot.submission.check` fills the expiry in: the
completion date plus the course's period, read by `bot.dates` exactly as a typed "3 years"
in the expiry field would be. The reply says that it was filled in, and from what.

A missing file at the default path means no rules; a missing file that was asked for by
setting `RENEWALS_PATH`, or a malformed one, is a `ConfigError` naming the file and the line
or key at fault: the bot refuses to start rather than fill in wrong expiries.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot import dates
from bot.errors import ConfigError, DateError

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["Filled", "RenewalRules", "load_renewals", "parse_renewals", "renewals_from_settings"]

#: The only table the file may have.
TABLE = "courses"
#: A longer renewal period than this is a typing mistake, not a rule.
MAX_MONTHS = 100 * 12
_ID = re.compile(r"[0-9]{1,10}")


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Filled:
    """An expiry filled in from a course's renewal period."""

    value: dt.date
    #: The period, as said to a person: "3 years".
    period: str
    #: What it counts from: "completion" or "attendance".
    after: str
    #: For the reply: "12 March 2028 (3 years after completion: the course's renewal period)".
    note: str


@dataclass(frozen=True)
class RenewalRules:
    """Renewal periods by course id and by course name (case-insensitive)."""

    by_id: Mapping[int, dates.Period] = field(default_factory=dict)
    by_name: Mapping[str, dates.Period] = field(default_factory=dict)
    #: Where the rules came from (for logs), or None.
    source: str | None = None

    def __len__(self) -> int:
        return len(self.by_id) + len(self.by_name)

    def needs_name(self, course_id: int) -> bool:
        """True when only the course's name could find its rule (none by id, some by name)."""
        return course_id not in self.by_id and bool(self.by_name)

    def period_for(self, course_id: int, course_name: str | None = None) -> dates.Period | None:
        """The renewal period of a course: its id's rule, else its name's, else None."""
        period = self.by_id.get(course_id)
        if period is None and course_name:
            period = self.by_name.get(_name_key(course_name))
        return period

    def fill_expiry(
        self,
        course_id: int,
        course_name: str | None = None,
        *,
        completed: dt.date | None,
        attended: dt.date | None,
    ) -> Filled | None:
        """The expiry a course's rule gives, counted from completion (else attendance);
        None without a rule or without either date."""
        base, after = (completed, "completion") if completed else (attended, "attendance")
        if base is None:
            return None
        period = self.period_for(course_id, course_name)
        if period is None:
            return None
        value = period.after(base)
        note = (
            f"{value.day} {value:%B %Y} "
            f"({period.phrase} after {after}: the course's renewal period)"
        )
        return Filled(value=value, period=period.phrase, after=after, note=note)


def _line_of(text: str, key: str) -> int | None:
    """The line of `text` where `key` is given (for messages; TOML's own errors say it)."""
    quoted = rf"(?:\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})"
    pattern = re.compile(rf"^\s*(?:{quoted}\s*=|\[\[?\s*{quoted}\s*[\].])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def parse_renewals(text: str, *, source: str = "renewals") -> RenewalRules:
    """Read the rules from TOML `text`; `source` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Renewal rules {source}: not valid TOML: {exc}.") from None
    unknown = [key for key in data if key != TABLE]
    if unknown:
        where = _line_of(text, unknown[0])
        raise ConfigError(
            f"Renewal rules {source}"
            + (f", line {where}" if where else "")
            + f": unknown key {unknown[0]!r}; the rules go in a [{TABLE}] table."
        )
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"Renewal rules {source}: {TABLE!r} must be a table ([{TABLE}]).")
    by_id: dict[int, dates.Period] = {}
    by_name: dict[str, dates.Period] = {}
    for key, value in table.items():
        where = _line_of(text, key)
        at = f"Renewal rules {source}" + (f", line {where}" if where else "") + f", {key!r}"
        if not isinstance(value, str):
            raise ConfigError(f'{at}: give the period as text, such as "3 years".')
        try:
            if not value.strip():
                raise DateError('The period is empty: give one such as "3 years".')
            period = dates.read_period(value)
        except DateError as exc:
            raise ConfigError(f"{at}: {exc.message}") from None
        if period.months > MAX_MONTHS:
            raise ConfigError(f"{at}: {period.phrase} is longer than any renewal period.")
        name = key.strip()
        if _ID.fullmatch(name):
            course_id = int(name)
            if course_id <= 0 or course_id in by_id:
                problem = "not a course id" if course_id <= 0 else "given twice"
                raise ConfigError(f"{at}: {problem}.")
            by_id[course_id] = period
        elif name:
            folded = _name_key(name)
            if folded in by_name:
                raise ConfigError(f"{at}: the course is given twice (names ignore case).")
            by_name[folded] = period
        else:
            raise ConfigError(f"{at}: a course id or name is needed.")
    return RenewalRules(by_id=by_id, by_name=by_name, source=source)


def load_renewals(path: str | Path, *, required: bool = True) -> RenewalRules:
    """Read the rules from the file at `path`. A missing file is a `ConfigError` when
    `required`, and no rules otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"Renewal rules {path}: no such file (RENEWALS_PATH).") from None
        return RenewalRules()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Renewal rules {path}: cannot be read ({exc}).") from None
    return parse_renewals(text, source=str(path))


def renewals_from_settings(settings: Settings) -> RenewalRules:
    """The rules `RENEWALS_PATH` names; the default file may be missing, a chosen one not."""
    return load_renewals(
        settings.renewals_path, required="renewals_path" in settings.model_fields_set
    )
