"""The date policy of shared/dates.md, case by case.

Each row is (text, today, answer in the past role, answer in the future role); an answer is
an ISO date, or None for a refusal. `SAME` means the future role reads it as the past role
does. Reference days: a Friday, the leap day, month ends, and the days around New Year.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any, get_args

import pytest

from bot.dates import (
    FIELD_ROLES,
    MAX_LENGTH,
    DateReading,
    Role,
    check_dates,
    parse_date,
    read_date,
    read_expiry,
    warm_up,
)
from bot.errors import DateError, UserInputError

D = dt.date
FRI = D(2025, 3, 14)  # a Friday
LEAP = D(2024, 2, 29)  # a Thursday, the leap day
MAR31 = D(2025, 3, 31)  # a Monday, a month end
JAN31 = D(2025, 1, 31)  # a Friday, a month end
NYE = D(2024, 12, 31)  # a Tuesday
NYD = D(2025, 1, 1)  # a Wednesday
ALL_DAYS = (FRI, LEAP, MAR31, JAN31, NYE, NYD)

SAME = "same"
Row = tuple[str, dt.date, str | None, str | None]


def same_everywhere(
    text: str, answer: str | None, days: tuple[dt.date, ...] = ALL_DAYS
) -> list[Row]:
    return [(text, day, answer, SAME) for day in days]


# --- numeric dates: always day first; two-digit years are 20yy ------------------------------
NUMERIC: list[Row] = [
    *same_everywhere("03/04/2025", "2025-04-03"),
    *same_everywhere("3.4.25", "2025-04-03"),
    *same_everywhere("3-4-2025", "2025-04-03"),
    ("12/03/2025", FRI, "2025-03-12", SAME),
    ("12/03/2025", NYE, "2025-03-12", SAME),
    ("1/1/24", FRI, "2024-01-01", SAME),
    ("31/12/2024", NYD, "2024-12-31", SAME),
    ("31.12.24", NYD, "2024-12-31", SAME),
    ("29/02/2024", LEAP, "2024-02-29", SAME),
    ("29/2/24", FRI, "2024-02-29", SAME),
    ("01/02/2025", JAN31, "2025-02-01", SAME),
    ("1/2/2025", JAN31, "2025-02-01", SAME),
    ("12/11/2024", NYE, "2024-11-12", SAME),
    ("05/06/07", FRI, "2007-06-05", SAME),
    ("30/09/2025", MAR31, "2025-09-30", SAME),
    ("14 03 2025", FRI, "2025-03-14", SAME),
    ("14-03-2025", FRI, "2025-03-14", SAME),
    ("Fri 14/03/2025", FRI, "2025-03-14", SAME),
    ("Wednesday 1/1/2025", NYE, "2025-01-01", SAME),
]

# --- ISO, year first --------------------------------------------------------------------------
ISO: list[Row] = [
    *same_everywhere("2025-04-03", "2025-04-03"),
    ("2025/04/03", FRI, "2025-04-03", SAME),
    ("20250403", FRI, "2025-04-03", SAME),
    ("2024-02-29", MAR31, "2024-02-29", SAME),
    ("2024-12-31", NYD, "2024-12-31", SAME),
    ("2025-1-1", NYE, "2025-01-01", SAME),
    ("2025.03.14", FRI, "2025-03-14", SAME),
    ("2025-03-14T09:30:00", FRI, "2025-03-14", SAME),
    ("20241231", NYD, "2024-12-31", SAME),
]

# --- month-first only, impossible dates: refused ----------------------------------------------
IMPOSSIBLE: list[Row] = [
    *same_everywhere("03/25/2025", None, (FRI, NYE)),
    ("12/13/2025", FRI, None, SAME),
    ("02/29/2024", LEAP, None, SAME),
    ("3/31/25", MAR31, None, SAME),
    ("12/25", NYE, None, SAME),
    *same_everywhere("31/02/2025", None, (FRI, LEAP)),
    ("30/02/2024", LEAP, None, SAME),
    ("29/02/2025", LEAP, None, SAME),
    ("29/02/2023", FRI, None, SAME),
    ("31 April", FRI, None, SAME),
    ("31 April 2025", MAR31, None, SAME),
    ("31/4", MAR31, None, SAME),
    ("31/06/2025", FRI, None, SAME),
    ("00/01/2025", NYD, None, SAME),
    ("01/00/2025", NYD, None, SAME),
    ("0 March 2025", FRI, None, SAME),
    ("32/01/2025", JAN31, None, SAME),
    ("32 August", FRI, None, SAME),
    ("32 August 2025", FRI, None, SAME),
    ("13/13/2025", FRI, None, SAME),
    ("30 Feb", LEAP, None, SAME),
    ("2025-02-30", FRI, None, SAME),
    ("2025-13-01", FRI, None, SAME),
    ("20251301", FRI, None, SAME),
    ("12/03/1066", FRI, None, SAME),
]

# --- day and month without a year: past = on or before today, future = on or after ----------
NO_YEAR: list[Row] = [
    ("12th March", FRI, "2025-03-12", "2026-03-12"),
    ("12 March", FRI, "2025-03-12", "2026-03-12"),
    ("March 12", FRI, "2025-03-12", "2026-03-12"),
    ("March 12th", FRI, "2025-03-12", "2026-03-12"),
    ("the 12th of March", FRI, "2025-03-12", "2026-03-12"),
    ("12/3", FRI, "2025-03-12", "2026-03-12"),
    ("12.3", FRI, "2025-03-12", "2026-03-12"),
    ("14 March", FRI, "2025-03-14", "2025-03-14"),
    ("14/3", FRI, "2025-03-14", "2025-03-14"),
    ("15 March", FRI, "2024-03-15", "2025-03-15"),
    ("3rd of April", FRI, "2024-04-03", "2025-04-03"),
    ("25 December", FRI, "2024-12-25", "2025-12-25"),
    ("dec 25th", FRI, "2024-12-25", "2025-12-25"),
    ("1 Jan", FRI, "2025-01-01", "2026-01-01"),
    ("29 Feb", FRI, "2024-02-29", "2028-02-29"),
    ("29 Feb", LEAP, "2024-02-29", "2024-02-29"),
    ("29/2", LEAP, "2024-02-29", "2024-02-29"),
    ("28 Feb", LEAP, "2024-02-28", "2025-02-28"),
    ("1 March", LEAP, "2023-03-01", "2024-03-01"),
    ("1/3", LEAP, "2023-03-01", "2024-03-01"),
    ("31 March", MAR31, "2025-03-31", "2025-03-31"),
    ("1 April", MAR31, "2024-04-01", "2025-04-01"),
    ("30 March", MAR31, "2025-03-30", "2026-03-30"),
    ("31 Jan", JAN31, "2025-01-31", "2025-01-31"),
    ("1 Feb", JAN31, "2024-02-01", "2025-02-01"),
    ("1 Jan", NYE, "2024-01-01", "2025-01-01"),
    ("31 Dec", NYE, "2024-12-31", "2024-12-31"),
    ("30 Dec", NYE, "2024-12-30", "2025-12-30"),
    ("2/1", NYE, "2024-01-02", "2025-01-02"),
    ("31 Dec", NYD, "2024-12-31", "2025-12-31"),
    ("31/12", NYD, "2024-12-31", "2025-12-31"),
    ("1 Jan", NYD, "2025-01-01", "2025-01-01"),
    ("2nd January", NYD, "2024-01-02", "2025-01-02"),
    ("Wednesday 12 March", FRI, "2025-03-12", None),
    ("Monday 31 March", MAR31, "2025-03-31", "2025-03-31"),
]

# --- weekdays: bare by role (strictly before/after today); last/next strictly ---------------
WEEKDAYS: list[Row] = [
    ("Friday", FRI, "2025-03-07", "2025-03-21"),
    ("last Friday", FRI, "2025-03-07", SAME),
    ("next Friday", FRI, "2025-03-21", SAME),
    ("this Friday", FRI, "2025-03-14", SAME),
    ("Monday", FRI, "2025-03-10", "2025-03-17"),
    ("on Monday", FRI, "2025-03-10", "2025-03-17"),
    ("last Monday", FRI, "2025-03-10", SAME),
    ("next Monday", FRI, "2025-03-17", SAME),
    ("this Monday", FRI, "2025-03-10", "2025-03-17"),
    ("Tuesday", FRI, "2025-03-11", "2025-03-18"),
    ("Wednesday", FRI, "2025-03-12", "2025-03-19"),
    ("Thursday", FRI, "2025-03-13", "2025-03-20"),
    ("Saturday", FRI, "2025-03-08", "2025-03-15"),
    ("Sunday", FRI, "2025-03-09", "2025-03-16"),
    ("last Saturday", FRI, "2025-03-08", SAME),
    ("next Saturday", FRI, "2025-03-15", SAME),
    ("Tuesday before last", FRI, "2025-03-04", SAME),
    ("Thursday", LEAP, "2024-02-22", "2024-03-07"),
    ("last Thursday", LEAP, "2024-02-22", SAME),
    ("next Thursday", LEAP, "2024-03-07", SAME),
    ("Friday", LEAP, "2024-02-23", "2024-03-01"),
    ("Wednesday", LEAP, "2024-02-28", "2024-03-06"),
    ("Monday", LEAP, "2024-02-26", "2024-03-04"),
    ("Monday", MAR31, "2025-03-24", "2025-04-07"),
    ("last Monday", MAR31, "2025-03-24", SAME),
    ("next Monday", MAR31, "2025-04-07", SAME),
    ("Sunday", MAR31, "2025-03-30", "2025-04-06"),
    ("Friday", MAR31, "2025-03-28", "2025-04-04"),
    ("Saturday", JAN31, "2025-01-25", "2025-02-01"),
    ("next Saturday", JAN31, "2025-02-01", SAME),
    ("Wednesday", NYE, "2024-12-25", "2025-01-01"),
    ("Monday", NYE, "2024-12-30", "2025-01-06"),
    ("Tuesday", NYE, "2024-12-24", "2025-01-07"),
    ("last Tuesday", NYE, "2024-12-24", SAME),
    ("next Tuesday", NYE, "2025-01-07", SAME),
    ("Friday", NYD, "2024-12-27", "2025-01-03"),
    ("last Wednesday", NYD, "2024-12-25", SAME),
    ("next Wednesday", NYD, "2025-01-08", SAME),
    ("Thursday", NYD, "2024-12-26", "2025-01-02"),
]

# --- "Tuesday last week": Monday-to-Sunday weeks ------------------------------------------------
WEEK_OF: list[Row] = [
    ("Tuesday last week", FRI, "2025-03-04", SAME),
    ("Friday last week", FRI, "2025-03-07", SAME),
    ("Monday last week", FRI, "2025-03-03", SAME),
    ("Sunday last week", FRI, "2025-03-09", SAME),
    ("last week Thursday", FRI, "2025-03-06", SAME),
    ("Tuesday of last week", FRI, "2025-03-04", SAME),
    ("Monday this week", FRI, "2025-03-10", SAME),
    ("Wednesday next week", FRI, "2025-03-19", SAME),
    ("Tuesday last week", LEAP, "2024-02-20", SAME),
    ("Sunday last week", LEAP, "2024-02-25", SAME),
    ("Friday next week", LEAP, "2024-03-08", SAME),
    ("Tuesday last week", MAR31, "2025-03-25", SAME),
    ("Sunday last week", MAR31, "2025-03-30", SAME),
    ("Friday last week", NYE, "2024-12-27", SAME),
    ("Thursday next week", NYE, "2025-01-09", SAME),
    ("Friday this week", NYE, "2025-01-03", SAME),
    ("Tuesday last week", NYD, "2024-12-24", SAME),
    ("Monday this week", NYD, "2024-12-30", SAME),
]

# --- yesterday, today, tomorrow ---------------------------------------------------------------
SIMPLE: list[Row] = [
    ("today", FRI, "2025-03-14", SAME),
    ("yesterday", FRI, "2025-03-13", SAME),
    ("tomorrow", FRI, "2025-03-15", SAME),
    ("the day before yesterday", FRI, "2025-03-12", SAME),
    ("day after tomorrow", FRI, "2025-03-16", SAME),
    ("yesterday", LEAP, "2024-02-28", SAME),
    ("tomorrow", LEAP, "2024-03-01", SAME),
    ("the day before yesterday", LEAP, "2024-02-27", SAME),
    ("yesterday", MAR31, "2025-03-30", SAME),
    ("tomorrow", MAR31, "2025-04-01", SAME),
    ("tomorrow", NYE, "2025-01-01", SAME),
    ("yesterday", NYE, "2024-12-30", SAME),
    ("yesterday", NYD, "2024-12-31", SAME),
    ("the day before yesterday", NYD, "2024-12-30", SAME),
    ("today", NYD, "2025-01-01", SAME),
    ("this morning", FRI, "2025-03-14", SAME),
    ("earlier today", FRI, "2025-03-14", SAME),
    ("yesterday afternoon", FRI, "2025-03-13", SAME),
    ("last night", NYD, "2024-12-31", SAME),
    ("yesterday at 3pm", FRI, "2025-03-13", SAME),
    ("12/03/2025 10:00", FRI, "2025-03-12", SAME),
    ("14 March 2025 at 9:30am", FRI, "2025-03-14", SAME),
]

# --- lengths of time counted from today; month ends clamp ---------------------------------------
COUNTED: list[Row] = [
    ("3 weeks ago", FRI, "2025-02-21", SAME),
    ("a fortnight ago", FRI, "2025-02-28", SAME),
    ("2 weeks ago", FRI, "2025-02-28", SAME),
    ("10 days ago", FRI, "2025-03-04", SAME),
    ("a week ago", FRI, "2025-03-07", SAME),
    ("a month ago", FRI, "2025-02-14", SAME),
    ("a year ago", FRI, "2024-03-14", SAME),
    ("6 months ago", FRI, "2024-09-14", SAME),
    ("18 months ago", FRI, "2023-09-14", SAME),
    ("2 years ago", FRI, "2023-03-14", SAME),
    ("2 weeks and 3 days ago", FRI, "2025-02-25", SAME),
    ("1 year 2 months ago", FRI, "2024-01-14", SAME),
    ("in 3 years", FRI, "2028-03-14", SAME),
    ("3 years from now", FRI, "2028-03-14", SAME),
    ("in three years' time", FRI, "2028-03-14", SAME),
    ("in 18 months", FRI, "2026-09-14", SAME),
    ("a year from today", FRI, "2026-03-14", SAME),
    ("in 2 weeks", FRI, "2025-03-28", SAME),
    ("in 6 months", FRI, "2025-09-14", SAME),
    ("in a fortnight", FRI, "2025-03-28", SAME),
    ("2 days from now", FRI, "2025-03-16", SAME),
    ("in eighteen months", FRI, "2026-09-14", SAME),
    ("twenty four months from now", FRI, "2027-03-14", SAME),
    ("a year ago", LEAP, "2023-02-28", SAME),
    ("a year from today", LEAP, "2025-02-28", SAME),
    ("in 4 years", LEAP, "2028-02-29", SAME),
    ("4 years ago", LEAP, "2020-02-29", SAME),
    ("in 1 month", LEAP, "2024-03-29", SAME),
    ("a month ago", LEAP, "2024-01-29", SAME),
    ("3 weeks ago", LEAP, "2024-02-08", SAME),
    ("a fortnight ago", LEAP, "2024-02-15", SAME),
    ("in 3 years", LEAP, "2027-02-28", SAME),
    ("12 months ago", LEAP, "2023-02-28", SAME),
    ("a month ago", MAR31, "2025-02-28", SAME),
    ("in a month", MAR31, "2025-04-30", SAME),
    ("6 months ago", MAR31, "2024-09-30", SAME),
    ("in 11 months", MAR31, "2026-02-28", SAME),
    ("a year ago", MAR31, "2024-03-31", SAME),
    ("13 months ago", MAR31, "2024-02-29", SAME),
    ("in 2 months", MAR31, "2025-05-31", SAME),
    ("in 3 weeks", MAR31, "2025-04-21", SAME),
    ("a month ago", JAN31, "2024-12-31", SAME),
    ("in a month", JAN31, "2025-02-28", SAME),
    ("in 13 months", JAN31, "2026-02-28", SAME),
    ("in 2 months", NYE, "2025-02-28", SAME),
    ("a month ago", NYE, "2024-11-30", SAME),
    ("a year from today", NYE, "2025-12-31", SAME),
    ("10 days ago", NYE, "2024-12-21", SAME),
    ("in a fortnight", NYE, "2025-01-14", SAME),
    ("a month ago", NYD, "2024-12-01", SAME),
    ("in a month", NYD, "2025-02-01", SAME),
    ("3 weeks ago", NYD, "2024-12-11", SAME),
    ("in 3 years", NYD, "2028-01-01", SAME),
    ("a week ago", NYD, "2024-12-25", SAME),
]

# --- a month with no day: the 1st --------------------------------------------------------------
MONTH_ONLY: list[Row] = [
    *same_everywhere("March 2025", "2025-03-01"),
    *same_everywhere("03/2025", "2025-03-01"),
    ("3/2025", FRI, "2025-03-01", SAME),
    ("Mar 2025", FRI, "2025-03-01", SAME),
    ("2025-03", FRI, "2025-03-01", SAME),
    ("Febuary 2024", LEAP, "2024-02-01", SAME),
    ("sept 2024", FRI, "2024-09-01", SAME),
    ("next March", FRI, "2026-03-01", SAME),
    ("last March", FRI, "2024-03-01", SAME),
    ("this March", FRI, "2025-03-01", SAME),
    ("next June", FRI, "2025-06-01", SAME),
    ("last June", FRI, "2024-06-01", SAME),
    ("March", FRI, "2025-03-01", "2026-03-01"),
    ("April", FRI, "2024-04-01", "2025-04-01"),
    ("last month", FRI, "2025-02-01", SAME),
    ("next month", FRI, "2025-04-01", SAME),
    ("this month", FRI, "2025-03-01", SAME),
    ("last month", LEAP, "2024-01-01", SAME),
    ("next month", LEAP, "2024-03-01", SAME),
    ("February", LEAP, "2024-02-01", "2025-02-01"),
    ("next February", LEAP, "2025-02-01", SAME),
    ("last February", LEAP, "2023-02-01", SAME),
    ("last month", MAR31, "2025-02-01", SAME),
    ("next month", MAR31, "2025-04-01", SAME),
    ("next month", NYE, "2025-01-01", SAME),
    ("last month", NYE, "2024-11-01", SAME),
    ("this month", NYE, "2024-12-01", SAME),
    ("January", NYE, "2024-01-01", "2025-01-01"),
    ("next January", NYE, "2025-01-01", SAME),
    ("last December", NYE, "2023-12-01", SAME),
    ("December", NYE, "2024-12-01", "2025-12-01"),
    ("last month", NYD, "2024-12-01", SAME),
    ("next month", NYD, "2025-02-01", SAME),
    ("December", NYD, "2024-12-01", "2025-12-01"),
    ("last December", NYD, "2024-12-01", SAME),
    ("next December", NYD, "2025-12-01", SAME),
    ("January", NYD, "2025-01-01", "2025-01-01"),
]

# --- too vague, contradictions, times, ranges, repeats, numbers, non-dates ---------------------
REFUSED_TEXTS = [
    "2025",
    "in 2025",
    "next year",
    "last year",
    "this year",
    "last week",
    "next week",
    "this week",
    "Monday 3rd April 2024",
    "Tue 14/03/2025",
    "3pm",
    "noon",
    "midnight",
    "10:30",
    "9am",
    "at 3 p.m.",
    "1-3 March",
    "1st-3rd March",
    "March 1-3",
    "12/03/2025 - 14/03/2025",
    "Monday to Friday",
    "between 1 and 3 March",
    "12 or 13 March",
    "every Monday",
    "Mondays",
    "weekly",
    "each Tuesday",
    "12",
    "3",
    "-5",
    "1710000000",
    "1710000000000",
    "tbc",
    "TBC",
    "tba",
    "n/a",
    "N/A",
    "soon",
    "unknown",
    "none",
    "?",
    "asap",
    "recently",
    "a few weeks ago",
    "a while ago",
    "early March",
    "end of March",
    "3 years",
    "+3 years",
    "a week today",
    "<!channel>",
    "<@U0123ABCD>",
]
# Version 1 refused "12032025", "the 3rd", "monday week" and "Christmas"; version 2 reads them
# (tests/test_dates_v2.py).
REFUSED: list[Row] = [(text, day, None, SAME) for text in REFUSED_TEXTS for day in (FRI, NYD)]

# --- tolerated: case, spaces, a full stop, abbreviations, misspellings ------------------------
TOLERATED: list[Row] = [
    ("YESTERDAY", FRI, "2025-03-13", SAME),
    ("  12/03/2025  ", FRI, "2025-03-12", SAME),
    ("Last  Tuesday.", FRI, "2025-03-11", SAME),
    ("12 MARCH 2025.", FRI, "2025-03-12", SAME),
    ("3 Weeks Ago", FRI, "2025-02-21", SAME),
    ("today.", FRI, "2025-03-14", SAME),
    ("Thurs", FRI, "2025-03-13", "2025-03-20"),
    ("Tues", FRI, "2025-03-11", "2025-03-18"),
    ("Weds", FRI, "2025-03-12", "2025-03-19"),
    ("NEXT THURS", FRI, "2025-03-20", SAME),
    ("3 wks ago", FRI, "2025-02-21", SAME),
    ("2 yrs ago", FRI, "2023-03-14", SAME),
    ("6 mths ago", FRI, "2024-09-14", SAME),
    ("in 3 yrs", FRI, "2028-03-14", SAME),
    ("12 Sept 2025", FRI, "2025-09-12", SAME),
    ("12-Mar-2025", FRI, "2025-03-12", SAME),
    ("12 Mar 25", FRI, "2025-03-12", SAME),
    ("Thurs 13th March 2025", FRI, "2025-03-13", SAME),
    ("yesterady", FRI, "2025-03-13", SAME),
    ("yesteday", FRI, "2025-03-13", SAME),
    ("tommorow", FRI, "2025-03-15", SAME),
    ("Wendesday", FRI, "2025-03-12", "2025-03-19"),
    ("Thrusday", FRI, "2025-03-13", "2025-03-20"),
    ("Satuday", FRI, "2025-03-08", "2025-03-15"),
    ("last Wensday", FRI, "2025-03-12", SAME),
    ("Febuary 12th 2025", FRI, "2025-02-12", SAME),
    ("12 Feburary 2025", FRI, "2025-02-12", SAME),
    ("3 Decemebr 2024", NYD, "2024-12-03", SAME),
    ("a fortnite ago", FRI, "2025-02-28", SAME),
    ("3 weeek ago", FRI, "2025-02-21", SAME),
    ("Mar '25", FRI, "2025-03-01", SAME),
    ("1st of Sept '24", FRI, "2024-09-01", SAME),
    ('"12/03/2025"', FRI, "2025-03-12", SAME),
    ("“12/03/2025”", FRI, "2025-03-12", SAME),
    ("12/03/2025,", FRI, "2025-03-12", SAME),
    ("this coming Friday", FRI, "2025-03-21", SAME),
    ("this coming Monday", FRI, "2025-03-17", SAME),
    ("Friday just gone", FRI, "2025-03-07", SAME),
    ("the twelfth of March 2025", FRI, "2025-03-12", SAME),
    ("twenty-first of March", FRI, "2024-03-21", "2025-03-21"),
    ("March the thirty-first", MAR31, "2025-03-31", SAME),
    ("first of June", FRI, "2024-06-01", "2025-06-01"),
    ("Wednesday last", FRI, "2025-03-12", SAME),
    ("a week ago today", FRI, "2025-03-07", SAME),
    ("12/03/2025 (Wednesday)", FRI, "2025-03-12", SAME),
    ("12 March 2025 Wed", FRI, "2025-03-12", SAME),
    ("12 March 2025 Thursday", FRI, None, SAME),
    ("2025-03-12 Wednesday", FRI, "2025-03-12", SAME),
    ("12 / 03 / 2025", FRI, "2025-03-12", SAME),
    ("[12/03/2025]", FRI, "2025-03-12", SAME),
    ("3 weeks ago Friday", FRI, None, SAME),
]

# --- other orders, read by dateparser and checked against the day, month and year typed ----------
REORDERED: list[Row] = [
    ("2025 March the 12th", FRI, "2025-03-12", SAME),
    ("2025 march 12", FRI, "2025-03-12", SAME),
    ("12 March GMT", FRI, "2025-03-12", "2026-03-12"),
    ("march 12 gmt 2025", FRI, "2025-03-12", SAME),
    ("Friday 2025 March 14", FRI, "2025-03-14", SAME),
    ("Monday 2025 March 14", FRI, None, SAME),
    ("yesterday 12", FRI, None, SAME),
    ("march 12/03", FRI, None, SAME),
    ("1st 31 march", FRI, None, SAME),
    ("March Friday", FRI, None, SAME),
    ("12 2024 2025 march", FRI, None, SAME),
]

ALL_ROWS = (
    NUMERIC
    + ISO
    + IMPOSSIBLE
    + NO_YEAR
    + WEEKDAYS
    + WEEK_OF
    + SIMPLE
    + COUNTED
    + MONTH_ONLY
    + REFUSED
    + TOLERATED
    + REORDERED
)


def _cases() -> list[Any]:
    cases = []
    for text, today, past, future in ALL_ROWS:
        answers = {"past": past, "future": past if future == SAME else future}
        for role, answer in answers.items():
            cases.append(pytest.param(text, today, role, answer, id=f"{text}|{today}|{role}"))
    return cases


@pytest.mark.parametrize(("text", "today", "role", "answer"), _cases())
def test_policy(text: str, today: dt.date, role: Role, answer: str | None) -> None:
    if answer is None:
        with pytest.raises(DateError):
            read_date(text, role=role, today=today)
    else:
        assert parse_date(text, role=role, today=today).isoformat() == answer


# --- the day-assumed flag and the explanation ---------------------------------------------------


@pytest.mark.parametrize(
    "text", ["March 2025", "03/2025", "next March", "last month", "this month", "April", "2025-03"]
)
def test_month_only_says_the_day_was_assumed(text: str) -> None:
    reading = read_date(text, role="past", today=FRI)
    assert reading.day_assumed is True
    assert reading.value.day == 1
    assert reading.how.endswith("(no day given: the 1st assumed)")


@pytest.mark.parametrize(
    "text", ["12/03/2025", "last Tuesday", "3 weeks ago", "12 March", "yesterday", "a month ago"]
)
def test_a_day_is_not_assumed(text: str) -> None:
    assert read_date(text, role="past", today=FRI).day_assumed is False


def test_how_examples() -> None:
    assert read_date("last Tuesday", role="past", today=D(2024, 3, 15)) == DateReading(
        D(2024, 3, 12), False, "Tuesday 12 March 2024 (last Tuesday)"
    )
    assert read_date("March 2025", role="past", today=FRI).how == (
        "1 March 2025 (no day given: the 1st assumed)"
    )
    assert read_date("12/03/2025", role="past", today=FRI).how == (
        "Wednesday 12 March 2025 (read day first)"
    )
    assert read_date("12 March", role="future", today=FRI).how == (
        "Thursday 12 March 2026 (no year given: the next 12 March)"
    )


def test_parse_date_is_read_date_value() -> None:
    for text in ("yesterday", "12/03/2025", "March 2025"):
        assert (
            parse_date(text, role="past", today=FRI)
            == read_date(text, role="past", today=FRI).value
        )


def test_roles() -> None:
    assert set(get_args(Role)) == {"past", "future"}


def test_field_roles() -> None:
    assert FIELD_ROLES == {
        "booked_at": "past",
        "attended_at": "past",
        "completed_at": "past",
        "expires_at": "future",
    }


# --- messages -----------------------------------------------------------------------------------

MESSAGES = [
    ("tbc", 'I couldn\'t read "tbc" as a date. Try "12/03/2025", "last Tuesday" or "3 weeks ago".'),
    ("03/25/2025", "read day first"),
    ("03/25/2025", '"25/03/2025"'),
    ("31/02/2025", "February 2025 has only 28 days"),
    ("31 April", "April never has 31 days"),
    ("00/01/2025", "there is no day 0"),
    ("13/13/2025", "there is no month 13"),
    ("2025", "only a year"),
    ("next year", "only a year"),
    ("last week", "only a week"),
    ("last week", '"Tuesday last week"'),
    ("Monday 3rd April 2024", "3 April 2024 is a Wednesday, not a Monday"),
    ("3pm", "time of day"),
    ("noon", "time of day"),
    ("1-3 March", "range"),
    ("every Monday", "repeating"),
    ("12", "just a number"),
    ("1710000000", "timestamp"),
    ("3 years", 'say "3 years ago" or "in 3 years"'),
    ("a few weeks ago", "too vague"),
    ("12/03/1066", "1066"),
]


@pytest.mark.parametrize(("text", "fragment"), MESSAGES)
def test_messages_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(DateError) as caught:
        read_date(text, role="past", today=FRI)
    message = caught.value.message
    assert fragment in message
    assert f'"{text}"' in message
    assert 'e.g. "' in message or 'Try "' in message or "type " in message or "say " in message


def test_date_error_is_a_user_input_error() -> None:
    assert issubclass(DateError, UserInputError)


@pytest.mark.parametrize("text", ["", " ", "\t\n", "   \u00a0 "])
def test_empty_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="is empty"):
        read_date(text, role="past", today=FRI)


@pytest.mark.parametrize("size", [MAX_LENGTH + 1, 1_000, 100_000])
def test_huge_input_is_refused_quickly(size: int) -> None:
    text = "12/03/2025 " * (size // 11 + 1)
    started = time.perf_counter()
    with pytest.raises(DateError, match="too long"):
        read_date(text[:size], role="past", today=FRI)
    assert time.perf_counter() - started < 0.05


def test_longest_accepted_input() -> None:
    text = "12/03/2025" + " " * (MAX_LENGTH - 10)
    assert parse_date(text, role="past", today=FRI) == D(2025, 3, 12)


@pytest.mark.parametrize(
    "text", ["<!channel>", "<!here|here>", "<@U0123ABCD>", "`rm -rf /`", "'; DROP TABLE x; --"]
)
def test_hostile_text_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(DateError, match="couldn't read"):
        read_date(text, role="past", today=FRI)


def test_quoted_input_is_truncated() -> None:
    text = "x" * 90
    with pytest.raises(DateError) as caught:
        read_date(text, role="past", today=FRI)
    assert text not in caught.value.message
    assert '"' + "x" * 39 + '…"' in caught.value.message


def test_control_characters_do_not_reach_the_message() -> None:
    with pytest.raises(DateError) as caught:
        read_date("tbc\x00\x1b[31m\nmore", role="past", today=FRI)
    assert "\x00" not in caught.value.message
    assert "\n" not in caught.value.message
    assert "\x1b" not in caught.value.message


# --- read_expiry -----------------------------------------------------------------------------

EXPIRY = [
    ("3 years", D(2025, 3, 12), None, "2028-03-12"),
    ("3y", D(2025, 3, 12), None, "2028-03-12"),
    ("+3 years", D(2025, 3, 12), None, "2028-03-12"),
    ("+3y", D(2025, 3, 12), None, "2028-03-12"),
    ("3 yrs", D(2025, 3, 12), None, "2028-03-12"),
    ("three years", D(2025, 3, 12), None, "2028-03-12"),
    ("36 months", D(2025, 3, 12), None, "2028-03-12"),
    ("18 months", D(2025, 3, 12), None, "2026-09-12"),
    ("3 years", D(2024, 2, 29), None, "2027-02-28"),
    ("4 years", D(2024, 2, 29), None, "2028-02-29"),
    ("1 month", D(2025, 1, 31), None, "2025-02-28"),
    ("2 weeks", D(2025, 3, 12), None, "2025-03-26"),
    ("3 years", None, D(2025, 3, 10), "2028-03-10"),
    ("3 years", D(2025, 3, 12), D(2025, 3, 10), "2028-03-12"),
    ("3 years after completion", D(2025, 3, 12), None, "2028-03-12"),
    ("in 3 years", D(2020, 1, 1), None, "2028-03-14"),
    ("3 years from now", D(2020, 1, 1), None, "2028-03-14"),
    ("12/03/2028", D(2025, 3, 12), None, "2028-03-12"),
    ("March 2028", D(2025, 3, 12), None, "2028-03-01"),
    ("12 March", D(2025, 3, 12), None, "2026-03-12"),
    ("Friday", D(2025, 3, 12), None, "2025-03-21"),
]


@pytest.mark.parametrize(("text", "completed", "attended", "answer"), EXPIRY)
def test_read_expiry(
    text: str, completed: dt.date | None, attended: dt.date | None, answer: str
) -> None:
    reading = read_expiry(text, today=FRI, completed=completed, attended=attended)
    assert reading.value.isoformat() == answer


def test_relative_expiry_explains_itself() -> None:
    reading = read_expiry("3y", today=FRI, completed=D(2025, 3, 12), attended=None)
    assert reading.how == "Sunday 12 March 2028 (3 years after completion on 12 March 2025)"
    reading = read_expiry("3y", today=FRI, completed=None, attended=D(2025, 3, 10))
    assert reading.how == "Friday 10 March 2028 (3 years after attendance on 10 March 2025)"


@pytest.mark.parametrize("text", ["3 years", "3y", "+3 years", "36 months"])
def test_relative_expiry_needs_a_completion_date(text: str) -> None:
    with pytest.raises(DateError, match="completion date is needed"):
        read_expiry(text, today=FRI, completed=None, attended=None)


@pytest.mark.parametrize("text", ["", "tbc", "2025", "-3 years", "3pm"])
def test_read_expiry_refuses(text: str) -> None:
    with pytest.raises(DateError):
        read_expiry(text, today=FRI, completed=D(2025, 3, 12), attended=None)


# --- check_dates -----------------------------------------------------------------------------


def _dates(
    booked: dt.date | None = None,
    attended: dt.date | None = None,
    completed: dt.date | None = None,
    expires: dt.date | None = None,
) -> dict[str, dt.date | None]:
    return {
        "booked_at": booked,
        "attended_at": attended,
        "completed_at": completed,
        "expires_at": expires,
    }


def test_check_dates_accepts_a_good_submission() -> None:
    dates = _dates(D(2025, 3, 1), D(2025, 3, 12), D(2025, 3, 12), D(2028, 3, 12))
    assert check_dates(dates, today=FRI) == {}


def test_check_dates_accepts_missing_fields() -> None:
    assert check_dates({}, today=FRI) == {}
    assert check_dates(_dates(completed=D(2025, 3, 12)), today=FRI) == {}
    assert check_dates({"completed_at": D(2025, 3, 12)}, today=FRI) == {}


def test_attended_before_booked() -> None:
    problems = check_dates(_dates(D(2025, 3, 12), D(2025, 3, 3)), today=FRI)
    assert problems == {
        "attended_at": "Attended 3 March 2025 is before booked 12 March 2025: check both dates."
    }


def test_completed_before_attended() -> None:
    problems = check_dates(_dates(None, D(2025, 3, 12), D(2025, 3, 11)), today=FRI)
    assert list(problems) == ["completed_at"]
    assert "11 March 2025" in problems["completed_at"]
    assert "12 March 2025" in problems["completed_at"]


def test_completed_before_booked_when_attended_is_missing() -> None:
    problems = check_dates(_dates(D(2025, 3, 12), None, D(2025, 3, 1)), today=FRI)
    assert list(problems) == ["completed_at"]
    assert "booked 12 March 2025" in problems["completed_at"]


def test_expiry_must_be_after_completion() -> None:
    same_day = check_dates(
        _dates(completed=D(2025, 3, 12), expires=D(2025, 3, 12)), today=D(2025, 3, 12)
    )
    assert list(same_day) == ["expires_at"]
    assert "not after completed 12 March 2025" in same_day["expires_at"]


def test_past_role_date_in_the_future() -> None:
    assert check_dates(_dates(completed=D(2025, 3, 17)), today=FRI) == {}
    problems = check_dates(_dates(completed=D(2025, 3, 18)), today=FRI)
    assert problems == {
        "completed_at": "Completed 18 March 2025 is in the future (today is 14 March 2025): "
        "check the date."
    }


def test_expiry_already_past() -> None:
    assert check_dates(_dates(expires=FRI), today=FRI) == {}
    problems = check_dates(_dates(completed=D(2020, 1, 1), expires=D(2025, 3, 13)), today=FRI)
    assert problems == {
        "expires_at": "Expires 13 March 2025 is already past (today is 14 March 2025): "
        "check the date."
    }


def test_several_problems_at_once() -> None:
    problems = check_dates(
        _dates(D(2025, 4, 1), D(2025, 3, 1), D(2025, 3, 20), D(2025, 3, 2)), today=FRI
    )
    assert set(problems) == {"booked_at", "attended_at", "completed_at", "expires_at"}
    assert "future" in problems["booked_at"]
    assert "before booked 1 April 2025" in problems["attended_at"]
    assert "future" in problems["completed_at"]
    assert "not after" in problems["expires_at"]
    assert "already past" in problems["expires_at"]


def test_programming_errors_are_not_date_errors() -> None:
    with pytest.raises(ValueError, match="role"):
        read_date("yesterday", role="Past", today=FRI)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="today"):
        read_date("yesterday", role="past", today=dt.datetime(2025, 3, 14, 9, 0))
    with pytest.raises(TypeError, match="today"):
        read_expiry("3y", today=dt.datetime(2025, 3, 14), completed=FRI, attended=None)


def test_only_the_fallback_imports_dateparser() -> None:
    package = Path(__file__).resolve().parents[1] / "bot"
    importers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"^\s*(?:import|from)\s+dateparser\b", path.read_text(), re.MULTILINE)
    }
    assert importers == {"dates/_fallback.py"}


def test_the_date_package_never_reads_the_clock() -> None:
    package = Path(__file__).resolve().parents[1] / "bot" / "dates"
    clock = re.compile(r"\b(?:date|datetime)\.(?:today|now|utcnow)\(|\btime\.time\(")
    assert [p.name for p in package.glob("*.py") if clock.search(p.read_text())] == []


def test_warm_up_runs() -> None:
    warm_up()
