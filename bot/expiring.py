"""Whose training runs out soon: the recorded submissions whose expiry falls in a window.

Shared by `python -m bot expiring` and the App Home tab. The query is `Store.expiring`; this
module turns "the next N days" into dates (today is the caller's, in BOT_TIMEZONE) and each
submission into the row people read: contact, course, expiry, days left, who recorded it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.store import Store, Submission

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "Expiring", "expiring", "window"]

#: The window of `python -m bot expiring` and of the App Home.
DEFAULT_DAYS = 90
#: The widest window asked for (longer than any renewal period).
MAX_DAYS = 36600


@dataclass(frozen=True)
class Expiring:
    """One record whose expiry falls in the window."""

    submission_id: int
    contact_id: int
    course_id: int
    #: As the CMS named the course when it recorded it.
    course_name: str | None
    expires_at: dt.date
    #: 0 when it expires today.
    days_left: int
    record_id: int | None
    #: Who recorded it: their Slack id and name, and the front end used.
    user_id: str | None
    user_name: str | None
    frontend: str
    #: The contact's name as last seen (kept in the log), if known.
    contact_name: str | None = None

    @property
    def course(self) -> str:
        return self.course_name or f"course {self.course_id}"

    @property
    def recorded_by(self) -> str:
        return self.user_name or self.user_id or self.frontend

    @classmethod
    def of(cls, submission: Submission, today: dt.date) -> Expiring:
        assert submission.expires_at is not None
        return cls(
            submission_id=submission.id,
            contact_id=submission.contact_id,
            course_id=submission.course_id,
            course_name=submission.course_name,
            expires_at=submission.expires_at,
            days_left=(submission.expires_at - today).days,
            record_id=submission.record_id,
            user_id=submission.user_id,
            user_name=submission.user_name,
            frontend=submission.frontend,
            contact_name=submission.contact_name,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "contact_id": self.contact_id,
            "contact_name": self.contact_name,
            "course_id": self.course_id,
            "course_name": self.course_name,
            "expires_at": self.expires_at.isoformat(),
            "days_left": self.days_left,
            "record_id": self.record_id,
            "recorded_by": self.recorded_by,
            "user_id": self.user_id,
        }


def window(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The first and last day of "the next `days` days": today through today + `days`."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 0 to {MAX_DAYS}, not {days}")
    return today, today + dt.timedelta(days=days)


def expiring(store: Store, *, today: dt.date, days: int = DEFAULT_DAYS) -> list[Expiring]:
    """The records in the log that expire in the next `days` days, soonest first; a record
    renewed since (a later expiry recorded for the same contact and course) is left out."""
    first, last = window(today, days)
    return [Expiring.of(s, today) for s in store.expiring(first, last)]
