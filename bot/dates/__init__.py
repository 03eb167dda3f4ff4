"""The date policy of `shared/dates.md`: what people type, read with certainty or refused.

This package is the only importer of `dateparser`. The common forms (numeric and ISO dates,
"12th March 2025", weekdays, "3 weeks ago", "in 3 years", "March 2025", church days and bank
holidays, "the 24th", "Friday week", ...) are read by our own rules in `_rules`, which are
fast and follow the policy (version 2) exactly; dateparser is the
fallback for other orderings of a day, month and year, and its answer is only taken when it
agrees with what was typed (see `_fallback`). Everything refused raises `DateError` with a
message fit to show a person. Today is always passed in: nothing here reads the clock.

Layout: `_text` (normalising: case, spacing, abbreviations, misspellings, number words),
`_rules` (the policy as regular expressions), `_fallback` (dateparser), `_calendar` (month
arithmetic, formatting, Easter from dateutil and bank holidays from `holidays`), `_messages`
(refusals, with forms that fit the field), `_checks` (between the fields).

"No expiry" ("never", "n/a", "no expiry") is the caller's to act on: `is_no_expiry(text)`
says whether the expiry field means it, `NO_EXPIRY` is how a reply says so, and
`read_expiry` refuses such text with a message saying to leave the field empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.dates import _fallback
from bot.dates import _messages as msg
from bot.dates._calendar import FIRST_YEAR, LAST_YEAR, full_date, long_date
from bot.dates._checks import check_dates, with_grace
from bot.dates._fallback import read_with_dateparser
from bot.dates._rules import (
    DURATION,
    Reading,
    Role,
    duration_parts,
    duration_phrase,
    interpret,
    shift,
)
from bot.dates._text import normalise, visible
from bot.errors import DateError
from bot.fields import FIELD_ROLES

#: Longer than any date a person types; refused before any parsing.
MAX_LENGTH = 100


@dataclass(frozen=True)
class DateReading:
    """A date read from text, and how it was read (for the reply to the person)."""

    value: dt.date
    #: True when only a month was given and the 1st was assumed.
    day_assumed: bool
    #: A short explanation, e.g. "Tuesday 12 March 2024 (last Tuesday)".
    how: str


def _reading(found: Reading, text: str) -> DateReading:
    if not FIRST_YEAR <= found.value.year <= LAST_YEAR:
        raise DateError(msg.out_of_range(text, found.value))
    if found.day_assumed:
        return DateReading(
            found.value, True, f"{long_date(found.value)} (no day given: the 1st assumed)"
        )
    return DateReading(found.value, False, f"{full_date(found.value)} ({found.note})")


def _check_call(role: str, today: dt.date) -> None:
    """Programming errors, not a person's: fail loudly."""
    if role not in ("past", "future"):
        raise ValueError(f"role must be 'past' or 'future', not {role!r}")
    if isinstance(today, dt.datetime) or not isinstance(today, dt.date):
        raise TypeError(f"today must be a datetime.date, not {type(today).__name__}")


