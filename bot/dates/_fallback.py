"""dateparser, used only where our own rules have nothing to say, and only carefully.

This is the one place in the bot that imports dateparser. Its answer is taken only for text
made wholly of date words and numbers (so "tbc" or a pasted sentence never reaches it), only at
the precision it reports (`period`: a day, or a month read as the 1st), and only if a weekday
named in the text agrees with the date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from dateparser.date import DateDataParser

from bot.dates import _messages as msg
from bot.dates._calendar import MONTHS, WEEKDAY_NUMBER, WEEKDAYS
from bot.dates._rules import Reading, Role, duration_note
from bot.dates._text import UNITS, VOCABULARY
from bot.errors import DateError

_ANCHORS = frozenset({*MONTHS, *WEEKDAYS, "yesterday", "today", "tomorrow"})
#: Lengths of time are ours alone: dateparser reads "a week today" as a week ago, and
#: "a year from today" backwards; every such form the policy accepts is in `_rules`.
_OURS_ALONE = frozenset({*UNITS, "ago", "in", "from", "after", "before", "hence", "time"})
_NUMERIC_TOKEN = re.compile(r"[0-9]+(?:[:/.\-][0-9]+)*|[+-]", re.ASCII)


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


def _eligible(s: str) -> bool:
    tokens = s.split()
    words = [t for t in tokens if t.isalpha()]
    if not any(w in _ANCHORS for w in words):
        return False
    if not all(w in VOCABULARY and w not in _OURS_ALONE for w in words):
        return False
    return all(t.isalpha() or _NUMERIC_TOKEN.fullmatch(t) for t in tokens)


def read_with_dateparser(s: str, text: str, role: Role, today: dt.date) -> Reading | None:
    """dateparser's reading of canonical `s`, or None; raises `DateError` for vague answers."""
    if not _eligible(s):
        return None
    try:
        data = _parser(role, today).get_date_data(s)
    except Exception:  # a third-party failure on odd text is "not understood", never a crash
        return None
    if data.date_obj is None:
        return None
    if data.period == "year":
        raise DateError(msg.year_only(text))
    if data.period == "week":
        raise DateError(msg.week_only(text))
    if data.period not in {"day", "month"}:
        return None
    value = data.date_obj.date()
    if data.period == "month":
        return Reading(value.replace(day=1), True, "")
    for token in s.split():
        if token in WEEKDAY_NUMBER and WEEKDAY_NUMBER[token] != value.weekday():
            raise DateError(msg.contradiction(text, value, token))
    return Reading(value, False, duration_note(text))


def warm_up() -> None:
    """Pay dateparser's first-call cost (loading its language data) now, not on a person."""
    _parser("past", dt.date(2000, 1, 1)).get_date_data("12 march 2000")
