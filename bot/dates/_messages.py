"""The refusal messages: each names what was not understood and shows what would be."""

from __future__ import annotations

import datetime as dt

from bot.dates._calendar import FIRST_YEAR, LAST_YEAR, long_date, weekday_name

EXAMPLES = 'Try "12/03/2025", "last Tuesday" or "3 weeks ago".'
QUOTE_LIMIT = 40


def quote(text: str) -> str:
    """`text` in double quotes, on one line, printable, cut to about 40 characters."""
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
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
        f'{LAST_YEAR}; check the year, e.g. "12/03/2025".'
    )


def year_only(text: str) -> str:
    return (
        f"{quote(text)} is only a year, which is too vague for a course record. Give the day, "
        f'e.g. "12/03/2025", or at least the month, e.g. "March 2025".'
    )


def week_only(text: str) -> str:
    return (
        f"{quote(text)} is only a week, which is too vague for a course record. Give the day, "
        f'e.g. "Tuesday last week" or "12/03/2025".'
    )


def contradiction(text: str, day: dt.date, said: str) -> str:
    return (
        f"{quote(text)} doesn't add up: {long_date(day)} is a {weekday_name(day)}, not a "
        f"{said.capitalize()}. Check the date and give it without the weekday, "
        f'e.g. "{numeric(day)}".'
    )


def time_only(text: str) -> str:
    return (
        f"{quote(text)} is a time of day, not a date. Give the day, e.g. "
        f'"today", "yesterday" or "12/03/2025".'
    )


def range_(text: str) -> str:
    return (
        f"{quote(text)} looks like more than one date (a range or a list). Give one day, "
        f'e.g. "1 March 2025".'
    )


def repeat(text: str) -> str:
    return f'{quote(text)} is a repeating date. Give one day, e.g. "last Monday" or "12/03/2025".'


def vague(text: str) -> str:
    return (
        f"{quote(text)} is too vague to record. Give the day, e.g. "
        f'"12/03/2025", "last Tuesday" or "3 weeks ago".'
    )


def bare_number(text: str) -> str:
    return (
        f"{quote(text)} is just a number, not a date. Give the day and month, e.g. "
        f'"12 March" or "12/03/2025".'
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
