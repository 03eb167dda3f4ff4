"""The refusal messages: each names what was not understood and shows what would be.

The forms offered must fit the field: a past date is offered "last Tuesday", an expiry "3
years". Messages are built where the problem is found, which does not know the field, so they
carry the marker `TRY` (and `PAST_HINT`, a hint only a past field gets), and `finish` puts in
the forms for the field once, where the error leaves the package.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.dates._calendar import FIRST_YEAR, LAST_YEAR, long_date, month_name, weekday_name
from bot.dates._text import visible

Field = Literal["past", "future", "expiry"]

#: Replaced by `finish` with one or two forms that fit the field.
TRY = "\x00try\x00"
#: Replaced by `finish` with its text in a past field, and by nothing in any other.
PAST_HINT = "\x00past:"
_PAST_HINT_END = "\x00"
EXAMPLES = TRY
QUOTE_LIMIT = 40


def examples(field: Field, today: dt.date) -> str:
    """The forms offered to a person for `field`."""
    later = f"31/03/{today.year + 2}"
    if field == "expiry":
        return f'Try "3 years" (counted from completion) or "{later}".'
    if field == "future":
        return f'Try "{later}" or "in 3 years".'
    return 'Try "12/03/2025", "last Tuesday" or "3 weeks ago".'


def finish(message: str, field: Field, today: dt.date) -> str:
    """`message` with the forms for `field` in place of its markers."""
    while PAST_HINT in message:
        start = message.index(PAST_HINT)
        end = message.index(_PAST_HINT_END, start + len(PAST_HINT))
        hint = message[start + len(PAST_HINT) : end] if field == "past" else ""
        message = message[:start] + hint + message[end + 1 :]
    message = message.replace(TRY, examples(field, today))
    return " ".join(message.split())


def past_hint(text: str) -> str:
    return f"{PAST_HINT}{text}{_PAST_HINT_END}"


def quote(text: str) -> str:
    """`text` in double quotes as the person sees it: one line, no invisible characters,
    cut to about 40 characters."""
    clean = visible(text)
    if len(clean) > QUOTE_LIMIT:
        clean = clean[: QUOTE_LIMIT - 1].rstrip() + "…"
    return f'"{clean}"'


def numeric(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def not_understood(text: str) -> str:
    return f"I couldn't read {quote(text)} as a date. {EXAMPLES}"


def empty() -> str:
    return 'The date is empty. Type a date such as "12/03/2025", "yesterday" or "3 weeks ago".'


def too_long(length: int) -> str:
    return f"That is too long to be a date ({length} characters). {EXAMPLES}"


def month_first(text: str, meant: dt.date | None) -> str:
    hint = f' If you meant {long_date(meant)}, type "{numeric(meant)}".' if meant else ""
    return (
        f"I couldn't read {quote(text)} as a date: dates are read day first "
        f"(day/month/year), so the middle number is the month.{hint}"
    )


def impossible(text: str, reason: str) -> str:
    return f"{quote(text)} is not a real date: {reason}. {EXAMPLES}"


def out_of_range(text: str, day: dt.date) -> str:
    return (
        f"{quote(text)} would be {long_date(day)}, outside the years {FIRST_YEAR} to "
        f"{LAST_YEAR}; check the year. {TRY}"
    )


def year_only(text: str) -> str:
    return (
        f"{quote(text)} is only a year, which is too vague for a course record. Give the day. {TRY}"
    )


def week_only(text: str) -> str:
    return (
        f"{quote(text)} is only a week, which is too vague for a course record. Give the day"
        + past_hint(', e.g. "Tuesday last week"')
        + f". {TRY}"
    )


def contradiction(text: str, day: dt.date, said: str) -> str:
    return (
        f"{quote(text)} doesn't add up: {long_date(day)} is a {weekday_name(day)}, not a "
        f"{said.capitalize()}. Check the date and give it without the weekday, "
        f'e.g. "{numeric(day)}".'
    )


def time_only(text: str) -> str:
    return (
        f"{quote(text)} is a time of day, not a date. Give the day"
        + past_hint(', e.g. "today" or "yesterday"')
        + f". {TRY}"
    )


def range_(text: str) -> str:
    return f"{quote(text)} looks like more than one date (a range or a list). Give one day. {TRY}"


def repeat(text: str) -> str:
    return f"{quote(text)} is a repeating date. Give one day. {TRY}"


def vague(text: str) -> str:
    return f"{quote(text)} is too vague to record. Give the day. {TRY}"


def bare_number(text: str) -> str:
    return (
        f"{quote(text)} is just a number, not a date. Give the day and month"
        + past_hint(', e.g. "12 March" or "the 12th"')
        + f". {TRY}"
    )


def timestamp(text: str) -> str:
    return f"{quote(text)} looks like a computer timestamp, not a date. {EXAMPLES}"


def bare_duration(text: str, phrase: str) -> str:
    return f'{quote(text)} is a length of time, not a date: say "{phrase} ago" or "in {phrase}".'


def needs_completion(text: str) -> str:
    return (
        f"An expiry of {quote(text)} counts from the completion date, so a completion date is "
        f"needed for a relative expiry. Give the completion (or attended) date, or the expiry "
        f'as a date, e.g. "12/03/2028".'
    )


def six_digits(text: str) -> str:
    return (
        f"{quote(text)} could be read day first or year first: write it with slashes, "
        f'e.g. "03/04/2025", or year first with dashes, e.g. "2025-04-03".'
    )


def month_or_year(text: str, month: int, number: int, year: int, day_possible: bool) -> str:
    name = month_name(month)
    as_day = f'"{number} {name}" or ' if day_possible else ""
    return f'{quote(text)} could be a day or a month and year: type {as_day}"{name} {year}".'


def minutes_or_months(text: str) -> str:
    return (
        f"{quote(text)}: is that minutes or months? Say which, e.g. "
        f'"5 months" (minutes are too fine for a course record). {TRY}'
    )


def not_whole_days(text: str) -> str:
    return (
        f"{quote(text)} is not a whole number of days; course dates are whole days. "
        f'Give days, e.g. "2 days ago", or the date. {TRY}'
    )


def not_whole_length(text: str) -> str:
    return (
        f"{quote(text)} is not a whole number of days or months; give it in whole months, "
        f'e.g. "18 months", or give the date. {TRY}'
    )


def minutes(text: str) -> str:
    return f"{quote(text)} is a time, not a date. Give the day. {TRY}"


def which_bank_holiday(text: str) -> str:
    return (
        f"{quote(text)}: which bank holiday? Say it, e.g. "
        f'"the August bank holiday 2025" or "Easter Monday 2025", or give the date. {TRY}'
    )


def may_day(text: str) -> str:
    return (
        f'{quote(text)} could be 1 May or the May bank holiday: type "1 May" or '
        f'"the May bank holiday".'
    )


def week_today(text: str) -> str:
    return (
        f'{quote(text)} could be a week ago or a week ahead: type "a week ago today" or '
        f'"in a week".'
    )


def no_such_feast(text: str, name: str, year: int) -> str:
    name = name.removeprefix("the ")
    return (
        f"{quote(text)}: the {name} of {year} is not known (bank holidays are known to 2100). "
        f"Give the date. {TRY}"
    )


def no_such_day(text: str, reason: str) -> str:
    return f"{quote(text)} is not a real date: {reason}. {TRY}"


def weekday_of_day_alone(text: str, day: dt.date, said: str) -> str:
    return (
        f"{quote(text)} doesn't add up: {long_date(day)} is a {weekday_name(day)}, not a "
        f'{said.capitalize()}. Give the month too, e.g. "{day.day} {month_name(day.month)}", '
        "or the date."
    )


def no_expiry_here(text: str) -> str:
    return f"{quote(text)} means no expiry: leave the expiry empty and no date is sent. {TRY}"


def base_not_certain(text: str) -> str:
    return (
        f"{quote(text)}: I couldn't tell which date to count from; give it in full, "
        f'e.g. "3 years from 10/07/2026". {TRY}'
    )


def needs_attended(text: str) -> str:
    return (
        f"An expiry of {quote(text)} counts from the attended date, so an attended date is "
        f"needed. Give the attended date, or the expiry as a date. {TRY}"
    )
