"""Calendar arithmetic and the way dates are written back to people."""

from __future__ import annotations

import calendar
import datetime as dt

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
