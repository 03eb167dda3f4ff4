"""A correction as a person typed it, checked against the record it corrects.

A correction starts from what the CMS holds now (`CourseRecord`, fetched, never remembered)
and the fields a person typed: the qualification and the dates (a record's course cannot
change). `check_correction` reads them with the same date policy as a new record, then
checks the whole corrected record (the typed fields over the record's others) with the same
between-field checks (`bot.dates.check_dates`). A problem the record already had, on a field
the correction leaves alone, does not stop it: only what the correction makes or changes is
refused. What it returns is the PUT's parameters: only the fields whose value changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import dates
from bot.cms.models import CORRECTABLE_FIELDS, CourseRecord, CourseRecordChanges
from bot.errors import DateError, SubmissionInvalid, UserInputError
from bot.fields import FIELD_LABELS, PAST_DATE_FIELDS
from bot.submission import Typed, _read_id

#: Said when a field that held a value is emptied (the API clears nothing, cms-api.md).
CANNOT_CLEAR = (
    "The CMS cannot empty a field through the bot: put the value back, or ask a CMS "
    "administrator to remove it in the portal."
)
#: Said to whoever wonders how to undo a record made by mistake (the API has no delete).
MISTAKE = (
    "Recorded by mistake? The CMS API cannot delete a record: correct it here, or ask a CMS "
    "administrator to remove it in the CMS portal."
)


@dataclass(frozen=True)
class CheckedCorrection:
    """A correction read and checked: what the PUT sends (empty when nothing changes)."""

    changes: CourseRecordChanges
    #: How each typed date was read, for the person.
    notes: dict[str, str] = field(default_factory=dict)


def record_values(record: CourseRecord | Mapping[str, Any]) -> dict[str, Any]:
    """The correctable fields of a record, as typed values (dates as `date`, ids as int)."""
    raw = record.model_dump() if isinstance(record, CourseRecord) else dict(record)
    out: dict[str, Any] = {}
    for name in CORRECTABLE_FIELDS:
        value = raw.get(name)
        if isinstance(value, str):
            value = int(value) if name == "qualification_id" else dt.date.fromisoformat(value)
        out[name] = value
    return out


def human_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def typed_from_record(record: CourseRecord) -> Typed:
    """The form filled in with what the CMS holds (dates as a person writes them)."""
    values = record_values(record)
    return Typed(
        contact_id=str(record.contact_id),
        course_id=str(record.course_id),
        qualification_id=str(values["qualification_id"] or ""),
        **{
            name: human_date(value) if isinstance(value, dt.date) else ""
            for name, value in values.items()
            if name != "qualification_id"
        },
    )


def check_correction(
    typed: Typed, current: CourseRecord, *, today: dt.date, blank_keeps: bool
) -> CheckedCorrection:
    """Read a correction of `current` and check the whole corrected record.

    `blank_keeps`: a blank field keeps the record's value (the command line, where only the
    options given change); otherwise (the form, filled in with the record) emptying a field
    that held a value is refused, since the CMS clears nothing. Raises `SubmissionInvalid`
    keyed by field name.
    """
    held = record_values(current)
    errors: dict[str, str] = {}
    values: dict[str, Any] = dict(held)
    notes: dict[str, str] = {}

    def blank(name: str) -> bool:
        if str(getattr(typed, name)).strip():
            return False
        if held[name] is not None and not blank_keeps:
            errors[name] = CANNOT_CLEAR
        return True

    if not blank("qualification_id"):
        try:
            values["qualification_id"] = _read_id(
                typed.qualification_id, "qualification_id", required=False
            )
        except UserInputError as exc:
            errors["qualification_id"] = exc.message
    for name in PAST_DATE_FIELDS:
        if blank(name):
            continue
        try:
            reading = dates.read_date(getattr(typed, name), role="past", today=today)
        except DateError as exc:
            errors[name] = exc.message
            continue
        values[name] = reading.value
        notes[name] = reading.how
    if not blank("expires_at"):
        if dates.is_no_expiry(typed.expires_at):
            if held["expires_at"] is not None:
                errors["expires_at"] = CANNOT_CLEAR
        else:
            try:
                reading = dates.read_expiry(
                    typed.expires_at,
                    today=today,
                    completed=values["completed_at"],
                    attended=values["attended_at"],
                )
            except DateError as exc:
                errors["expires_at"] = exc.message
            else:
                values["expires_at"] = reading.value
                notes["expires_at"] = reading.how

    changed = {name for name in CORRECTABLE_FIELDS if values[name] != held[name]}
    date_names = [n for n in CORRECTABLE_FIELDS if n != "qualification_id"]
    after = dates.check_dates({n: values[n] for n in date_names}, today=today)
    already = dates.check_dates({n: held[n] for n in date_names}, today=today)
    for name, message in after.items():
        # A problem the record had before, on a field left alone, is not this correction's.
        if name not in changed and already.get(name) == message:
            continue
        errors.setdefault(name, message)
    if errors:
        order = list(CORRECTABLE_FIELDS)
        raise SubmissionInvalid(dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]))))
    changes = CourseRecordChanges(**{name: values[name] for name in sorted(changed)})
    return CheckedCorrection(changes=changes, notes={n: notes[n] for n in changed if n in notes})


def _shown(name: str, value: Any, qualification: str | None) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dt.date):
        return human_date(value)
    if name == "qualification_id":
        return qualification or f"#{value}"
    return str(value)


def changed_fields(
    before: CourseRecord | Mapping[str, Any], after: CourseRecord | Mapping[str, Any]
) -> list[str]:
    """The correctable fields whose values differ between two records, in form order."""
    old, new = record_values(before), record_values(after)
    return [name for name in CORRECTABLE_FIELDS if old[name] != new[name]]


def describe_changes(
    before: CourseRecord | Mapping[str, Any], after: CourseRecord | Mapping[str, Any]
) -> list[str]:
    """Each change as plain text: `completed 3 March 2025 → 4 March 2025`."""
    old, new = record_values(before), record_values(after)
    names = {
        "before": _get(before, "qualification_name"),
        "after": _get(after, "qualification_name"),
    }
    return [
        f"{FIELD_LABELS[name].lower()} {_shown(name, old[name], names['before'])} → "
        f"{_shown(name, new[name], names['after'])}"
        for name in changed_fields(before, after)
    ]


def describe_wanted(before: Mapping[str, Any], changes: Mapping[str, str]) -> list[str]:
    """What a correction set out to change, as plain text."""
    return describe_changes(before, {**before, **changes, "qualification_name": None})


def _get(record: CourseRecord | Mapping[str, Any], name: str) -> str | None:
    value = getattr(record, name) if isinstance(record, CourseRecord) else record.get(name)
    return str(value) if value is not None else None
