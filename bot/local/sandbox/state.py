"""The sandbox's data (courses, qualifications, contacts, records) and its validation rules.

Thread-safe, and kept in a JSON file when given one, so that it survives a restart.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.fields import DATE_FIELDS, PAST_DATE_FIELDS
from bot.local.sandbox import demo

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The fields of a related course record as the API shows it (the sandbox also keeps
#: `updated_at`, which `start_date` / `end_date` filter on).
RECORD_FIELDS = (
    "id",
    "contact_id",
    "course_id",
    "qualification_id",
    *DATE_FIELDS,
    "course_name",
    "qualification_name",
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _label(param: str) -> str:
    return param.replace("_", " ")


class SandboxState:
    """Everything the sandbox holds. Change it only through these methods."""

    def __init__(
        self,
        *,
        data_path: str | Path | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._lock = threading.RLock()
        self._now = now
        self.path = Path(data_path) if data_path is not None else None
        if self.path is not None and self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
        else:
            data = {
                "courses": demo.COURSES,
                "qualifications": demo.QUALIFICATIONS,
                "contacts": demo.CONTACTS,
                "records": demo.RECORDS,
            }
        data = copy.deepcopy(data)
        self.courses: dict[int, dict[str, Any]] = {c["id"]: c for c in data["courses"]}
        self.qualifications: dict[int, dict[str, Any]] = {
            q["id"]: q for q in data["qualifications"]
        }
        self.contacts: dict[int, dict[str, Any]] = {c["id"]: c for c in data["contacts"]}
        self._records: list[dict[str, Any]] = data["records"]
        self._save()

    # --- inspection --------------------------------------------------------------------------

    def records(self, contact_id: int | None = None) -> list[dict[str, Any]]:
        """Copies of the records held (of one contact), oldest first, with `updated_at`."""
        with self._lock:
            return [
                self._view(r) | {"updated_at": r["updated_at"]}
                for r in self._records
                if contact_id is None or r["contact_id"] == contact_id
            ]

    def records_updated(
        self, contact_id: int, start: dt.datetime | None, end: dt.datetime | None
    ) -> list[dict[str, Any]]:
        """A contact's records as the API shows them, last updated within [start, end)."""
        with self._lock:
            out = []
            for r in self._records:
                if r["contact_id"] != contact_id:
                    continue
                updated = dt.datetime.fromisoformat(r["updated_at"])
                if (start is None or updated >= start) and (end is None or updated < end):
                    out.append(self._view(r))
            return out

    def _view(self, record: Mapping[str, Any]) -> dict[str, Any]:
        course = self.courses.get(record["course_id"], {})
        qualification = self.qualifications.get(record["qualification_id"] or 0, {})
        view = {name: record.get(name) for name in RECORD_FIELDS}
        view["course_name"] = course.get("name", "")
        view["qualification_name"] = qualification.get("name")
        return view

    # --- changes -----------------------------------------------------------------------------

    def add_course(
        self,
        name: str,
        *,
        id: int | None = None,
        description: str | None = None,
        national_course_id: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            course: dict[str, Any] = {
                "id": id if id is not None else max(self.courses, default=0) + 1,
                "name": name,
                "description": description,
                "national_course_id": national_course_id,
            }
            self.courses[course["id"]] = course
            self._save()
            return dict(course)

    def add_qualification(
        self, name: str, course_id: int, *, id: int | None = None
    ) -> dict[str, Any]:
        with self._lock:
            if course_id not in self.courses:
                raise ValueError(f"no course {course_id}")
            qualification: dict[str, Any] = {
                "id": id if id is not None else max(self.qualifications, default=0) + 1,
                "name": name,
                "course_id": course_id,
            }
            self.qualifications[qualification["id"]] = qualification
            self._save()
            return dict(qualification)

    def add_contact(
        self,
        forenames: str,
        surname: str,
        *,
        id: int | None = None,
        title: str | None = None,
        known_as_forenames: str | None = None,
        parish: str | None = None,
        post: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            contact: dict[str, Any] = {
                "id": id if id is not None else max(self.contacts, default=0) + 1,
                "title": title,
                "forenames": forenames,
                "surname": surname,
                "known_as_forenames": known_as_forenames,
                "parish": parish,
                "post": post,
            }
            self.contacts[contact["id"]] = contact
            self._save()
            return dict(contact)

    def create_record(
        self, contact_id: int, params: Mapping[str, str]
    ) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
        """`(record, {})` when created, `(None, errors)` when the parameters are refused."""
        with self._lock:
            values, errors = self.validate_record(params)
            if errors:
                return None, errors
            record: dict[str, Any] = {
                "id": max((r["id"] for r in self._records), default=5000) + 1,
                "contact_id": contact_id,
                **values,
                "updated_at": self._now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            }
            self._records.append(record)
            self._save()
            return self._view(record), {}

    def update_record(
        self, contact_id: int, record_id: int, params: Mapping[str, str]
    ) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
        """`PUT`: `(record, {})` when corrected; `(None, {})` when the contact holds no
        record `record_id` (a record of another contact included); `(None, errors)` when
        refused. Only the parameters sent change; the whole resulting record is validated
        as a POST would be, and `course_id` is refused (a record's course cannot change)."""
        with self._lock:
            record = next(
                (
                    r
                    for r in self._records
                    if r["id"] == record_id and r["contact_id"] == contact_id
                ),
                None,
            )
            if record is None:
                return None, {}
            if "course_id" in params:
                return None, {"course_id": ["The course id of a record cannot be changed."]}
            merged = {
                name: str(record[name])
                for name in ("course_id", "qualification_id", *DATE_FIELDS)
                if record.get(name) is not None
            }
            merged.update(
                {
                    name: params[name]
                    for name in ("qualification_id", *DATE_FIELDS)
                    if params.get(name)
                }
            )
            values, errors = self.validate_record(merged)
            if errors:
                return None, errors
            record.update(values)
            record["updated_at"] = self._now().astimezone(dt.UTC).isoformat(timespec="seconds")
            self._save()
            return self._view(record), {}

    # --- validation (what we believe the real CMS checks) -------------------------------------

    def validate_record(
        self, params: Mapping[str, str]
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}

        def refuse(param: str, message: str) -> None:
            errors.setdefault(param, []).append(message)

        course_id = self._id_param(params, "course_id", refuse, required=True)
        if course_id is not None and course_id not in self.courses:
            refuse("course_id", "The selected course id is invalid.")
        qualification_id = self._id_param(params, "qualification_id", refuse)
        if qualification_id is not None:
            qualification = self.qualifications.get(qualification_id)
            if qualification is None:
                refuse("qualification_id", "The selected qualification id is invalid.")
            elif course_id in self.courses and qualification["course_id"] != course_id:
                refuse(
                    "qualification_id",
                    "The selected qualification id does not belong to the selected course.",
                )
        values["course_id"] = course_id
        values["qualification_id"] = qualification_id

        days: dict[str, dt.date] = {}
        for name in DATE_FIELDS:
            text = params.get(name, "")
            values[name] = None
            if not text:
                continue
            try:
                if not _DAY.fullmatch(text):
                    raise ValueError(text)
                days[name] = dt.date.fromisoformat(text)
            except ValueError:
                refuse(name, f"The {_label(name)} is not a valid date (YYYY-MM-DD).")
                continue
            values[name] = text

        for earlier, later in itertools.combinations(PAST_DATE_FIELDS, 2):
            if earlier in days and later in days and days[earlier] > days[later]:
                refuse(
                    earlier,
                    f"The {_label(earlier)} must be a date before or equal to {_label(later)}.",
                )
        done = "completed_at" if "completed_at" in days else "attended_at"
        if "expires_at" in days and done in days and days["expires_at"] <= days[done]:
            refuse("expires_at", f"The expires at must be a date after {_label(done)}.")
        return values, errors

    @staticmethod
    def _id_param(
        params: Mapping[str, str],
        name: str,
        refuse: Callable[[str, str], None],
        *,
        required: bool = False,
    ) -> int | None:
        text = params.get(name, "")
        if not text:
            if required:
                refuse(name, f"The {_label(name)} field is required.")
            return None
        if not text.isascii() or not text.isdigit():
            refuse(name, f"The {_label(name)} must be an integer.")
            return None
        return int(text)

    # --- persistence -------------------------------------------------------------------------

    def _save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            data = {
                "courses": list(self.courses.values()),
                "qualifications": list(self.qualifications.values()),
                "contacts": list(self.contacts.values()),
                "records": self._records,
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=2)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