def _canonical(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"a date is read from str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise DateError(msg.too_long(len(text)))
    if not visible(text):
        raise DateError(msg.empty())
    s = normalise(text)
    if not s:
        raise DateError(msg.not_understood(text))
    return s


def _read(s: str, text: str, role: Role, today: dt.date) -> Reading:
    found = interpret(s, text, role, today)
    if found is None:
        found = read_with_dateparser(s, text, role, today)
    if found is None:
        raise DateError(msg.not_understood(text))
    return found


def read_date(text: str, *, role: Role, today: dt.date) -> DateReading:
    """Read `text` as a date for a field of `role`, relative to `today`.

    Raises `DateError` (message fit to show as is) for anything not read with certainty.
    """
    _check_call(role, today)
    try:
        return _reading(_read(_canonical(text), text, role, today), text)
    except DateError as exc:
        raise DateError(msg.finish(exc.message, role, today)) from None


def parse_date(text: str, *, role: Role, today: dt.date) -> dt.date:
    """`read_date(...).value`."""
    return read_date(text, role=role, today=today).value


#: What the expiry field may say for "this does not expire".
_NO_EXPIRY = frozenset(
    {
        "never",
        "never expires",
        "no expiry",
        "no expiry date",
        "no expiration",
        "no end date",
        "n/a",
        "na",
        "none",
        "not applicable",
        "does not expire",
        "doesnt expire",
        "lifetime",
        "for life",
        "permanent",
        "no renewal",
        "no renewal needed",
    }
)
#: How a reply says that the expiry was left empty on purpose.
NO_EXPIRY = "no expiry (left empty, as typed; no renewal period applied)"


def is_no_expiry(text: str) -> bool:
    """Whether the expiry field's `text` says the course does not expire ("never", "n/a",
    "no expiry"): the field is then left empty and no renewal rule fills it."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH or not text.strip():
        return False
    return normalise(text) in _NO_EXPIRY


_COMPLETION = (
    "completion|completing|completed|course|course date|training|completion date"
    "|date completion|course completion|completing course|completion course"
)
_ATTENDANCE = "attendance|attending|attended|attendance date|date attendance|attending course"
#: A length of time in the expiry field, with the words that may go with it.
_EXPIRY_LENGTH = re.compile(
    r"(?:(?:lasts?|valid|valid for|good for|for|every|renewable after|renewed after) )?"
    rf"(?P<sign>[+-] ?)?{DURATION}(?: (?:validity|valid|renewal|yearly))?"
    rf"(?: (?:from|after) (?:(?P<completion>{_COMPLETION})|(?P<attendance>{_ATTENDANCE})"
    r"|(?P<base>.+)))?"
    r"|(?P<n>[0-9]{1,2} )?(?:annually|annual|yearly|annual renewal"
    r"|(?:renewed |renewable |renew )?every year|(?:renewed |renewable )?each year)",
    re.ASCII,
)


def _expiry_length(s: str) -> re.Match[str] | None:
    found = _EXPIRY_LENGTH.fullmatch(s)
    if found is None or (found["sign"] or "").strip() == "-":
        return None
    if found["base"] in ("now", "today"):  # "3 years from now": counted from today
        return None
    return found


def _length(found: re.Match[str]) -> tuple[int, int, str]:
    """(months, days, phrase) of a match of `_EXPIRY_LENGTH`."""
    if found["dur"] is None:
        years = int(found["n"] or 1)
        return 12 * years, 0, f"{years} year{'' if years == 1 else 's'}"
    months, days = duration_parts(found["dur"])
    return months, days, duration_phrase(found["dur"])


def read_expiry(
    text: str,
    *,
    today: dt.date,
    completed: dt.date | None,
    attended: dt.date | None,
) -> DateReading:
    """Read the `expires_at` field.

    A length of time ("3 years", "3y", "+3 years", "36 months", "1.5 years", "P3Y",
    "valid for 3 years", "annually") counts from the completion date of the same
    submission, or the attended date if there is none ("from attendance" says so); "3 years
    from 10/07/2026" counts from the date given. Anything else is read as a future-role date
    ("in 3 years" counts from today, as everywhere). "never", "n/a", "no expiry" are refused
    here: check `is_no_expiry` first and leave the field empty.
    """
    _check_call("future", today)
    try:
        return _read_expiry(text, today, completed, attended)
    except DateError as exc:
        raise DateError(msg.finish(exc.message, "expiry", today)) from None


def _read_expiry(
    text: str, today: dt.date, completed: dt.date | None, attended: dt.date | None
) -> DateReading:
    s = _canonical(text)
    if s in _NO_EXPIRY:
        raise DateError(msg.no_expiry_here(text))
    found = _expiry_length(s)
    if found is None:
        return _reading(_read(s, text, "future", today), text)
    months, days, phrase = _length(found)
    if found["base"] is not None:
        base = _read(found["base"], text, "past", today).value
        if _read(found["base"], text, "future", today).value != base:
            raise DateError(msg.base_not_certain(text))
        value = shift(text, base, months, days, 1)
        return _reading(Reading(value, False, f"{phrase} from {long_date(base)}"), text)
    if found["attendance"] is not None:
        if attended is None:
            raise DateError(msg.needs_attended(text))
        start, label = attended, "attendance"
    elif completed is not None:
        start, label = completed, "completion"
    elif attended is not None:
        start, label = attended, "attendance"
    else:
        raise DateError(msg.needs_completion(text))
    value = shift(text, start, months, days, 1)
    return _reading(Reading(value, False, f"{phrase} after {label} on {long_date(start)}"), text)


@dataclass(frozen=True)
class Period:
    """A length of time such as a course's renewal period ("3 years", "36 months")."""

    months: int
    days: int
    #: How it is said back to a person: "3 years", "1 year and 6 months".
    phrase: str

    def after(self, day: dt.date) -> dt.date:
        """The day this long after `day` (31 March + 1 month is 30 April, as everywhere)."""
        return shift(self.phrase, day, self.months, self.days, 1)


def read_period(text: str) -> Period:
    """Read a bare length of time, as the `expires_at` field reads one ("3 years", "3y",
    "36 months", "three years after completion", "1.5 years", "annually"); raises
    `DateError` for anything else, including a length of nothing ("0 years"), a negative
    one and one from a given date."""
    s = _canonical(text)
    found = _expiry_length(s)
    if found is None or found["base"] is not None or found["attendance"] is not None:
        raise DateError(
            f'{msg.quote(text)} is not a length of time such as "3 years" or "36 months".'
        )
    months, days, phrase = _length(found)
    if months <= 0 and days <= 0:
        raise DateError(f'{msg.quote(text)} is no length of time: give one such as "3 years".')
    return Period(months, days, phrase)


def warm_up() -> None:
    """Pay the first-call costs now (dateparser's language data, our caches), not on a person.

    Called once at start-up. Reads a few fixed phrases against a fixed day; no clock.
    """
    _fallback.warm_up()
    day = dt.date(2000, 1, 1)
    for text in (
        "12/03/2000",
        "last Tuesday",
        "3 weeks ago",
        "12th March",
        "2000 March 12",
        "the late May bank holiday",
        "Easter",
    ):
        read_date(text, role="past", today=day)


__all__ = [
    "FIELD_ROLES",
    "MAX_LENGTH",
    "NO_EXPIRY",
    "DateReading",
    "Period",
    "Role",
    "check_dates",
    "is_no_expiry",
    "parse_date",
    "read_date",
    "read_expiry",
    "read_period",
    "warm_up",
    "with_grace",
]
