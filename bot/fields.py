"""The fields of a submission: CMS parameter names, which are also the modal's block ids."""

from __future__ import annotations

from bot.cms.models import DATE_FIELDS

#: Every field a person fills in, in the modal's order.
FIELDS = ("contact_id", "course_id", "qualification_id", *DATE_FIELDS)

#: How each field is named to a person.
FIELD_LABELS = {
    "contact_id": "Contact",
    "course_id": "Course",
    "qualification_id": "Qualification",
    "booked_at": "Booked",
    "attended_at": "Attended",
    "completed_at": "Completed",
    "expires_at": "Expires",
}
