"""dateparser, used only where our own rules have nothing to say, and only when it can be checked.

This is the one place in the bot that imports dateparser. Our rules in `_rules` read every form
the policy names; dateparser is asked only about the rest, and its answer is taken only when
the text is one named month, one day number, at most one year and at most one weekday, in
whatever order and with whatever filler and time zone around them ("2025 March the 12th",
"12 March GMT"), and only when the date it returns has exactly that day, month and year.
A day without a year is then placed by the role rule, as everywhere else.

Anything looser was tried and found to be guessing: dateparser reads "yesterday 12" as
yesterday, "march 12/03" as 12 March 2003, "1st 31 march" as 1 March 1931, "a week today" as a
week ago, and "March Friday" as a month. Those are refused.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from dateparser.date import DateDataParser

from bot.dates import _messages as msg
from bot.dates._calendar import MONTH_NUMBER, WEEKDAY_NUMBER, most_recent, next_on_or_after
from bot.dates._rules import Reading, Role, as_typed, strip_times
from bot.errors import DateError

#: Words that may stand around the date without changing it.
_ZONES = frozenset({"gmt", "bst", "utc"})


@lru_cache(maxsize=16)
def _parser(role: Role, today: dt.date) -> DateDataParser:
    settings: dict[str, Any] = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": role,
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_LOCALE_DATE_ORDER": False,
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)),
        "RETURN_TIME_AS_PERIOD": True,
    }
    return DateDataParser(languages=["en"], settings=settings)


def _ask(s: str, role: Role, today: dt.date) -> dt.date | None:
    try:
        data = _parser(role, today).get_date_data(s)
    except Exception:  # dateparser failing on odd text means "not understood", never a crash
        return None
    if data.date_obj is None or data.period != "day":
        return None
    return data.date_obj.date()


def read_with_dateparser(s: str, text: str, role: Role, today: dt.date) -> Reading | None:
    """dateparser's reading of canonical `s` when it can be checked (see above), else None."""
    s, _had_time = strip_times(s)
    tokens = [t for t in s.split() if t not in _ZONES]
    months = [t for t in tokens if t in MONTH_NUMBER]
    weekdays = [t for t in tokens if t in WEEKDAY_NUMBER]
    numbers = [t for t in tokens if t.isascii() and t.isdigit()]
    days = [t for t in numbers if len(t) <= 2]
    years = [t for t in numbers if len(t) == 4]
    if len(months) != 1 or len(days) != 1 or len(years) > 1 or len(weekdays) > 1:
        return None
    if len(months) + len(weekdays) + len(days) + len(years) != len(tokens):
        return None
    found = _ask(" ".join(tokens), role, today)
    month, day = MONTH_NUMBER[months[0]], int(days[0])
    if found is None or (found.month, found.day) != (month, day):
        return None
    if years:
        if found.year != int(years[0]):
            return None
        value: dt.date | None = found
    else:
        value = (
            most_recent(month, day, today)
            if role == "past"
            else next_on_or_after(month, day, today)
        )
    if value is None:  # pragma: no cover - only at the ends of the calendar
        return None
    if weekdays and WEEKDAY_NUMBER[weekdays[0]] != value.weekday():
        raise DateError(msg.contradiction(text, value, weekdays[0]))
    return Reading(value, False, as_typed(text))


def warm_up() -> None:
    """Pay dateparser's first-call cost (loading its language data) now, not on a person."""
    _parser("past", dt.date(2000, 1, 1)).get_date_data("12 march 2000")
