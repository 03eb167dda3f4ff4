"""Typed shapes of what the CMS API sends and receives (see `shared/cms-api.md`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, PositiveInt

from bot.fields import DATE_FIELDS

__all__ = [
    "CORRECTABLE_FIELDS",
    "DATE_FIELDS",
    "Contact",
    "Course",
    "CourseRecord",
    "CourseRecordChanges",
    "NewCourseRecord",
]


class CourseRecord(BaseModel):
    """A related course record: one course taken by one contact."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    contact_id: int
    course_id: int
    qualification_id: int | None = None
    booked_at: dt.date | None = None
    attended_at: dt.date | None = None
    completed_at: dt.date | None = None
    expires_at: dt.date | None = None
    course_name: str
    qualification_name: str | None = None


class Course(BaseModel):
    """One of the diocese's courses."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    name: str
    description: str | None = None
    national_course_id: int | None = None


class Contact(BaseModel):
    """A contact as the search returns it (flat; only the fields we ask for)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    forenames: str | None = None
    surname: str | None = None
    known_as_forenames: str | None = None
    title: str | None = None
    #: (our choice) where the CMS gives them: the contact's parish and the post they hold.
    parish: str | None = None
    post: str | None = None

    @property
    def display_name(self) -> str:
        first = self.known_as_forenames or self.forenames or ""
        name = " ".join(part for part in (first, self.surname or "") if part)
        return name or f"Contact {self.id}"


class _Parameters(BaseModel):
    """Request parameters of a write, beside `api_id`, `data` and `sig`."""

    model_config = ConfigDict(frozen=True)

    def params(self) -> dict[str, str]:
        """The request parameters that have a value, as they are sent (dates `YYYY-MM-DD`)."""
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is not None:
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


class NewCourseRecord(_Parameters):
    """The parameters of `POST /v2/contacts/{id}/courses`."""

    course_id: PositiveInt
    qualification_id: PositiveInt | None = None
    booked_at: dt.date | None = None
    attended_at: dt.date | None = None
    completed_at: dt.date | None = None
    expires_at: dt.date | None = None

    def matches(self, record: CourseRecord) -> bool:
        """True when `record` holds exactly this course, qualification and dates."""
        return all(getattr(record, name) == value for name, value in self.model_dump().items())


#: The fields a correction may change (a record's course cannot be changed).
CORRECTABLE_FIELDS: tuple[str, ...] = ("qualification_id", *DATE_FIELDS)


class CourseRecordChanges(_Parameters):
    """The parameters of `PUT /v2/contacts/{contact_id}/courses/{id}`: only those given
    change, none is cleared (cms-api.md, our choice); there is no `course_id`."""

    qualification_id: PositiveInt | None = None
    booked_at: dt.date | None = None
    attended_at: dt.date | None = None
    completed_at: dt.date | None = None
    expires_at: dt.date | None = None

    def held_by(self, record: CourseRecord) -> bool:
        """True when `record` already holds every value given here."""
        return all(
            getattr(record, name) == value
            for name, value in self.model_dump().items()
            if value is not None
        )

    def __bool__(self) -> bool:
        return any(value is not None for value in self.model_dump().values())
