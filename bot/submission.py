"""A submission as a person typed it, and the checks made before the CMS sees it.

Every front end turns its input into a `Typed` submission (text, as typed or chosen) and an
`Origin` (who, where, and the key that makes it idempotent). `check` reads and checks it
without the CMS: ids, dates read by `bot.dates`, their order, required fields, and an expiry
filled from the course's renewal period. What it returns, `Checked`, is what will be sent;
what it refuses comes back as `SubmissionInvalid`, a message per field keyed by CMS
parameter name (the modal's block ids).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot import dates
from bot.cms.models import NewCourseRecord
from bot.errors import DateError, SubmissionInvalid, UserInputError
from bot.fields import FIELD_LABELS, FIELDS, ID_FIELDS, PAST_DATE_FIELDS
from bot.renewals import RenewalRules

#: Longest text kept from any one field (more is cut before storing; dates refuse long text).
MAX_FIELD_LENGTH = 500
#: Largest id accepted (the CMS's ids are 32-bit integers).
MAX_ID = 2**31 - 1

#: A course's name by its id, or None when not known.
CourseNames = Callable[[int], str | None]


class Typed(BaseModel):
    """What a person typed or chose, as text, before anything was read."""

    model_config = ConfigDict(frozen=True)

    contact_id: str = ""
    course_id: str = ""
    qualification_id: str = ""
    booked_at: str = ""
    attended_at: str = ""
    completed_at: str = ""
    expires_at: str = ""

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        text = "" if value is None else str(value)
        return text[:MAX_FIELD_LENGTH]


class Origin(BaseModel):
    """Who submitted, from where; `key` makes a submission idempotent."""

    model_config = ConfigDict(frozen=True)

    #: The name of the front end (its notifier is attached under it): a short word.
    frontend: str = Field(pattern=r"^[a-z][a-z0-9-]{0,19}$")
    key: str = ""
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class Checked:
    """A submission read and checked: what will be sent."""

    contact_id: int
    record: NewCourseRecord
    #: Date fields where only a month was given and the 1st was assumed.
    assumed: tuple[str, ...] = ()
    #: How each date was read, for the person ("Tuesday 12 March 2024 (last Tuesday)").
    notes: dict[str, str] = field(default_factory=dict)
    #: Fields left blank and filled in by the bot, each with how: {"expires_at": "3 years"}
    #: (the course's renewal period; see `bot.renewals`).
    filled: dict[str, str] = field(default_factory=dict)


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f'"{text[:limit]}…"' if len(text) > limit else f'"{text}"'


def _read_id(text: str, name: str, *, required: bool) -> int | None:
    text = text.strip().lstrip("#").strip()
    label = FIELD_LABELS[name].lower()
    if not text:
        if required:
            raise UserInputError(f"Choose a {label}.")
        return None
    if not text.isascii() or not text.isdigit():
        raise UserInputError(
            f"Choose a {label} from the list, or give its number; {_quote(text)} is neither."
        )
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise UserInputError(f"{_quote(text)} is not a valid {label} number.")
    return value


def check(
    typed: Typed,
    *,
    today: dt.date,
    contact_required: bool = True,
    renewals: RenewalRules | None = None,
    course_names: CourseNames | None = None,
) -> Checked:
    """Read and check a submission without the CMS.

    Raises `SubmissionInvalid` with a message per field (keyed by CMS parameter name). With
    `contact_required=False` (a batch: the people come separately) an empty contact is
    allowed and `Checked.contact_id` is 0.

    With `renewals`, a blank expiry is filled in from the course's renewal period when there
    is a completion (or attended) date; `course_names` gives a course's name for rules
    keyed by name. What was filled is in `Checked.filled` and `Checked.notes`.
    """
    errors: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for name in ID_FIELDS:
        required = name == "course_id" or (name == "contact_id" and contact_required)
        try:
            ids[name] = _read_id(getattr(typed, name), name, required=required)
        except UserInputError as exc:
            errors[name] = exc.message

    readings: dict[str, dates.DateReading] = {}
    for name in PAST_DATE_FIELDS:
        text = getattr(typed, name)
        if text.strip():
            try:
                readings[name] = dates.read_date(text, role="past", today=today)
            except DateError as exc:
                errors[name] = exc.message
    no_expiry = dates.is_no_expiry(typed.expires_at)
    if typed.expires_at.strip() and not no_expiry:
        completed = readings.get("completed_at")
        attended = readings.get("attended_at")
        try:
            readings["expires_at"] = dates.read_expiry(
                typed.expires_at,
                today=today,
                completed=completed.value if completed else None,
                attended=attended.value if attended else None,
            )
        except DateError as exc:
            errors["expires_at"] = exc.message

    values = {name: reading.value for name, reading in readings.items()}
    for name, message in dates.check_dates(values, today=today).items():
        errors.setdefault(name, message)
    if errors:
        raise SubmissionInvalid({name: errors[name] for name in FIELDS if name in errors})

    contact_id, course_id = ids["contact_id"] or 0, ids["course_id"]
    assert course_id is not None
    notes = {name: r.how for name, r in readings.items()}
    for name in PAST_DATE_FIELDS:  # a day or two ahead is allowed, and the reading says so
        if name in readings:
            notes[name] = dates.with_grace(notes[name], readings[name].value, today=today)
    filled: dict[str, str] = {}
    if no_expiry:  # "never", "n/a": left empty on purpose, and no renewal rule fills it
        notes["expires_at"] = dates.NO_EXPIRY
    elif renewals and "expires_at" not in values:
        # Checked after the typed dates: the expiry comes after its base by construction,
        # and one already past is the truth about old training, not a typing mistake.
        known = course_names(course_id) if course_names and renewals.needs_name(course_id) else None
        expiry = renewals.fill_expiry(
            course_id,
            known,
            completed=values.get("completed_at"),
            attended=values.get("attended_at"),
        )
        if expiry is not None:
            values["expires_at"] = expiry.value
            notes["expires_at"] = expiry.note
            filled["expires_at"] = expiry.period
    record = NewCourseRecord(
        course_id=course_id, qualification_id=ids["qualification_id"], **values
    )
    return Checked(
        contact_id=contact_id,
        record=record,
        assumed=tuple(name for name, r in readings.items() if r.day_assumed),
        notes=notes,
        filled=filled,
    )
