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
    BANK_HOLIDAYS,
    EASTER_OFFSETS,
    FIRST_YEAR,
    FIXED_FEASTS,
    LAST_YEAR,
    MONTH_NUMBER,
    MONTHS,
    WEEKDAY_NUMBER,
    WEEKDAYS,
    add_months,
    days_in_month,
    feast_day,
    monday_of,
    month_name,
    most_recent,
    nearest_year,
    next_on_or_after,
    nth_weekday,
    weekday_after,
    weekday_before,
)
from bot.dates._text import said_as_day, tidy
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
_Y = r"(?P<y>[0-9]{4}|~?[0-9]{2})"
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
            f"check the year. {msg.TRY}"
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


def _year(y: str, role: Role, today: dt.date) -> int:
    """A typed year; two digits ("89", "'25") are the nearest year ending in them."""
    y = y.lstrip("~")
    if len(y) == 2:
        return nearest_year(int(y), today, later_on_a_tie=role == "future")
    return int(y)


def _year_note(y: str, year: int) -> str:
    return f"; {y.lstrip('~')} read as {year}" if len(y.lstrip("~")) == 2 else ""


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
    # Year first (ISO) when that is a date, else day, month, year. Both cannot be dates
    # unless they are the same one: a year-first month (01-12) is never the start of a
    # day-first year (19-21), so no eight digits are ambiguous in the years we accept.
    digits = m[0]
    iso = _date_or_none(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    dmy = _date_or_none(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    if dmy and not iso:
        return Reading(dmy, False, "read day first")
    if not FIRST_YEAR <= int(m["y"]) <= LAST_YEAR:
        raise DateError(
            f"{msg.quote(text)} is just a number. Write the date with slashes, "
            'e.g. "12/03/2025", or year first, e.g. "2025-03-12".'
        )
    return Reading(_make(text, int(m["y"]), int(m["m"]), int(m["d"])), False, "read year first")


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    if FIRST_YEAR <= year <= LAST_YEAR and _valid(year, month, day):
        return dt.date(year, month, day)
    return None


@rule(
    r"(?:(?P<wd>" + "|".join(WEEKDAYS) + r") )?(?P<d>[0-9]{1,2})(?P<sep>[-/. ])(?P<m>[0-9]{1,2})"
    r"(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})"
)
def _dmy(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if m["sep"] == " " and len(m["y"]) == 2:
        raise DateError(msg.not_understood(text))
    day, month, year = int(m["d"]), int(m["m"]), _year(m["y"], role, today)
    if month > 12 and 1 <= day <= 12:
        meant = dt.date(year, day, month) if _valid(year, day, month) else None
        raise DateError(msg.month_first(text, meant))
    value = _make(text, year, month, day)
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, "read day first" + _year_note(m["y"], year))


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


@rule(rf"(?:{_WD} )?(?P<d>[0-9]{{1,2}})")
def _day_alone(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "the 24th", "3rd", "Fri 10th": the month by role. A bare "12" is refused.
    if m["wd"] is None and not _DAY_ALONE.search(text):
        raise DateError(msg.bare_number(text))
    day = int(m["d"])
    if not 1 <= day <= 31:
        raise DateError(msg.impossible(text, f"no month has a day {day}"))
    step = -1 if role == "past" else 1
    start = today.replace(day=1)
    value = None
    for offset in range(0, 13 * step, step):
        first = add_months(start, offset)
        if day <= days_in_month(first.year, first.month):
            candidate = first.replace(day=day)
            if (candidate <= today) if role == "past" else (candidate >= today):
                value = candidate
                break
    if value is None:  # pragma: no cover - only at the ends of the calendar
        raise DateError(msg.not_understood(text))
    if m["wd"] is not None and WEEKDAY_NUMBER[m["wd"]] != value.weekday():
        raise DateError(msg.weekday_of_day_alone(text, value, m["wd"]))
    months_apart = (value.year - today.year) * 12 + value.month - today.month
    which = {0: "this month", -1: "last month", 1: "next month"}.get(
        months_apart, f"{month_name(value.month)} {value.year}"
    )
    return Reading(value, False, f"the {ordinal(day)}: {which} assumed")


#: A number said as a day without a month: "the 24th", "3rd", "the twelfth" (not "twelfth").
_DAY_ALONE = re.compile(r"[0-9] ?(?:st|nd|rd|th)\b|\bthe\b", re.IGNORECASE)


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@rule(r"[+-]?[0-9]+")
def _number(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if len(m[0]) == 6:
        raise DateError(msg.six_digits(text))
    raise DateError(msg.bare_number(text))


@rule(rf"(?:{_WD} )?(?P<d>[0-9]{{1,2}}) {_MONTH}(?: {_Y}| (?P<rel>last|next|this) year)?")
def _day_month_name(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    return _named(m, text, role, today)


@rule(
    rf"(?:{_WD} )?{_MONTH} (?P<d>[0-9]{{1,2}})(?: (?P<y>[0-9]{{4}}|~[0-9]{{2}})"
    r"| (?P<rel>last|next|this) year)?"
)
def _month_name_day(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "Mar 25": 25 March, or March 2025? Refused when the number could be a near year.
    bare = m["y"] is None and m["rel"] is None and m["wd"] is None and len(m["d"]) == 2
    if bare and not said_as_day(text):
        number = int(m["d"])
        year = nearest_year(number, today, later_on_a_tie=role == "future")
        if abs(year - today.year) <= 10:
            month = MONTH_NUMBER[m["m"]]
            possible = number <= (29 if month == 2 else days_in_month(2001, month))
            raise DateError(msg.month_or_year(text, month, number, year, possible))
    return _named(m, text, role, today)


def _named(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    day, month = int(m["d"]), MONTH_NUMBER[m["m"]]
    if m["rel"] is not None:
        year = today.year + {"last": -1, "this": 0, "next": 1}[m["rel"]]
        value = _make(text, year, month, day)
        note = as_typed(text)
    elif m["y"] is None:
        value = _no_year(text, month, day, role, today)
        note = _no_year_note(value, role)
    else:
        year = _year(m["y"], role, today)
        value = _make(text, year, month, day)
        note = "as given" + _year_note(m["y"], year)
    _check_weekday(text, value, m["wd"])
    return Reading(value, False, note)


@rule(
    rf"{_MONTH} (?P<y>[0-9]{{4}}|~[0-9]{{2}})|(?P<y2>[0-9]{{4}}) "
    rf"{_MONTH.replace('?P<m>', '?P<m2>')}"
)
def _month_name_year(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    month = MONTH_NUMBER[m["m"] or m["m2"]]
    return Reading(_make(text, _year(m["y"] or m["y2"], role, today), month, 1), True, "")


@rule(rf"{_MONTH} (?P<rel>last|next|this) year")
def _month_relative_year(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    year = today.year + {"last": -1, "this": 0, "next": 1}[m["rel"]]
    return Reading(_make(text, year, MONTH_NUMBER[m["m"]], 1), True, "")


@rule(r"month (?P<which>before last|after next)")
def _month_before_last(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    offset = -2 if m["which"] == "before last" else 2
    return Reading(add_months(today.replace(day=1), offset), True, "")


@rule(r"(?P<d>[0-9]{1,2}) (?P<rel>last|this|next) month")
def _day_of_relative_month(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    first = add_months(today.replace(day=1), {"last": -1, "this": 0, "next": 1}[m["rel"]])
    value = _make(text, first.year, first.month, int(m["d"]))
    return Reading(value, False, as_typed(text))


@rule(r"(?P<n>1|last) day (?P<rel>last|this|next) month")
def _end_of_relative_month(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    first = add_months(today.replace(day=1), {"last": -1, "this": 0, "next": 1}[m["rel"]])
    day = 1 if m["n"] == "1" else days_in_month(first.year, first.month)
    return Reading(first.replace(day=day), False, as_typed(text))


@rule(
    rf"(?P<n>[1-5]|last) (?:(?P<wd>{'|'.join(WEEKDAYS)})|(?P<day>day)) (?:in )?{_MONTH}"
    r"(?: (?P<y>[0-9]{4}))?"
)
def _nth_weekday_of_month(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "the last Friday in June", "first Monday in February", "last day of February".
    month = MONTH_NUMBER[m["m"]]
    n = -1 if m["n"] == "last" else int(m["n"])

    def in_year(year: int) -> dt.date | None:
        if m["day"]:
            if n != -1 and n != 1:
                return None
            return dt.date(year, month, 1 if n == 1 else days_in_month(year, month))
        return nth_weekday(year, month, WEEKDAY_NUMBER[m["wd"]], n)

    if m["y"] is not None:
        year = int(m["y"])
        _make(text, year, month, 1)
        value = in_year(year)
    else:
        value = _by_role(in_year, role, today)
    if value is None:
        raise DateError(msg.no_such_day(text, f"{month_name(month)} has no such day"))
    return Reading(value, False, as_typed(text))


def _by_role(
    in_year: Callable[[int], dt.date | None], role: Role, today: dt.date
) -> dt.date | None:
    """The latest day on or before today (past), or the earliest on or after (future)."""
    years = (
        range(today.year, today.year - 9, -1)
        if role == "past"
        else range(today.year, today.year + 9)
    )
    for year in years:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            continue
        found = in_year(year)
        if found is not None and ((found <= today) if role == "past" else (found >= today)):
            return found
    return None


# --- church days and bank holidays ---------------------------------------------------------

#: Canonical wording -> the name in `_calendar`'s tables (and how it is said back).
_FEASTS = {
    "christmas": "christmas day",
    "christmas day": "christmas day",
    "christmas eve": "christmas eve",
    "boxing day": "boxing day",
    "new year day": "new year's day",
    "new year eve": "new year's eve",
    "epiphany": "epiphany",
    "candlemas": "candlemas",
    "michaelmas": "michaelmas",
    "all saints": "all saints' day",
    "all saints day": "all saints' day",
    "remembrance day": "remembrance day",
    "remembrance sunday": "remembrance sunday",
    "advent sunday": "advent sunday",
    "shrove tuesday": "shrove tuesday",
    "pancake day": "shrove tuesday",
    "ash wednesday": "ash wednesday",
    "mothering sunday": "mothering sunday",
    "palm sunday": "palm sunday",
    "maundy thursday": "maundy thursday",
    "good friday": "good friday",
    "easter": "easter",
    "easter day": "easter",
    "easter sunday": "easter",
    "easter monday": "easter monday",
    "ascension": "ascension day",
    "ascension day": "ascension day",
    "ascension thursday": "ascension day",
    "pentecost": "pentecost",
    "pentecost sunday": "pentecost",
    "whit sunday": "pentecost",
    "whitsun": "pentecost",
    "whitsun day": "pentecost",
    "whit monday": "whit monday",
    "trinity sunday": "trinity sunday",
    "may bank holiday": "the early May bank holiday",
    "early may bank holiday": "the early May bank holiday",
    "may day bank holiday": "the early May bank holiday",
    "spring bank holiday": "the spring bank holiday",
    "late may bank holiday": "the spring bank holiday",
    "whitsun bank holiday": "the spring bank holiday",
    "august bank holiday": "the August bank holiday",
    "summer bank holiday": "the August bank holiday",
    "late summer bank holiday": "the August bank holiday",
}
_FEAST_NAMES = {
    "christmas day": "Christmas Day",
    "christmas eve": "Christmas Eve",
    "boxing day": "Boxing Day",
    "new year's day": "New Year's Day",
    "new year's eve": "New Year's Eve",
    "epiphany": "Epiphany",
    "candlemas": "Candlemas",
    "michaelmas": "Michaelmas",
    "all saints' day": "All Saints' Day",
    "remembrance day": "Remembrance Day",
    "remembrance sunday": "Remembrance Sunday",
    "advent sunday": "Advent Sunday",
    **{name: name.title() for name in EASTER_OFFSETS},
    "easter": "Easter Day",
    **{name: name for name in BANK_HOLIDAYS},
}
assert set(_FEASTS.values()) <= set(EASTER_OFFSETS) | set(FIXED_FEASTS) | set(BANK_HOLIDAYS) | {
    "remembrance sunday",
    "advent sunday",
}
_FEAST_RE = re.compile(
    r"(?:(?P<rel>last|next|this) )?(?P<f>"
    + "|".join(sorted((re.escape(k) for k in _FEASTS), key=len, reverse=True))
    + r")(?: (?P<y>[0-9]{4}|~[0-9]{2})| (?P<yrel>last|next|this) year)?",
    _A,
)
_WHICH_BANK_HOLIDAY = re.compile(
    r"(?:last |next |this )?(?:(?:easter|christmas|new year) )?bank holiday(?: monday)?"
    r"(?: [0-9]{4})?",
    _A,
)


def _feast(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    name = _FEASTS[m["f"]]
    said = _FEAST_NAMES[name]

    def in_year(year: int) -> dt.date | None:
        return feast_day(name, year)

    if m["y"] is not None or m["yrel"] is not None:
        year = (
            _year(m["y"], role, today)
            if m["y"]
            else today.year + {"last": -1, "this": 0, "next": 1}[m["yrel"]]
        )
        if not FIRST_YEAR <= year <= LAST_YEAR:
            _make(text, year, 1, 1)
        value = in_year(year)
        if value is None:
            raise DateError(msg.no_such_feast(text, said, year))
    elif m["rel"] == "this":
        value = in_year(today.year)
    elif m["rel"] is not None:
        value = _by_role(in_year, "past" if m["rel"] == "last" else "future", today)
        if value == today:
            value = _by_role(
                in_year,
                "past" if m["rel"] == "last" else "future",
                today + dt.timedelta(days=-1 if m["rel"] == "last" else 1),
            )
    else:
        value = _by_role(in_year, role, today)
    if value is None:
        raise DateError(msg.no_such_feast(text, said, today.year))
    shown = said.removeprefix("the ")
    shown = shown[0].upper() + shown[1:]
    return Reading(value, False, f"{shown} {value.year}")


def feast(s: str, text: str, role: Role, today: dt.date) -> Reading | None:
    """A church day or bank holiday, read before the refusals ("late May bank holiday")."""
    match = _FEAST_RE.fullmatch(s)
    if match:
        return _feast(match, text, role, today)
    if _WHICH_BANK_HOLIDAY.fullmatch(s):
        raise DateError(msg.which_bank_holiday(text))
    if (s in ("may day", "may day " + s[-4:]) and s[-4:].isdigit()) or s == "may day":
        raise DateError(msg.may_day(text))
    return None


@rule(rf"(?:(?P<rel>last|next|this) |in |during )?{_MONTH}")
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


@rule(
    r"today|today date|earlier today|now|right now|yesterday|tomorrow|day before yesterday"
    r"|day after tomorrow"
)
def _simple(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    offsets = {
        "today": 0,
        "today date": 0,
        "earlier today": 0,
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


@rule(rf"{_WD} (?P<unit>week|fortnight)")
def _weekday_week(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "Friday week", "Monday week": a week after the next such day.
    days = 7 if m["unit"] == "week" else 14
    value = weekday_after(WEEKDAY_NUMBER[m["wd"]], today) + dt.timedelta(days=days)
    return Reading(value, False, as_typed(text))


@rule(rf"1 (?P<unit>week|fortnight) (?:(?P<rel>last|next) )?{_WD}")
def _week_on_weekday(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    # "a week on Tuesday": a week after next Tuesday; "a week last Tuesday": before last.
    days = 7 if m["unit"] == "week" else 14
    weekday = WEEKDAY_NUMBER[m["wd"]]
    if m["rel"] == "last":
        value = weekday_before(weekday, today) - dt.timedelta(days=days)
    else:
        value = weekday_after(weekday, today) + dt.timedelta(days=days)
    return Reading(value, False, as_typed(text))


@rule(r"1 (?P<unit>week|fortnight) (?P<w>yesterday|tomorrow|today)")
def _week_yesterday(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    if m["w"] == "today":
        raise DateError(msg.week_today(text))
    days = 7 if m["unit"] == "week" else 14
    value = today + dt.timedelta(days=-(days + 1) if m["w"] == "yesterday" else days + 1)
    return Reading(value, False, as_typed(text))


@rule(rf"(?P<unit>{_UNIT}) ago")
def _unit_ago(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    months, days = duration_parts(f"1 {m['unit']}")
    return Reading(shift(text, today, months, days, -1), False, as_typed(text))


@rule(rf"{_DUR} (?:ago|back|before today)(?: today)?")
def _ago(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    months, days = duration_parts(m["dur"])
    return Reading(shift(text, today, months, days, -1), False, as_typed(text))


@rule(rf"in {_DUR}(?: time)?|{_DUR2} (?:from|after) (?:now|today)|{_DUR3} (?:time|hence)")
def _ahead(m: re.Match[str], text: str, role: Role, today: dt.date) -> Reading:
    months, days = duration_parts(m["dur"] or m["dur2"] or m["dur3"])
    return Reading(shift(text, today, months, days, 1), False, as_typed(text))


BARE_DURATION = re.compile(rf"(?P<sign>[+-] ?)?{_DUR}", _A)
#: A length of time, for patterns built elsewhere (`read_expiry`).
DURATION = _DUR


def strip_times(s: str) -> tuple[str, bool]:
    """`s` without times of day ("3pm", "10:30", "noon", "morning"), and whether it had any."""
    s = _PART_OF_DAY.sub("today", s)
    s = _LAST_NIGHT.sub("yesterday", s)
    stripped, count = _TIME.subn(" ", s)
    return " ".join(stripped.split()), count > 0


def as_typed(text: str) -> str:
    """The text as the person typed it, tidied, for the explanation in brackets."""
    return tidy(text)[:40]


_MTHORMIN = re.compile(r"\bmthormin\b", _A)
_HOURS = re.compile(r"\b[0-9]+ hour\b", _A)
_MINUTES = re.compile(r"\b[0-9]+ minute\b", _A)
_FRACTION = re.compile(rf"\b[0-9]+\.[0-9]+ {_UNIT}\b|\bhalf (?:a|1) {_UNIT}\b|\band a half\b", _A)


def interpret(s: str, text: str, role: Role, today: dt.date) -> Reading | None:
    """Read canonical `s` (typed as `text`) by the rules, or None if no rule applies."""
    without_time = strip_times(s)[0]
    found = feast(without_time, text, role, today) if without_time else None
    if found is not None:
        return found
    if _MTHORMIN.search(s):
        raise DateError(msg.minutes_or_months(text))
    if _HOURS.search(s):
        raise DateError(msg.not_whole_days(text))
    if _MINUTES.search(s):
        raise DateError(msg.minutes(text))
    if _FRACTION.search(s):
        raise DateError(msg.not_whole_length(text))
    if _REPEAT.search(s):
        raise DateError(msg.repeat(text))
    if _RANGE.search(s):
        raise DateError(msg.range_(text))
    if _VAGUE.search(s):
        raise DateError(msg.vague(text))
    s, had_time = strip_times(s)
    if had_time and not s:
        raise DateError(msg.time_only(text))
    for pattern, fn in _RULES:
        match = pattern.fullmatch(s)
        if match:
            return fn(match, text, role, today)
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


__all__ = ["BARE_DURATION", "DURATION", "Reading", "Role", "as_typed", "interpret", "strip_times"]
