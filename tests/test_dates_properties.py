"""Properties of the date reader, checked on generated input (hypothesis)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import Role, is_no_expiry, parse_date, read_date, read_expiry
from bot.dates._calendar import MONTHS, WEEKDAYS
from bot.errors import DateError

MODEST = settings(max_examples=300, deadline=None)

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
todays = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
roles: st.SearchStrategy[Role] = st.sampled_from(["past", "future"])


def _month(day: dt.date) -> str:
    return MONTHS[day.month - 1].capitalize()


FORMATS: dict[str, Callable[[dt.date], str]] = {
    "d/m/yyyy": lambda d: f"{d.day}/{d.month}/{d.year}",
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "d-m-yyyy": lambda d: f"{d.day}-{d.month}-{d.year}",
    "d Month yyyy": lambda d: f"{d.day} {_month(d)} {d.year}",
    "d Mon yyyy": lambda d: f"{d.day} {_month(d)[:3]} {d.year}",
    "dth of Month, yyyy": lambda d: f"{d.day}{_suffix(d.day)} of {_month(d)}, {d.year}",
    "Month d yyyy": lambda d: f"{_month(d)} {d.day} {d.year}",
    "Weekday d Month yyyy": lambda d: f"{WEEKDAYS[d.weekday()]} {d.day} {_month(d)} {d.year}",
    "ISO": lambda d: d.isoformat(),
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "yyyymmdd": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
}


def _outcome(text: str, role: Role, today: dt.date) -> dt.date | str:
    """The date read, or the refusal message; any other exception fails the test."""
    try:
        return read_date(text, role=role, today=today).value
    except DateError as exc:
        _assert_fit_to_show(exc.message)
        return exc.message


def _assert_fit_to_show(message: str) -> None:
    """No marker left behind, no invisible or control characters."""
    assert message.strip()
    assert not any(ch in message for ch in "\x00\u200b\u200c\u200d\u2060\ufeff\n\r\t")


def _assert_read_or_refused(text: str, role: Role, today: dt.date) -> None:
    outcome = _outcome(text, role, today)
    if isinstance(outcome, str):
        assert outcome.strip()
    else:
        assert dt.date(1900, 1, 1) <= outcome <= dt.date(2199, 12, 31)


def _suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


@MODEST
@given(day=days, fmt=st.sampled_from(sorted(FORMATS)), role=roles, today=todays)
def test_a_formatted_real_date_comes_back_as_itself(
    day: dt.date, fmt: str, role: Role, today: dt.date
) -> None:
    text = FORMATS[fmt](day)
    assert parse_date(text, role=role, today=today) == day
    assert parse_date(text.upper(), role=role, today=today) == day


@MODEST
@given(text=st.text(), role=roles, today=todays)
def test_arbitrary_text_raises_only_date_error(text: str, role: Role, today: dt.date) -> None:
    _assert_read_or_refused(text, role, today)


DATEISH_WORDS = [
    *MONTHS,
    *WEEKDAYS,
    "jan", "sept", "thurs", "tues", "the", "of", "on", "at", "last", "next", "this",
    "yesterday", "today", "tomorrow", "day", "days", "week", "weeks", "fortnight", "month",
    "months", "year", "years", "wks", "yrs", "ago", "in", "from", "now", "time", "a", "and",
    "before", "after", "3pm", "noon", "every", "-", "/", "+", "1", "3", "12", "29", "31", "32",
    "2024", "2025", "03/04", "12/03/2025", "2025-03-12", "1st", "3rd", "13th", ".",
    # version 2: church days, idioms, decoration, typing slips, expiry wordings
    "easter", "christmas", "eve", "day", "good", "friday", "whit", "monday", "ascension",
    "bank", "holiday", "late", "may", "august", "spring", "advent", "sunday", "boxing",
    "new", "year's", "all", "saints", "week", "yesterday", "on", "first", "second",
    "25", "89", "'25", "mar", "sept", "5m", "48", "hours", "1.5", "half", "and", "a",
    "P3Y", "annually", "yearly", "valid", "for", "from", "completion", "attendance",
    "never", "n/a", "booked", "done", "it", "was", "expires", ":+1:", "👍", "*", "_", "`",
    "\u200b", "\u00a0", "2O25", "12//03/2025", "１２", "03042025", "030425", "Satruday",
    "Agust", "Mya", "fortnite", "tommorow", "(3)", "three", "before", "last", "month",
]  # fmt: skip


@MODEST
@given(
    words=st.lists(st.sampled_from(DATEISH_WORDS), min_size=1, max_size=6),
    role=roles,
    today=todays,
)
def test_date_like_word_salad_raises_only_date_error(
    words: list[str], role: Role, today: dt.date
) -> None:
    _assert_read_or_refused(" ".join(words), role, today)


@MODEST
@given(text=st.text(alphabet="0123456789/-.: +", min_size=1, max_size=14), today=todays)
def test_numeric_noise_raises_only_date_error(text: str, today: dt.date) -> None:
    _assert_read_or_refused(text, "past", today)


@MODEST
@given(today=todays, weekday=st.sampled_from(WEEKDAYS))
def test_a_bare_weekday_is_within_the_week_on_the_role_side(today: dt.date, weekday: str) -> None:
    past = parse_date(weekday, role="past", today=today)
    future = parse_date(weekday, role="future", today=today)
    assert 1 <= (today - past).days <= 7
    assert 1 <= (future - today).days <= 7
    assert past.weekday() == future.weekday() == WEEKDAYS.index(weekday)


@MODEST
@given(today=todays, day=days)
def test_day_and_month_without_a_year_fall_on_the_role_side(today: dt.date, day: dt.date) -> None:
    text = f"{day.day} {_month(day)}"
    past = parse_date(text, role="past", today=today)
    future = parse_date(text, role="future", today=today)
    assert past <= today <= future
    assert (past.month, past.day) == (future.month, future.day) == (day.month, day.day)
    assert (future - past).days <= 366 * 8


@MODEST
@given(today=todays, n=st.integers(min_value=1, max_value=120))
def test_months_ago_and_ahead_clamp_to_the_month_end(today: dt.date, n: int) -> None:
    back = parse_date(f"{n} months ago", role="past", today=today)
    ahead = parse_date(f"in {n} months", role="future", today=today)
    assert (today.year * 12 + today.month) - (back.year * 12 + back.month) == n
    assert (ahead.year * 12 + ahead.month) - (today.year * 12 + today.month) == n
    for moved in (back, ahead):
        assert moved.day == today.day or (
            moved.day < today.day and (moved + dt.timedelta(1)).day == 1
        )


@MODEST
@given(
    words=st.lists(st.sampled_from(DATEISH_WORDS), min_size=1, max_size=6),
    today=todays,
    completed=st.none() | days,
)
def test_expiry_word_salad_raises_only_date_error(
    words: list[str], today: dt.date, completed: dt.date | None
) -> None:
    text = " ".join(words)
    is_no_expiry(text)
    try:
        value = read_expiry(text, today=today, completed=completed, attended=None).value
    except DateError as exc:
        _assert_fit_to_show(exc.message)
    else:
        assert dt.date(1900, 1, 1) <= value <= dt.date(2199, 12, 31)


@MODEST
@given(day=days, fmt=st.sampled_from(sorted(FORMATS)), role=roles, today=todays)
def test_decoration_does_not_change_the_date(
    day: dt.date, fmt: str, role: Role, today: dt.date
) -> None:
    text = FORMATS[fmt](day)
    for decorated in (f"*{text}*", f"_{text}_", f"`{text}`", f"{text} :+1:", f"✅ {text}"):
        assert parse_date(decorated, role=role, today=today) == day
    assert parse_date(text.replace(" ", "\u00a0"), role=role, today=today) == day


@MODEST
@given(today=todays, yy=st.integers(min_value=0, max_value=99), role=roles)
def test_a_two_digit_year_is_the_nearest(today: dt.date, yy: int, role: Role) -> None:
    year = parse_date(f"1/6/{yy:02d}", role=role, today=today).year
    assert year % 100 == yy
    assert abs(year - today.year) <= 50
    if abs(year - today.year) == 50:
        assert (year > today.year) == (role == "future")


@MODEST
@given(today=todays, day=st.integers(min_value=1, max_value=31))
def test_a_day_alone_falls_on_the_role_side(today: dt.date, day: int) -> None:
    past = parse_date(f"the {day}th", role="past", today=today)
    future = parse_date(f"the {day}th", role="future", today=today)
    assert past.day == future.day == day
    assert past <= today <= future
    assert (today - past).days < 62
    assert (future - today).days < 62


FEASTS = ["Easter", "Good Friday", "Whit Monday", "Ascension Day", "Christmas", "Advent Sunday",
          "the late May bank holiday", "the August bank holiday", "Mothering Sunday"]  # fmt: skip


#: England's bank holidays are known (to the `holidays` package) up to 2100.
feast_todays = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@MODEST
@given(today=feast_todays, name=st.sampled_from(FEASTS))
def test_a_church_day_without_a_year_falls_on_the_role_side(today: dt.date, name: str) -> None:
    past = parse_date(name, role="past", today=today)
    future = parse_date(name, role="future", today=today)
    assert past <= today <= future
    assert (future - past).days <= 400
    assert parse_date(f"{name} {past.year}", role="future", today=today) == past
