"""Version 2 of the date policy (shared/dates.md): the rows added by issue 13, case by case.

Each row is (text, today, answer in the past role, answer in the future role), as in
`test_dates.py`; an answer is an ISO date or None for a refusal, and `SAME` means the future
role reads it as the past role does. Every expected date was worked out by hand and checked
with `dateutil` (`easter`, `relativedelta`) and `holidays` in a `python -c`, not with our code.

Reference days: a month end (Monday 30 November 2026), a year end (Thursday 31 December
2026), the leap day (Tuesday 29 February 2028), the Sundays the UK clocks change (29 March
and 25 October 2026) and the day the issue was written (Tuesday 1 December 2026).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.dates import NO_EXPIRY, is_no_expiry, parse_date, read_date, read_expiry
from bot.errors import DateError

D = dt.date
NOV30 = D(2026, 11, 30)  # Monday, a month end
DEC31 = D(2026, 12, 31)  # Thursday, a year end
LEAP = D(2028, 2, 29)  # Tuesday, the leap day
SPRING = D(2026, 3, 29)  # Sunday, clocks go forward (also Palm Sunday 2026)
AUTUMN = D(2026, 10, 25)  # Sunday, clocks go back
DEC01 = D(2026, 12, 1)  # Tuesday
ALL_DAYS = (NOV30, DEC31, LEAP, SPRING, AUTUMN, DEC01)

SAME = "same"
Row = tuple[str, dt.date, str | None, str | None]


def everywhere(text: str, answer: str | None, days: tuple[dt.date, ...] = ALL_DAYS) -> list[Row]:
    return [(text, day, answer, SAME) for day in days]


# --- church days and holidays ------------------------------------------------------------------
CHURCH: list[Row] = [
    *everywhere("Whit Monday 2024", "2024-05-20"),
    *everywhere("Easter Monday 2025", "2025-04-21"),
    ("Ascension Day last year", DEC01, "2025-05-29", SAME),
    ("Ascension Day last year", LEAP, "2027-05-06", SAME),
    ("the late May bank holiday", DEC01, "2026-05-25", "2027-05-31"),
    ("Easter", SPRING, "2025-04-20", "2026-04-05"),
    ("Easter", DEC01, "2026-04-05", "2027-03-28"),
    ("Palm Sunday", SPRING, "2026-03-29", "2026-03-29"),
    ("Good Friday", AUTUMN, "2026-04-03", "2027-03-26"),
    ("Christmas", DEC31, "2026-12-25", "2027-12-25"),
    ("Christmas", DEC01, "2025-12-25", "2026-12-25"),
    ("Christmas Day 2025", DEC01, "2025-12-25", SAME),
    ("Christmas Eve", DEC01, "2025-12-24", "2026-12-24"),
    ("Boxing Day", DEC31, "2026-12-26", "2027-12-26"),
    ("Boxing Day 2020", DEC01, "2020-12-26", SAME),
    ("New Year's Day", DEC31, "2026-01-01", "2027-01-01"),
    ("New Year's Eve", DEC31, "2026-12-31", "2026-12-31"),
    ("New Years Eve 2025", DEC01, "2025-12-31", SAME),
    ("Epiphany", LEAP, "2028-01-06", "2029-01-06"),
    ("Candlemas", LEAP, "2028-02-02", "2029-02-02"),
    ("Ash Wednesday", LEAP, "2027-02-10", "2028-03-01"),
    ("Shrove Tuesday", DEC01, "2026-02-17", "2027-02-09"),
    ("Pancake Day last year", DEC01, "2025-03-04", SAME),
    *everywhere("Shrove Tuesday 2027", "2027-02-09"),
    ("Mothering Sunday", SPRING, "2026-03-15", "2027-03-07"),
    ("Maundy Thursday 2026", DEC01, "2026-04-02", SAME),
    ("Easter Day 2027", DEC01, "2027-03-28", SAME),
    ("Easter Sunday 2024", DEC01, "2024-03-31", SAME),
    ("Pentecost 2025", DEC01, "2025-06-08", SAME),
    ("Whit Sunday 2026", DEC01, "2026-05-24", SAME),
    ("Whitsun", DEC01, "2026-05-24", "2027-05-16"),
    ("Trinity Sunday 2026", DEC01, "2026-05-31", SAME),
    ("Michaelmas", AUTUMN, "2026-09-29", "2027-09-29"),
    ("All Saints", AUTUMN, "2025-11-01", "2026-11-01"),
    ("All Saints' Day 2026", DEC01, "2026-11-01", SAME),
    ("Remembrance Sunday", NOV30, "2026-11-08", "2027-11-14"),
    ("Advent Sunday", NOV30, "2026-11-29", "2027-11-28"),
    ("Advent Sunday 2028", DEC01, "2028-12-03", SAME),
    ("last Easter", DEC01, "2026-04-05", SAME),
    ("next Easter", DEC01, "2027-03-28", SAME),
    ("last Christmas", D(2026, 12, 25), "2025-12-25", SAME),
    ("next Christmas", DEC31, "2027-12-25", SAME),
    ("Easter last year", SPRING, "2025-04-20", SAME),
    ("Easter this year", SPRING, "2026-04-05", SAME),
    ("Easter next year", SPRING, "2027-03-28", SAME),
    # England's bank holidays as observed, moved ones included (holidays, not a table of ours)
    ("the May bank holiday 2020", DEC01, "2020-05-08", SAME),
    ("early May bank holiday 2023", DEC01, "2023-05-01", SAME),
    ("the spring bank holiday 2022", DEC01, "2022-06-02", SAME),
    ("the late May bank holiday 2012", DEC01, "2012-06-04", SAME),
    ("August bank holiday 2026", DEC01, "2026-08-31", SAME),
    ("the August bank holiday", DEC01, "2026-08-31", "2027-08-30"),
    ("summer bank holiday 2025", DEC01, "2025-08-25", SAME),
    ("May Day bank holiday 2026", DEC01, "2026-05-04", SAME),
    ("Good Friday 2026 at 3pm", DEC01, "2026-04-03", SAME),
    ("Christmas '24", DEC01, "2024-12-25", SAME),
    ("Xmas Day 2025", DEC01, "2025-12-25", SAME),
    # typos of one word
    ("Easter Mnday 2025", DEC01, "2025-04-21", SAME),
    ("Chrismas 2025", DEC01, "2025-12-25", SAME),
    # a careful colleague would ask which
    ("bank holiday", DEC01, None, SAME),
    ("the bank holiday Monday", DEC01, None, SAME),
    ("May Day", DEC01, None, SAME),
    ("Easter week", DEC01, None, SAME),
    ("Easter 1066", DEC01, None, SAME),
]

# --- a day of the month alone: the month by role ------------------------------------------------
DAY_ALONE: list[Row] = [
    ("the 24th", NOV30, "2026-11-24", "2026-12-24"),
    ("the 17th", DEC01, "2026-11-17", "2026-12-17"),
    ("on the 3rd", DEC01, "2026-11-03", "2026-12-03"),
    ("3rd", DEC01, "2026-11-03", "2026-12-03"),
    ("the 1st", DEC01, "2026-12-01", "2026-12-01"),
    ("the 31st", NOV30, "2026-10-31", "2026-12-31"),
    ("the 31st", DEC31, "2026-12-31", "2026-12-31"),
    ("the 30th", LEAP, "2028-01-30", "2028-03-30"),
    ("the 29th", LEAP, "2028-02-29", "2028-02-29"),
    ("the 12th", SPRING, "2026-03-12", "2026-04-12"),
    ("the twelfth", SPRING, "2026-03-12", "2026-04-12"),
    ("Mon 9th", DEC01, "2026-11-09", None),
    ("Wed 9th", DEC01, None, "2026-12-09"),
    ("Thurs 9th", DEC01, None, None),
    ("Sat 10th", AUTUMN, "2026-10-10", None),
    ("12", DEC01, None, SAME),
    ("on 3", DEC01, None, SAME),
    ("first", DEC01, None, SAME),  # the first what?
    ("the 32nd", DEC01, None, SAME),
    ("the 0th", DEC01, None, SAME),
]

# --- British idioms and compounds ---------------------------------------------------------------
IDIOMS: list[Row] = [
    ("a week on Tuesday", DEC01, "2026-12-15", SAME),
    ("Friday week", DEC01, "2026-12-11", SAME),
    ("Tuesday week", DEC01, "2026-12-15", SAME),
    ("Monday week", DEC01, "2026-12-14", SAME),
    ("a week last Tuesday", DEC01, "2026-11-17", SAME),
    ("a week yesterday", DEC01, "2026-11-23", SAME),
    ("a week tomorrow", DEC01, "2026-12-09", SAME),
    ("a week on Tuesday", DEC31, "2027-01-12", SAME),
    ("Friday week", DEC31, "2027-01-08", SAME),
    ("a week yesterday", LEAP, "2028-02-21", SAME),
    ("the 3rd of last month", DEC01, "2026-11-03", SAME),
    ("the 12th of last month", DEC01, "2026-11-12", SAME),
    ("the 1st of this month", DEC01, "2026-12-01", SAME),
    ("the 3rd of next month", DEC31, "2027-01-03", SAME),
    ("the 3rd of last month", DEC31, "2026-11-03", SAME),
    ("the 29th of last month", LEAP, "2028-01-29", SAME),
    ("the 31st of last month", DEC01, None, SAME),
    ("the 30th of this month", LEAP, None, SAME),
    ("the last Friday in June", DEC01, "2026-06-26", "2027-06-25"),
    ("last Friday of June 2025", DEC01, "2025-06-27", SAME),
    ("first Monday in February", DEC01, "2026-02-02", "2027-02-01"),
    ("the first Monday of February", LEAP, "2028-02-07", "2029-02-05"),
    ("second Tuesday in March 2026", DEC01, "2026-03-10", SAME),
    ("last day of February", DEC01, "2026-02-28", "2027-02-28"),
    ("last day of February", LEAP, "2028-02-29", "2028-02-29"),
    ("the last day of last month", DEC01, "2026-11-30", SAME),
    ("fifth Monday in February 2026", DEC01, None, SAME),
    ("June last year", DEC01, "2025-06-01", SAME),
    ("in June", DEC01, "2026-06-01", "2027-06-01"),
    ("the month before last", DEC01, "2026-10-01", SAME),
    ("12th March last year", DEC01, "2025-03-12", SAME),
    ("today's date", DEC01, "2026-12-01", SAME),
    ("fortnight ago", DEC01, "2026-11-17", SAME),
    ("48 hours ago", DEC01, "2026-11-29", SAME),
    ("24 hrs ago", DEC01, "2026-11-30", SAME),
    ("36 hours ago", DEC01, None, SAME),
    ("half a year ago", DEC01, "2026-06-01", SAME),
    ("a year and a half ago", DEC01, "2025-06-01", SAME),
    ("1.5 years ago", DEC01, "2025-06-01", SAME),
    ("in 2.5 years", DEC01, "2029-06-01", SAME),
    ("a week and a half ago", DEC01, None, SAME),
    ("1.5 weeks ago", DEC01, None, SAME),
    ("half a month ago", DEC01, None, SAME),
    ("half past 3", DEC01, None, SAME),
    ("a week today", DEC01, None, SAME),  # a week ago today, or a week from today?
]

# --- decoration, chat phrasing, typing slips ----------------------------------------------------
DECORATED: list[Row] = [
    ("12/03/2025 👍", DEC01, "2025-03-12", SAME),
    (":calendar: 12/03/2025", DEC01, "2025-03-12", SAME),
    ("12 March 2025 :+1:", DEC01, "2025-03-12", SAME),
    ("✅ yesterday", DEC01, "2026-11-30", SAME),
    ("📅 3 weeks ago", DEC01, "2026-11-10", SAME),
    ("*12/03/2025*", DEC01, "2025-03-12", SAME),
    ("_last Friday_", DEC01, "2026-11-27", SAME),
    ("`2025-03-12`", DEC01, "2025-03-12", SAME),
    ("12/03/\u200b2025", DEC01, "2025-03-12", SAME),
    ("\ufeff12/03/2025", DEC01, "2025-03-12", SAME),
    ("12\u00a0March\u00a02025", DEC01, "2025-03-12", SAME),
    ("12\u202fMarch 2025", DEC01, "2025-03-12", SAME),
    ("booked 10/07/2026", DEC01, "2026-07-10", SAME),
    ("done on the 3rd", DEC01, "2026-11-03", "2026-12-03"),
    ("it was last Friday", DEC01, "2026-11-27", SAME),
    ("completed last Tuesday", DEC01, "2026-11-24", SAME),
    ("attended 10/07/2026", DEC01, "2026-07-10", SAME),
    ("expires 10/07/2029", DEC01, "2029-07-10", SAME),
    ("Satruday", DEC01, "2026-11-28", "2026-12-05"),
    ("Wedsday", DEC01, "2026-11-25", "2026-12-02"),
    ("Agust 2025", DEC01, "2025-08-01", SAME),
    ("12 Agust 2025", DEC01, "2025-08-12", SAME),
    ("Mya 2025", DEC01, "2025-05-01", SAME),
    ("3 Mya 2025", DEC01, "2025-05-03", SAME),
    ("a fortnite ago", DEC01, "2026-11-17", SAME),
    ("yesterady", DEC01, "2026-11-30", SAME),
    ("tommorow", DEC01, "2026-12-02", SAME),
    ("Agsut 2025", DEC01, None, SAME),  # two edits from August
    ("Juny 2025", DEC01, None, SAME),  # one edit from June and from July
    ("2O25-03-12", DEC01, "2025-03-12", SAME),
    ("12/03/2O25", DEC01, "2025-03-12", SAME),
    ("1O/O3/2025", DEC01, "2025-03-10", SAME),
    ("12//03/2025", DEC01, "2025-03-12", SAME),
    ("12..03..2025", DEC01, "2025-03-12", SAME),
    ("12/03//2025", DEC01, "2025-03-12", SAME),
    ("１２/０３/２０２５", DEC01, "2025-03-12", SAME),
    ("１２／０３／２０２５", DEC01, "2025-03-12", SAME),
    ("03042025", DEC01, "2025-04-03", SAME),
    ("12032025", DEC01, "2025-03-12", SAME),
    ("20250403", DEC01, "2025-04-03", SAME),
    ("19121912", DEC01, "1912-12-19", SAME),  # year first and day first agree
    ("030425", DEC01, None, SAME),
]

# --- two-digit years: the nearest year ending in those digits ---------------------------------
TWO_DIGIT: list[Row] = [
    ("05/05/89", DEC01, "1989-05-05", SAME),
    ("12 Mar 89", DEC01, "1989-03-12", SAME),
    ("Mar '89", DEC01, "1989-03-01", SAME),
    ("3.4.25", DEC01, "2025-04-03", SAME),
    ("1/1/28", DEC01, "2028-01-01", SAME),
    ("1/1/76", DEC01, "1976-01-01", "2076-01-01"),  # exactly 50 years either way
    ("1/1/77", DEC01, "1977-01-01", SAME),
    ("1/1/75", DEC01, "2075-01-01", SAME),
    ("31/12/99", DEC01, "1999-12-31", SAME),
    ("1/1/00", DEC01, "2000-01-01", SAME),
]

# --- a month name with a bare number that could be a year: refused ---------------------------
MONTH_NUMBER: list[Row] = [
    ("Mar 25", DEC01, None, SAME),
    ("Sept 24", DEC01, None, SAME),
    ("Jan 26", DEC01, None, SAME),
    ("Mar-25", DEC01, None, SAME),
    ("March 16", DEC01, None, SAME),  # 2016 is ten years back
    ("Dec 31", DEC01, None, SAME),  # 2031 is five years ahead
    ("March 15", DEC01, "2026-03-15", "2027-03-15"),  # 2015 is eleven years back
    ("March 25th", DEC01, "2026-03-25", "2027-03-25"),
    ("March the 25", DEC01, "2026-03-25", "2027-03-25"),
    ("March 1", DEC01, "2026-03-01", "2027-03-01"),
    ("Jul 14", DEC01, "2026-07-14", "2027-07-14"),
    ("Mar 25 2025", DEC01, "2025-03-25", SAME),
    ("Wed 25 Mar", DEC01, "2026-03-25", None),
    ("5m ago", DEC01, None, SAME),
    ("in 5m", DEC01, None, SAME),
]

ALL_ROWS = CHURCH + DAY_ALONE + IDIOMS + DECORATED + TWO_DIGIT + MONTH_NUMBER


def _cases() -> list[Any]:
    cases = []
    for text, today, past, future in ALL_ROWS:
        answers = {"past": past, "future": past if future == SAME else future}
        for role, answer in answers.items():
            cases.append(pytest.param(text, today, role, answer, id=f"{text}|{today}|{role}"))
    return cases


@pytest.mark.parametrize(("text", "today", "role", "answer"), _cases())
def test_policy_v2(text: str, today: dt.date, role: Any, answer: str | None) -> None:
    if answer is None:
        with pytest.raises(DateError):
            read_date(text, role=role, today=today)
    else:
        assert parse_date(text, role=role, today=today).isoformat() == answer


# --- how it was read ---------------------------------------------------------------------------

HOW = [
    ("the 24th", NOV30, "past", "Tuesday 24 November 2026 (the 24th: this month assumed)"),
    ("the 17th", DEC01, "past", "Tuesday 17 November 2026 (the 17th: last month assumed)"),
    ("the 17th", DEC01, "future", "Thursday 17 December 2026 (the 17th: this month assumed)"),
    ("the 31st", NOV30, "future", "Thursday 31 December 2026 (the 31st: next month assumed)"),
    ("Easter Monday 2025", DEC01, "past", "Monday 21 April 2025 (Easter Monday 2025)"),
    ("easter monday", DEC01, "past", "Monday 6 April 2026 (Easter Monday 2026)"),
    ("last Friday", D(2026, 11, 24), "past", "Friday 20 November 2026 (last Friday)"),
    ("05/05/89", DEC01, "past", "Friday 5 May 1989 (read day first; 89 read as 1989)"),
    (
        ":+1: it was _last Friday_ 👍",
        D(2026, 11, 24),
        "past",
        "Friday 20 November 2026 (last Friday)",
    ),
    ("completed yesterday", DEC01, "past", "Monday 30 November 2026 (yesterday)"),
]


@pytest.mark.parametrize(("text", "today", "role", "how"), HOW)
def test_the_reading_says_how(text: str, today: dt.date, role: Any, how: str) -> None:
    assert read_date(text, role=role, today=today).how == how


# --- refusals: name the problem, offer forms that fit the field -----------------------------

REFUSALS = [
    ("Mar 25", ['"25 March"', '"March 2025"']),
    ("Feb 30", ['"February 2030"']),
    ("Sept 24", ['"24 September"', '"September 2024"']),
    ("5m ago", ["minutes or months"]),
    ("Thurs 9th", ["9 November 2026 is a Monday", '"9 November"']),
    ("bank holiday", ["which bank holiday"]),
    ("May Day", ['"1 May"', '"the May bank holiday"']),
    ("36 hours ago", ["whole days"]),
    ("030425", ["day first", "year first"]),
    ("the 31st of last month", ["November 2026 has only 30 days"]),
]


@pytest.mark.parametrize(("text", "fragments"), REFUSALS)
def test_refusals_name_the_problem(text: str, fragments: list[str]) -> None:
    with pytest.raises(DateError) as caught:
        read_date(text, role="past", today=DEC01)
    for fragment in fragments:
        assert fragment in caught.value.message


@pytest.mark.parametrize("text", ["soon", "tbc", "2028", "3pm", "every day", "last week"])
def test_an_expiry_refusal_offers_expiry_forms(text: str) -> None:
    with pytest.raises(DateError) as caught:
        read_expiry(text, today=DEC01, completed=D(2026, 7, 10), attended=None)
    message = caught.value.message
    assert '"3 years"' in message
    assert '"31/03/2028"' in message
    assert "last Tuesday" not in message
    assert "ago" not in message


@pytest.mark.parametrize("text", ["soon", "tbc", "2025"])
def test_a_past_refusal_offers_past_forms(text: str) -> None:
    with pytest.raises(DateError) as caught:
        read_date(text, role="past", today=DEC01)
    assert "3 years" not in caught.value.message
    assert "12/03/2025" in caught.value.message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("tbc\u200b", '"tbc"'),
        ("\u200bsoon\u200d", '"soon"'),
        ("next\u00a0\u00a0blue", '"next blue"'),
        ("soon 👍", '"soon 👍"'),
    ],
)
def test_a_refusal_quotes_what_the_person_sees(text: str, shown: str) -> None:
    with pytest.raises(DateError) as caught:
        read_date(text, role="past", today=DEC01)
    message = caught.value.message
    assert shown in message
    assert not any(ch in message for ch in "\u200b\u200c\u200d\u2060\ufeff\u00a0\x00")


# --- expiry wordings --------------------------------------------------------------------------

COMPLETED = D(2026, 7, 10)
ATTENDED = D(2026, 7, 8)
EXPIRY = [
    ("renewable 3 years from completion", COMPLETED, None, "2029-07-10"),
    ("lasts 2 years", COMPLETED, None, "2028-07-10"),
    ("1.5 years", COMPLETED, None, "2028-01-10"),
    ("1.5 years", D(2025, 8, 31), None, "2027-02-28"),
    ("two and a half years", COMPLETED, None, "2029-01-10"),
    ("three (3) years", COMPLETED, None, "2029-07-10"),
    ("P3Y", COMPLETED, None, "2029-07-10"),
    ("P18M", COMPLETED, None, "2028-01-10"),
    ("P1Y6M", COMPLETED, None, "2028-01-10"),
    ("annually", COMPLETED, None, "2027-07-10"),
    ("annual", COMPLETED, None, "2027-07-10"),
    ("every year", COMPLETED, None, "2027-07-10"),
    ("renewed every year", COMPLETED, None, "2027-07-10"),
    ("each year", COMPLETED, None, "2027-07-10"),
    ("every 2 years", COMPLETED, None, "2028-07-10"),
    ("3 yearly", COMPLETED, None, "2029-07-10"),
    ("3-yearly", COMPLETED, None, "2029-07-10"),
    ("valid for 3 years", COMPLETED, None, "2029-07-10"),
    ("3 years validity", COMPLETED, None, "2029-07-10"),
    ("3 years from completion", COMPLETED, None, "2029-07-10"),
    ("3 years after the course", COMPLETED, None, "2029-07-10"),
    ("3 years from attendance", COMPLETED, ATTENDED, "2029-07-08"),
    ("3 years from date of completion", COMPLETED, ATTENDED, "2029-07-10"),
    ("3 years from 10/07/2026", None, None, "2029-07-10"),
    ("3 years from 01/01/2025", COMPLETED, None, "2028-01-01"),
    ("3 years", LEAP, None, "2031-02-28"),
    ("expires in 3 years", COMPLETED, None, "2029-12-01"),
    ("renew in 3 years", COMPLETED, None, "2029-12-01"),
    ("expires 10/07/2029", COMPLETED, None, "2029-07-10"),
    ("_3 years_ 👍", COMPLETED, None, "2029-07-10"),
    ("31/03/76", COMPLETED, None, "2076-03-31"),
]


@pytest.mark.parametrize(("text", "completed", "attended", "answer"), EXPIRY)
def test_expiry_wordings(
    text: str, completed: dt.date | None, attended: dt.date | None, answer: str
) -> None:
    reading = read_expiry(text, today=DEC01, completed=completed, attended=attended)
    assert reading.value.isoformat() == answer


def test_from_attendance_needs_an_attended_date() -> None:
    with pytest.raises(DateError, match="attended date"):
        read_expiry("3 years from attendance", today=DEC01, completed=COMPLETED, attended=None)


@pytest.mark.parametrize(
    "text", ["1.5 months", "5m", "3 years from soon", "3 years from 12 March", "-3 years"]
)
def test_expiry_refusals(text: str) -> None:
    with pytest.raises(DateError):
        read_expiry(text, today=DEC01, completed=COMPLETED, attended=None)


def test_expiry_explains_itself() -> None:
    reading = read_expiry("1.5 years", today=DEC01, completed=COMPLETED, attended=None)
    assert reading.how == (
        "Monday 10 January 2028 (1 year and 6 months after completion on 10 July 2026)"
    )
    reading = read_expiry("3 years from 10/07/2026", today=DEC01, completed=None, attended=None)
    assert reading.how == "Tuesday 10 July 2029 (3 years from 10 July 2026)"


@pytest.mark.parametrize(
    "text",
    [
        "never",
        "Never.",
        "no expiry",
        "No expiry date",
        "n/a",
        "N/A",
        "none",
        "does not expire",
        "permanent",
        "no renewal",
    ],
)
def test_no_expiry(text: str) -> None:
    assert is_no_expiry(text)
    with pytest.raises(DateError, match="no expiry"):
        read_expiry(text, today=DEC01, completed=COMPLETED, attended=None)
    assert "no expiry" in NO_EXPIRY


@pytest.mark.parametrize("text", ["", "3 years", "12/03/2028", "nevermind", "tbc", "soon"])
def test_not_no_expiry(text: str) -> None:
    assert not is_no_expiry(text)


@pytest.mark.parametrize("text", ["never", "no expiry", "n/a"])
def test_no_expiry_is_still_refused_in_a_past_field(text: str) -> None:
    with pytest.raises(DateError):
        read_date(text, role="past", today=DEC01)


def test_a_bank_holiday_past_what_is_known_is_refused_saying_so() -> None:
    with pytest.raises(DateError) as refused:
        read_date("the late May bank holiday 2101", role="future", today=dt.date(2026, 12, 1))
    assert refused.value.message.startswith(
        '"the late May bank holiday 2101": the spring bank holiday of 2101 is not known'
    )


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("tomorrow", "Wednesday 2 December 2026 (tomorrow; 1 day after today: allowed, for "
         "clocks and time zones)"),
        ("in 3 days", "Friday 4 December 2026 (in 3 days; 3 days after today: allowed, for "
         "clocks and time zones)"),
        ("yesterday", "Monday 30 November 2026 (yesterday)"),
    ],
)  # fmt: skip
def test_a_past_date_within_the_grace_says_so_in_its_reading(text: str, how: str) -> None:
    from bot.submission import Typed, check

    checked = check(Typed(contact_id="1042", course_id="2", completed_at=text), today=DEC01)
    assert checked.notes["completed_at"] == how


def test_a_past_date_beyond_the_grace_is_refused() -> None:
    from bot.errors import SubmissionInvalid
    from bot.submission import Typed, check

    with pytest.raises(SubmissionInvalid) as refused:
        check(Typed(contact_id="1042", course_id="2", completed_at="in 4 days"), today=DEC01)
    assert "is in the future" in refused.value.errors["completed_at"]
