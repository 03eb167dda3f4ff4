"""Calendar arithmetic and the way dates are written back to people."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

from dateutil.easter import easter  # type: ignore[import-untyped]

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NUMBER = {name: i for i, name in enumerate(MONTHS, start=1)}
WEEKDAY_NUMBER = {name: i for i, name in enumerate(WEEKDAYS)}

#: The years a course date may fall in; anything outside is surely a typing slip.
FIRST_YEAR = 1900
LAST_YEAR = 2199


def month_name(month: int) -> str:
    return MONTHS[month - 1].capitalize()


def weekday_name(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()].capitalize()


def long_date(day: dt.date) -> str:
    """`12 March 2025`: the style every message uses."""
    return f"{day.day} {month_name(day.month)} {day.year}"


def full_date(day: dt.date) -> str:
    """`Wednesday 12 March 2025`."""
    return f"{weekday_name(day)} {long_date(day)}"


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, landing on the month's last day if it is shorter.

    31 March minus one month is 28 (or 29) February; 29 February plus a year is 28 February.
    Raises `OverflowError` outside the years `datetime` can hold.
    """
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("year out of range")
    month = month0 + 1
    return dt.date(year, month, min(day.day, days_in_month(year, month)))


def in_range(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def valid_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


def most_recent(month: int, day: int, today: dt.date) -> dt.date | None:
    """The latest `day month` on or before `today` (looking back up to 8 years for 29 Feb)."""
    for year in range(today.year, today.year - 9, -1):
        if year >= dt.MINYEAR and valid_day(year, month, day):
            candidate = dt.date(year, month, day)
            if candidate <= today:
                return candidate
    return None


def next_on_or_after(month: int, day: int, today: dt.date) -> dt.date | None:
    """The earliest `day month` on or after `today` (looking ahead up to 8 years)."""
    for year in range(today.year, today.year + 9):
        if year <= dt.MAXYEAR and valid_day(year, month, day):
            candidate = dt.date(year, month, day)
            if candidate >= today:
                return candidate
    return None


def weekday_before(weekday: int, today: dt.date) -> dt.date:
    """The nearest `weekday` strictly before `today`."""
    back = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=back)


def weekday_after(weekday: int, today: dt.date) -> dt.date:
    """The nearest `weekday` strictly after `today`."""
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def nearest_year(two_digits: int, today: dt.date, *, later_on_a_tie: bool) -> int:
    """The year ending in `two_digits` nearest to today's (in 2026: 25 is 2025, 89 is 1989).

    Exactly 50 years either way is a tie: the later year when `later_on_a_tie` (an expiry),
    else the earlier (a date that has happened).
    """
    century = today.year - today.year % 100
    candidates = [century - 100 + two_digits, century + two_digits, century + 100 + two_digits]
    best = min(abs(c - today.year) for c in candidates)
    ties = [c for c in candidates if abs(c - today.year) == best]
    return max(ties) if later_on_a_tie else min(ties)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date | None:
    """The `n`th `weekday` of the month (n = -1: the last), or None if there is no such day."""
    if n == -1:
        last = dt.date(year, month, days_in_month(year, month))
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1)
    return dt.date(year, month, day) if day <= days_in_month(year, month) else None


# --- church days and England's bank holidays ---------------------------------------------------
#
# Easter (Western computus) comes from dateutil, bank holidays as observed in England (moved
# and one-off ones included) from `holidays`; what is ours is only which day each name means.

#: Days counted from Easter Day.
EASTER_OFFSETS = {
    "shrove tuesday": -47,
    "ash wednesday": -46,
    "mothering sunday": -21,
    "palm sunday": -7,
    "maundy thursday": -3,
    "good friday": -2,
    "easter": 0,
    "easter monday": 1,
    "ascension day": 39,
    "pentecost": 49,
    "whit monday": 50,
    "trinity sunday": 56,
}
#: Fixed days: (month, day).
FIXED_FEASTS = {
    "christmas day": (12, 25),
    "christmas eve": (12, 24),
    "boxing day": (12, 26),
    "new year's day": (1, 1),
    "new year's eve": (12, 31),
    "epiphany": (1, 6),
    "candlemas": (2, 2),
    "michaelmas": (9, 29),
    "all saints' day": (11, 1),
    "remembrance day": (11, 11),
}
#: Bank holidays by the name `holidays` gives them for England.
BANK_HOLIDAYS = {
    "the early May bank holiday": "May Day",
    "the spring bank holiday": "Spring Bank Holiday",
    "the August bank holiday": "Late Summer Bank Holiday",
}


@lru_cache(maxsize=512)
def _bank_holidays(year: int) -> dict[str, dt.date]:
    import holidays  # imported on first use: it loads every country's calendar module

    found: dict[str, dt.date] = {}
    england = holidays.country_holidays("GB", subdiv="ENG", years=year, language="en_GB")
    for day, names in england.items():
        for name in str(names).split("; "):
            found.setdefault(name, day)
    return found


def feast_day(name: str, year: int) -> dt.date | None:
    """The day `name` (a key of the tables above, or "remembrance sunday", "advent sunday")
    falls on in `year`, or None when it had none (a bank holiday before it existed)."""
    if name in EASTER_OFFSETS:
        sunday: dt.date = easter(year)
        return sunday + dt.timedelta(days=EASTER_OFFSETS[name])
    if name in FIXED_FEASTS:
        month, day_of_month = FIXED_FEASTS[name]
        return dt.date(year, month, day_of_month)
    if name == "remembrance sunday":  # the second Sunday in November
        return nth_weekday(year, 11, 6, 2)
    if name == "advent sunday":  # the fourth Sunday before Christmas Day
        christmas = dt.date(year, 12, 25)
        return christmas - dt.timedelta(days=(christmas.weekday() + 1) % 7 or 7) - dt.timedelta(21)
    return _bank_holidays(year).get(BANK_HOLIDAYS[name])
