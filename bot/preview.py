"""How the date fields of a form read, as the person types: help, not the check.

`date_notes` reads each date field's text the way `bot.submission.check` will (same role,
the expiry counted from the completion or attended date when it is a length of time) and
says, per field, the reading ("Friday 20 November 2026 (next Friday)") or the refusal, and
any problem between the fields (attended after completed) as soon as both are typed. The
submission still checks everything again. Pure: today is passed in; nothing here knows Slack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot import dates
from bot.errors import DateError
from bot.fields import DATE_FIELDS, FIELD_ROLES

__all__ = ["Note", "date_notes"]


@dataclass(frozen=True)
class Note:
    """What to say under one date field: `ok` False for a refusal or a problem."""

    text: str
    ok: bool


def date_notes(texts: Mapping[str, str], *, today: dt.date) -> dict[str, Note]:
    """A note for each date field of `texts` (field name -> text as typed) that holds text.

    Fields that are not date fields, or are empty, get no note.
    """
    notes: dict[str, Note] = {}
    values: dict[str, dt.date] = {}
    for name in DATE_FIELDS:
        text = texts.get(name) or ""
        if name == "expires_at" or not text.strip():
            continue
        try:
            reading = dates.read_date(text, role=FIELD_ROLES[name], today=today)
        except DateError as exc:
            notes[name] = Note(exc.message, False)
            continue
        notes[name] = Note(dates.with_grace(reading.how, reading.value, today=today), True)
        values[name] = reading.value
    expiry = texts.get("expires_at") or ""
    if "expires_at" in DATE_FIELDS and expiry.strip():
        if dates.is_no_expiry(expiry):
            notes["expires_at"] = Note(dates.NO_EXPIRY, True)
        else:
            try:
                reading = dates.read_expiry(
                    expiry,
                    today=today,
                    completed=values.get("completed_at"),
                    attended=values.get("attended_at"),
                )
            except DateError as exc:
                notes["expires_at"] = Note(exc.message, False)
            else:
                notes["expires_at"] = Note(reading.how, True)
                values["expires_at"] = reading.value
    for name, problem in dates.check_dates(values, today=today).items():
        shown = notes.get(name)
        text = f"{shown.text} {problem}" if shown is not None else problem
        notes[name] = Note(text, False)
    return notes
