"""What the log holds, as typed values: submissions, batches, corrections, and how each
becomes a row and back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class State(StrEnum):
    """Where a submission is in its life."""

    PENDING = "pending"  # stored, not yet sent (or waiting to be retried)
    SENDING = "sending"  # a POST may be on its way: reconcile before sending again
    RECORDED = "recorded"  # the CMS created the record
    REJECTED = "rejected"  # the CMS answered 400
    NOT_FOUND = "not_found"  # the CMS answered 404
    FAILED = "failed"  # could not be completed; can be retried

    @property
    def final(self) -> bool:
        return self not in (State.PENDING, State.SENDING)


class Submission(BaseModel):
    """One row of the log, typed."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: State
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    message_ts: str | None = None
    contact_id: int
    course_id: int
    qualification_id: int | None = None
    booked_at: dt.date | None = None
    attended_at: dt.date | None = None
    completed_at: dt.date | None = None
    expires_at: dt.date | None = None
    typed: dict[str, str]
    assumed: list[str]
    notes: dict[str, str]
    sent: dict[str, str] | None = None
    cms_status: int | None = None
    cms_body: Any = None
    record_id: int | None = None
    course_name: str | None = None
    qualification_name: str | None = None
    errors: dict[str, list[str]] | None = None
    reason: str | None = None
    attempts: int = 0
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    cms_ms: float | None = None
    batch_id: int | None = None
    #: Fields the bot filled in, each with how: {"expires_at": "3 years"} (a renewal period).
    filled: dict[str, str] = {}
    #: Who is sending it now (`Holder.token`), and until when the lease holds.
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None
    #: The contact's name as last seen (the contact book, a session's match, the CMS).
    contact_name: str | None = None


class BatchState(StrEnum):
    """Where a batch (many contacts, one course) is in its life."""

    MATCHING = "matching"  # the pasted names are being looked up
    CONFIRMING = "confirming"  # the person is checking the matches
    RECORDING = "recording"  # its submissions are in the core
    DONE = "done"  # every submission is final
    ABANDONED = "abandoned"  # closed without confirming


class Batch(BaseModel):
    """One bulk recording: the common fields, the people, and how the names were matched."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: BatchState
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    view_id: str | None = None
    message_ts: str | None = None
    typed: dict[str, str]
    attendance: list[str] = []
    picked: list[int] = []
    matches: list[dict[str, Any]] = []
    contact_ids: list[int] = []
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime


_JSON_COLUMNS = (
    "typed",
    "assumed",
    "notes",
    "sent",
    "cms_body",
    "errors",
    "attendance",
    "picked",
    "matches",
    "contact_ids",
    "filled",
)


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def to_row(values: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in values.items():
        if name in _JSON_COLUMNS:
            row[name] = None if value is None else json.dumps(value, default=str)
        elif isinstance(value, dt.datetime):
            row[name] = utc_text(value)
        elif isinstance(value, dt.date):
            row[name] = value.isoformat()
        elif isinstance(value, StrEnum):
            row[name] = value.value
        else:
            row[name] = value
    return row


def decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if v is not None or k not in _JSON_COLUMNS}
    for name in _JSON_COLUMNS:
        if values.get(name) is not None:
            values[name] = json.loads(values[name])
    values["reported"] = bool(values.get("reported"))
    return values


def from_row(row: Mapping[str, Any]) -> Submission:
    return Submission.model_validate(decoded(row))


# Each migration runs once, in order, and is recorded in `_migrations`; each is also written
# so that running it again changes nothing (sqlite-utils' create/if_not_exists pattern).


class CorrectionState(StrEnum):
    """Where a correction (a PUT of an existing CMS record) is in its life."""

    PENDING = "pending"  # stored, not yet sent (or waiting to be retried)
    SENDING = "sending"  # a PUT may be on its way: the record is read before sending again
    CORRECTED = "corrected"  # the CMS holds the corrected values
    UNCHANGED = "unchanged"  # the form changed nothing: nothing was sent
    CONFLICT = "conflict"  # someone changed the record since the form opened: not sent
    REJECTED = "rejected"  # the CMS answered 400
    NOT_FOUND = "not_found"  # the CMS has no such record (or contact)
    FAILED = "failed"  # could not be completed

    @property
    def final(self) -> bool:
        return self not in (CorrectionState.PENDING, CorrectionState.SENDING)


class Correction(BaseModel):
    """One row of the `corrections` table, typed: who corrected which CMS record, the
    record as it was when the form opened (`before`), what was to change (`changes`, the PUT's
    parameters), and the record as the CMS then held it (`after`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: CorrectionState
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    #: The thread the correction is told in (the original submission's).
    thread_ts: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    #: The submission that made the record, when the bot made it.
    submission_id: int | None = None
    record_id: int
    contact_id: int
    course_id: int | None = None
    course_name: str | None = None
    before: dict[str, Any]
    changes: dict[str, str]
    typed: dict[str, str] = {}
    notes: dict[str, str] = {}
    after: dict[str, Any] | None = None
    #: The record as found just before sending, when someone else had changed it.
    meanwhile: dict[str, Any] | None = None
    sent: dict[str, str] | None = None
    cms_status: int | None = None
    cms_body: Any = None
    errors: dict[str, list[str]] | None = None
    reason: str | None = None
    attempts: int = 0
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


_CORRECTION_JSON = (
    "before",
    "changes",
    "typed",
    "notes",
    "after",
    "meanwhile",
    "sent",
    "cms_body",
    "errors",
)
#: The columns of a submission a correction changes (the CMS's record as it now is).
CORRECTED_COLUMNS = (
    "qualification_id",
    "booked_at",
    "attended_at",
    "completed_at",
    "expires_at",
    "qualification_name",
)


def correction_row(values: Mapping[str, Any]) -> dict[str, Any]:
    row = to_row({k: v for k, v in values.items() if k not in _CORRECTION_JSON})
    for name in _CORRECTION_JSON:
        if name in values:
            value = values[name]
            row[name] = None if value is None else json.dumps(value, default=str)
    return row


def correction_from_row(row: Mapping[str, Any]) -> Correction:
    values = {k: v for k, v in row.items() if v is not None}
    for name in _CORRECTION_JSON:
        if values.get(name) is not None:
            values[name] = json.loads(values[name])
    values["reported"] = bool(values.get("reported"))
    return Correction.model_validate(values)
