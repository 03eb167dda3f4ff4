"""The date policy of `shared/dates.md`: what people type, read with certainty or refused.

This package is the only importer of `dateparser`. The common forms (numeric and ISO dates,
"12th March 2025", weekdays, "3 weeks ago", "in 3 years", "March 2025", ...) are read by our
own rules in `_rules`, which are fast and follow the policy exactly; dateparser is the
fallback for other orderings of a day, month and year, and its answer is only taken when it
agrees with what was typed (see `_fallback`). Everything refused raises `DateError` with a
message fit to show a person. Today is always passed in: nothing here reads the clock.

Layout: `_text` (normalising: case, spacing, abbreviations, misspellings, number words),
`_rules` (the policy as regular expressions), `_fallback` (dateparser), `_calendar` (month
arithmetic, formatting), `_messages` (refusals), `_checks` (between the fields).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.dates import _fallback
from bot.dates import _messages as msg
from bot.dates._calendar import FIRST_YEAR, LAST_YEAR, full_date, long_date
from bot.dates._checks import check_dates
from bot.dates._fallback import read_with_dateparser
from bot.dates._rules import (
    BARE_DURATION,
    Reading,
    Role,
    duration_parts,
    duration_phrase,
    interpret,
    shift,
)
from bot.dates._text import normalise
from bot.errors import DateError

FIELD_ROLES: dict[str, Role] = {
    "booked_at": "past",
    "attended_at": "past",
    "completed_at": "past",
    "expires_at": "future",
}

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
    if not text.strip():
        raise DateError(msg.empty())
    s = normalise(text)
    if not s:
        raise DateError(msg.not_understood(text))
    return s


def read_date(text: str, *, role: Role, today: dt.date) -> DateReading:
    """Read `text` as a date for a field of `role`, relative to `today`.

    Raises `DateError` (message fit to show as is) for anything not read with certainty.
    """
    _check_call(role, today)
    s = _canonical(text)
    found = interpret(s, text, role, today)
    if found is None:
        found = read_with_dateparser(s, text, role, today)
    if found is None:
        raise DateError(msg.not_understood(text))
    return _reading(found, text)


def parse_date(text: str, *, role: Role, today: dt.date) -> dt.date:
    """`read_date(...).value`."""
    return read_date(text, role=role, today=today).value


def read_expiry(
    text: str,
    *,
    today: dt.date,
    completed: dt.date | None,
    attended: dt.date | None,
) -> DateReading:
    """Read the `expires_at` field.

    A bare length of time ("3 years", "3y", "+3 years", "36 months") counts from the
    completion date of the same submission, or the attended date if there is none; anything
    else is read as a future-role date ("in 3 years" counts from today, as everywhere).
    """
    _check_call("future", today)
    s = _canonical(text)
    bare = BARE_DURATION.fullmatch(s.removesuffix(" after completion"))
    if bare is None or (bare["sign"] or "").strip() == "-":
        return read_date(text, role="future", today=today)
    base, label = (completed, "completion") if completed else (attended, "attendance")
    if base is None:
        raise DateError(msg.needs_completion(text))
    months, days = duration_parts(bare["dur"])
    value = shift(text, base, months, days, 1)
    found = Reading(
        value, False, f"{duration_phrase(bare['dur'])} after {label} on {long_date(base)}"
    )
    return _reading(found, text)


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
    "36 months", "three years after completion"); raises `DateError` for anything else,
    including a length of nothing ("0 years") and a negative one."""
    s = _canonical(text)
    bare = BARE_DURATION.fullmatch(s.removesuffix(" after completion"))
    if bare is None or (bare["sign"] or "").strip() == "-":
        raise DateError(
            f'{msg.quote(text)} is not a length of time such as "3 years" or "36 months".'
        )
    months, days = duration_parts(bare["dur"])
    if months <= 0 and days <= 0:
        raise DateError(f'{msg.quote(text)} is no length of time: give one such as "3 years".')
    return Period(months, days, duration_phrase(bare["dur"]))


def warm_up() -> None:
    """Pay the first-call costs now (dateparser's language data, our caches), not on a person.

    Called once at start-up. Reads a few fixed phrases against a fixed day; no clock.
    """
    _fallback.warm_up()
    day = dt.date(2000, 1, 1)
    for text in ("12/03/2000", "last Tuesday", "3 weeks ago", "12th March", "2000 March 12"):
        read_date(text, role="past", today=day)


__all__ = [
    "FIELD_ROLES",
    "MAX_LENGTH",
    "DateReading",
    "Period",
    "Role",
    "check_dates",
    "parse_date",
    "read_date",
    "read_expiry",
    "read_period",
    "warm_up",
]
