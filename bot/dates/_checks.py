"""Checks between the date fields of one submission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.dates._calendar import long_date

#: The date fields in the order their dates must fall.
ORDER = ("booked_at", "attended_at", "completed_at", "expires_at")
_LABEL = {
    "booked_at": "booked",
    "attended_at": "attended",
    "completed_at": "completed",
    "expires_at": "expires",
}
#: How far past today a past-role date may be before it is flagged (time zones, forms
#: filled in on Friday for Monday).
FUTURE_GRACE = dt.timedelta(days=3)


def with_grace(how: str, value: dt.date, *, today: dt.date) -> str:
    """A past-role date's reading `how`, saying so when the date is a little after today
    (within the grace: allowed, for clocks and time zones). Beyond the grace `check_dates`
    refuses it; on or before today `how` is returned as it is."""
    ahead = (value - today).days
    if not 0 < ahead <= FUTURE_GRACE.days:
        return how
    days = "1 day" if ahead == 1 else f"{ahead} days"
    said = f"{days} after today: allowed, for clocks and time zones"
    if how.endswith(")"):
        return f"{how[:-1]}; {said})"
    return f"{how} ({said})"


def check_dates(dates: Mapping[str, dt.date | None], *, today: dt.date) -> dict[str, str]:
    """Problems between the dates of one submission, as {field: message}.

    booked <= attended <= completed < expires (each date against the nearest earlier one
    given, the message under the later field); a booked/attended/completed date more than
    three days after today; an expiry before today.
    """
    problems: dict[str, list[str]] = {}
    present = [(field, dates[field]) for field in ORDER if dates.get(field) is not None]
    previous: tuple[str, dt.date] | None = None
    for field, value in present:
        assert value is not None
        label = _LABEL[field].capitalize()
        if previous is not None:
            prev_field, prev_value = previous
            prev_label = _LABEL[prev_field]
            if field == "expires_at" and value <= prev_value:
                problems.setdefault(field, []).append(
                    f"Expires {long_date(value)} is not after {prev_label} "
                    f"{long_date(prev_value)}: an expiry must come after it."
                )
            elif value < prev_value:
                problems.setdefault(field, []).append(
                    f"{label} {long_date(value)} is before {prev_label} "
                    f"{long_date(prev_value)}: check both dates."
                )
        if field != "expires_at" and value > today + FUTURE_GRACE:
            problems.setdefault(field, []).append(
                f"{label} {long_date(value)} is in the future (today is {long_date(today)}): "
                "check the date."
            )
        if field == "expires_at" and value < today:
            problems.setdefault(field, []).append(
                f"Expires {long_date(value)} is already past (today is {long_date(today)}): "
                "check the date."
            )
        previous = (field, value)
    return {field: " ".join(messages) for field, messages in problems.items()}
