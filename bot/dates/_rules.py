"""The fast path: the forms people really type, read by regular expressions.

`interpret(s, ...)` takes the canonical string from `_text.normalise` and either returns a
`Reading`, raises `DateError` (a form we recognise and refuse), or returns None when none of
the rules applies (the caller then tries dateparser, carefully).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Literal, NamedTuple

from bot.dates import _messages as msg
from bot.dates._calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MONTH_NUMBER,
    MONTHS,
    WEEKDAY_NUMBER,
    WEEKDAYS,
    add_months,
    days_in_month,
    monday_of,
    month_name,
    most_recent,
    next_on_or_after,
    weekday_after,
    weekday_before,
)
from bot.errors import DateError

Role = Literal["past", "future"]


class Reading(NamedTuple):
    value: dt.date
    day_assumed: bool
    note: str


_A = re.ASCII
_MONTH = "(?P<m>" + "|".join(MONTHS) + ")"
_WD = "(?P<wd>" + "|".join(WEEKDAYS) + ")"
_WD2 = _WD.replace("?P<wd>", "?P<wd2>")
_UNIT = "(?:day|week|fortnight|month|year)"
_DUR = rf"(?P<dur>[0-9]{{1,3}} {_UNIT}(?: (?:and )?[0-9]{{1,3}} {_UNIT})*)"
_DUR2 = _DUR.replace("?P<dur>", "?P<dur2>")
_DUR3 = _DUR.replace("?P<dur>", "?P<dur3>")
_DUR_PART = re.compile(rf"([0-9]{{1,3}}) ({_UNIT})", _A)

# --- refusals that look at the whole text -----------------------------------------------------

_REPEAT = re.compile(
    r"\b(?:every|each|daily|weekly|fortnightly|monthly|yearly|annually|quarterly|weekdays"
    r"|weekends)\b",
    _A,
)
_RANGE = re.compile(
    r"\b(?:to|until|till|til|through|thru|between)\b|(?:^| )[-&](?: |$)"
    rf"|\b[0-9]{{1,2}} ?- ?[0-9]{{1,2}} {_MONTH.replace('?P<m>', '')}"
    rf"|{_MONTH.replace('?P<m>', '')} [0-9]{{1,2}} ?- ?[0-9]{{1,2}}\b"
    r"|[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4} ?- ?[0-9]"
    r"|\b[0-9]+ (?:and|or) [0-9]+\b|\bor\b",
    _A,
)
_VAGUE = re.compile(
    r"\b(?:few|several|couple|some|sometime|about|around|approx|approximately|circa|ca"
    r"|roughly|early|mid|middle|late|end|beginning|start|ish|maybe|probably|half|recently"
    r"|soon|later|ages|while)\b",
    _A,
)
_TIME = re.compile(
    r"\b(?:(?:0?[1-9]|1[0-2])(?::[0-5][0-9]){0,2} ?(?:am|pm)"
    r"|(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
    r"|noon|midday|midnight|(?:0?[1-9]|1[0-2]) oclock)(?: (?:gmt|bst|utc|z))?\b"
    r"|\b(?:in )?(?:morning|afternoon|evening|night)\b",
    _A,
)
#: "12 March 2025 Wednesday": a weekday after a date is checked as one before it would be.
_TRAILING_WEEKDAY = re.compile(rf"(?P<rest>[0-9].*) {_WD}", _A)
_PART_OF_DAY = re.compile(r"\bthis (?:morning|afternoon|evening)\b", _A)
_LAST_NIGHT = re.compile(r"\blast night\b", _A)


def _check_weekday(text: str, value: dt.date, wd: str | None) -> None:
    if wd is not None and WEEKDAY_NUMBER[wd] != value.weekday():
        raise DateError(msg.contradiction(text, value, wd))


def _make(text: str, year: int, month: int, day: int) -> dt.date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateError(
            f"{msg.quote(text)} has the year {year}, outside {FIRST_YEAR} to {LAST_YEAR}; "
            'check the year, e.g. "12/03/2025".'
        )
    if not 1 <= month <= 12:
        raise DateError(msg.impossible(text, f"there is no month {month}"))
    last = days_in_month(year, month)
    if day == 0:
        raise DateError(msg.impossible(text, "there is no day 0"))
    if day > last:
        raise DateError(msg.impossible(text, f"{month_name(month)} {year} has only {last} days"))
    return dt.date(year, month, day)


def _no_year(text: str, month: int, day: int, role: Role, today: dt.date) -> dt.date:
    if not 1 <= month <= 12:
        raise DateError(msg.impossible(text, f"there is no month {month}"))
    if day == 0 or day > (29 if month == 2 else days_in_month(2001, month)):
        raise DateError(
            msg.impossible(text, f"{month_name(month)} never has {day} days")
            if day
            else msg.impossible(text, "there is no day 0")
        )
    found = (
        most_recent(month, day, today) if role == "past" else next_on_or_after(month, day, today)
    )
    if found is None:  # pragma: no cover - only at the ends of the calendar
        raise DateError(msg.not_understood(text))
    return found


def _no_year_note(value: dt.date, role: Role) -> str:
    which = "the most recent" if role == "past" else "the next"
    return f"no year given: {which} {value.day} {month_name(value.month)}"


def _year(y: str) -> int:
    return 2000 + int(y) if len(y) == 2 else int(y)


def duration_parts(text: str) -> tuple[int, int]:
    """(months, days) in a canonical duration like `1 year and 2 month`."""
    months = days = 0
    for number, unit in _DUR_PART.findall(text):
        n = int(number)
        if unit == "year":
            months += 12 * n
        elif unit == "month":
            months += n
        elif unit == "fortnight":
            days += 14 * n
        elif unit == "week":
            days += 7 * n
        else:
            days += n
    return months, days


def shift(text: str, today: dt.date, months: int, days: int, sign: int) -> dt.date:
    try:
        return add_months(today, sign * months) + dt.timedelta(days=sign * days)
    except (OverflowError, ValueError):
        raise DateError(msg.not_understood(text)) from None


def duration_phrase(canonical: str) -> str:
    parts = []
    for number, unit in _DUR_PART.findall(canonical):
        parts.append(f"{number} {unit}{'' if number == '1' else 's'}")
    return " and ".join(parts)


# --- the rules -------------------------------------------------------------------------------

Rule = Callable[["re.Match[str]", str, Role, dt.date], Reading]
_RULES: list[tuple[re.Pattern[str], Rule]] = []


def rule(pattern: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES.append((re.compile(pattern, _A), fn))
        return fn

    return register


@rule(
    r"(?:(?P<wd>" + "|".join(WEEKDAYS) + r") )?(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})"
    r"(?P=sep)(?P<d>[0-9]{1,2})"
)
def _iso(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    value = _make(text, int(m["y"]), int(m["m"]), int(m["d"]))
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, "read year first")


@rule(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
def _compact(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if not FIRST_YEAR <= int(m["y"]) <= LAST_YEAR:
        raise DateError(
            f"{msg.quote(text)} is just a number. Write the date with slashes, "
            'e.g. "12/03/2025", or year first, e.g. "2025-03-12".'
        )
    return Reading(_make(text, int(m["y"]), int(m["m"]), int(m["d"])), False, "read year first")


@rule(
    r"(?:(?P<wd>" + "|".join(WEEKDAYS) + r") )?(?P<d>[0-9]{1,2})(?P<sep>[-/. ])(?P<m>[0-9]{1,2})"
    r"(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})"
)
def _dmy(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if m["sep"] == " " and len(m["y"]) == 2:
        raise DateError(msg.not_understood(text))
    day, month, year = int(m["d"]), int(m["m"]), _year(m["y"])
    if month > 12 and 1 <= day <= 12:
        meant = dt.date(year, day, month) if _valid(year, day, month) else None
        raise DateError(msg.month_first(text, meant))
    value = _make(text, year, month, day)
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, "read day first")


def _valid(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


@rule(r"(?:(?P<wd>" + "|".join(WEEKDAYS) + r") )?(?P<d>[0-9]{1,2})[/.-](?P<m>[0-9]{1,2})")
def _dm(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    day, month = int(m["d"]), int(m["m"])
    if month > 12 and 1 <= day <= 12:
        raise DateError(msg.month_first(text, None))
    value = _no_year(text, month, day, role, today)
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, "read day first; " + _no_year_note(value, role))


@rule(r"(?P<m>[0-9]{1,2})[/.-](?P<y>[0-9]{4})|(?P<y2>[0-9]{4})[/.-](?P<m2>[0-9]{1,2})")
def _month_year_numeric(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    year, month = int(m["y"] or m["y2"]), int(m["m"] or m["m2"])
    return Reading(_make(text, year, month, 1), True, "")


@rule(r"[0-9]{9,}(?:\.[0-9]+)?")
def _timestamp(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    raise DateError(msg.timestamp(text))


@rule(r"(?:in |during )?(?P<y>[0-9]{4})")
def _year_only(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if FIRST_YEAR <= int(m["y"]) <= LAST_YEAR:
        raise DateError(msg.year_only(text))
    raise DateError(msg.bare_number(text))


@rule(r"[+-]?[0-9]+")
def _number(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    raise DateError(msg.bare_number(text))


@rule(rf"(?:{_WD} )?(?P<d>[0-9]{{1,2}}) {_MONTH}(?: (?P<y>[0-9]{{4}}|[0-9]{{2}}))?")
def _day_month_name(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    return _named(m, text, role, today)


@rule(rf"(?:{_WD} )?{_MONTH} (?P<d>[0-9]{{1,2}})(?: (?P<y>[0-9]{{4}}))?")
def _month_name_day(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    return _named(m, text, role, today)


def _named(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    day, month = int(m["d"]), MONTH_NUMBER[m["m"]]
    if m["y"] is None:
        value = _no_year(text, month, day, role, today)
        note = _no_year_note(value, role)
    else:
        value = _make(text, _year(m["y"]), month, day)
        note = "as given"
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, note)


@rule(rf"{_MONTH} (?P<y>[0-9]{{4}})|(?P<y2>[0-9]{{4}}) {_MONTH.replace('?P<m>', '?P<m2>')}")
def _month_name_year(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    month = MONTH_NUMBER[m["m"] or m["m2"]]
    return Reading(_make(text, int(m["y"] or m["y2"]), month, 1), True, "")


@rule(rf"(?:(?P<rel>last|next|this) )?{_MONTH}")
def _month_name(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    month = MONTH_NUMBER[m["m"]]
    rel = m["rel"]
    if rel == "this":
        value = dt.date(today.year, month, 1)
    elif rel == "next":
        value = dt.date(today.year + (month <= today.month), month, 1)
    elif rel == "last":
        value = dt.date(today.year - (month >= today.month), month, 1)
    else:
        value = _no_year(text, month, 1, role, today)
    return Reading(value, True, "")


@rule(r"(?P<rel>last|next|this) month")
def _relative_month(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    offset = {"last": -1, "this": 0, "next": 1}[m["rel"]]
    return Reading(add_months(today.replace(day=1), offset), True, "")


@rule(r"(?:last|next|this) year|year")
def _relative_year(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    raise DateError(msg.year_only(text))


@rule(r"(?:last|next|this) week|week|fortnight|(?:last|next|this) fortnight")
def _relative_week(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    raise DateError(msg.week_only(text))


@rule(r"today|now|right now|yesterday|tomorrow|day before yesterday|day after tomorrow")
def _simple(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    offsets = {
        "today": 0,
        "now": 0,
        "right now": 0,
        "yesterday": -1,
        "tomorrow": 1,
        "day before yesterday": -2,
        "day after tomorrow": 2,
    }
    return Reading(today + dt.timedelta(days=offsets[m[0]]), False, as_typed(text))


@rule(rf"(?:(?P<rel>last|next|this) )?{_WD}|{_WD2} (?P<gone>(?:just )?gone|last)")
def _weekday(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "last X"/"next X": the nearest X strictly before/after today; a bare X by the role.
    # "this X" is today when today is an X, else read as a bare X (on a Saturday, "this
    # Tuesday" is the one just gone for a past date, the coming one for an expiry).
    weekday = WEEKDAY_NUMBER[m["wd"] or m["wd2"]]
    rel = "last" if m["gone"] else m["rel"]
    if rel == "this" and today.weekday() == weekday:
        value = today
    elif rel == "last" or (rel != "next" and role == "past"):
        value = weekday_before(weekday, today)
    else:
        value = weekday_after(weekday, today)
    return Reading(value, False, as_typed(text))


@rule(
    rf"{_WD} (?P<rel>last|next|this) week|(?P<rel2>last|next|this) week "
    rf"{_WD2}"
)
def _weekday_of_week(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    weekday = WEEKDAY_NUMBER[m["wd"] or m["wd2"]]
    offset = {"last": -7, "this": 0, "next": 7}[m["rel"] or m["rel2"]]
    value = monday_of(today) + dt.timedelta(days=offset + weekday)
    return Reading(value, False, as_typed(text))


@rule(rf"{_WD} (?P<which>before last|after next)")
def _weekday_before_last(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    weekday = WEEKDAY_NUMBER[m["wd"]]
    if m["which"] == "before last":
        value = weekday_before(weekday, today) - dt.timedelta(days=7)
    else:
        value = weekday_after(weekday, today) + dt.timedelta(days=7)
    return Reading(value, False, as_typed(text))


@rule(rf"{_DUR} (?:ago|back|before today)(?: today)?")
def _ago(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    months, days = duration_parts(m["dur"])
    return Reading(shift(text, today, months, days, -1), False, as_typed(text))


@rule(rf"in {_DUR}(?: time)?|{_DUR2} (?:from|after) (?:now|today)|{_DUR3} (?:time|hence)")
def _ahead(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    months, days = duration_parts(m["dur"] or m["dur2"] or m["dur3"])
    return Reading(shift(text, today, months, days, 1), False, as_typed(text))


BARE_DURATION = re.compile(rf"(?P<sign>[+-] ?)?{_DUR}", _A)


def strip_times(s: str) -> tuple[str, bool]:
    """`s` without times of day ("3pm", "10:30", "noon", "morning"), and whether it had any."""
    s = _PART_OF_DAY.sub("today", s)
    s = _LAST_NIGHT.sub("yesterday", s)
    stripped, count = _TIME.subn(" ", s)
    return " ".join(stripped.split()), count > 0


def as_typed(text: str) -> str:
    """The text as the person typed it, tidied, for the explanation in brackets."""
    return " ".join(text.split()).rstrip(".!")[:40]


def interpret(s: str, text: str, role: Role, today: dt.date) -> Reading | None:
    """Read canonical `s` (typed as `text`) by the rules, or None if no rule applies."""
    if _REPEAT.search(s):
        raise DateError(msg.repeat(text))
    if _RANGE.search(s):
        raise DateError(msg.range_(text))
    if _VAGUE.search(s):
        raise DateError(msg.vague(text))
    s, had_time = strip_times(s)
    if had_time and not s:
        raise DateError(msg.time_only(text))
    trailing = _TRAILING_WEEKDAY.fullmatch(s)
    if trailing:
        s = f"{trailing['wd']} {trailing['rest']}"
    for pattern, fn in _RULES:
        match = pattern.fullmatch(s)
        if match:
            return fn(match, text, role, today)
    bare = BARE_DURATION.fullmatch(s)
    if bare:
        raise DateError(msg.bare_duration(text, duration_phrase(bare["dur"])))
    return None


__all__ = ["BARE_DURATION", "Reading", "Role", "as_typed", "interpret", "strip_times"]
