"""The fields of a submission, declared once.

Each field's name is its CMS parameter, the modal's block (and action) id, the `Typed`
attribute and the log's column. Everything else that differs from field to field is here
too: how it is named to a person, its role (a date in the past, or ahead), the word that
introduces it after the command and as a command-line option, and the form's placeholder
and hint. The models, the form, the checks, the command-text parser, the command line and
the sandbox read this table; a new optional date field is a row here, a column in the
log's migrations (`bot.store`), and an attribute of the CMS models (`bot.cms.models`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["contact", "course", "qualification", "date"]
Role = Literal["past", "future"]


@dataclass(frozen=True)
class Field:
    #: The CMS parameter name (also block id, action id, `Typed` attribute, log column).
    name: str
    #: How the field is named to a person.
    label: str
    kind: Kind
    #: The word that introduces the field after the command and as an option of `record`
    #: (`--booked`), and other words taken for it after the command.
    word: str
    aliases: tuple[str, ...] = ()
    #: A date's role (dates.md): `past` (has normally happened) or `future` (ahead).
    role: Role | None = None
    required: bool = False
    placeholder: str = ""
    hint: str = ""

    @property
    def option(self) -> str:
        """The command-line option of `record` and `correct`: `--booked`."""
        return f"--{self.word}"


_DAY_FIRST = "Dates are read day first: 03/04/2025 is 3 April."

ALL: tuple[Field, ...] = (
    Field(
        "contact_id",
        "Contact",
        "contact",
        "contact",
        required=True,
        placeholder="Type a name or a contact number",
        hint="Search the CMS by name, or type the contact's number.",
    ),
    Field(
        "course_id",
        "Course",
        "course",
        "course",
        required=True,
        placeholder="Choose a course",
        hint="Type part of the name (e.g. foundations) or the course number.",
    ),
    Field(
        "qualification_id",
        "Qualification",
        "qualification",
        "qualification",
        aliases=("qual",),
        placeholder="Choose a qualification",
        hint="Only if the course leads to a qualification.",
    ),
    Field(
        "booked_at",
        "Booked",
        "date",
        "booked",
        role="past",
        placeholder="e.g. 12/03/2025, last Tuesday, 3 weeks ago",
        hint=_DAY_FIRST,
    ),
    Field(
        "attended_at",
        "Attended",
        "date",
        "attended",
        role="past",
        placeholder="e.g. yesterday, 3rd April, last Friday",
        hint=_DAY_FIRST,
    ),
    Field(
        "completed_at",
        "Completed",
        "date",
        "completed",
        role="past",
        placeholder="e.g. today, 3rd April 2025, 2 days ago",
        hint=_DAY_FIRST,
    ),
    Field(
        "expires_at",
        "Expires",
        "date",
        "expires",
        aliases=("expiry", "expiring", "expire"),
        role="future",
        placeholder="e.g. 3 years (after completion), 31/03/2028, in 3 years",
        hint="A length such as 3 years counts from the completion date; in 3 years counts "
        "from today; never means no expiry. Left blank, it is filled in from the course's "
        "renewal period, if it has one.",
    ),
)

#: Every field by name.
BY_NAME: dict[str, Field] = {f.name: f for f in ALL}
#: Every field a person fills in, in the form's order.
FIELDS: tuple[str, ...] = tuple(f.name for f in ALL)
#: The id fields (searchable selects in the form).
ID_FIELDS: tuple[str, ...] = tuple(f.name for f in ALL if f.kind != "date")
#: The date fields (text inputs read by `bot.dates`), in order.
DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in ALL if f.kind == "date")
#: The date fields in the past role.
PAST_DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in ALL if f.role == "past")
#: How each field is named to a person.
FIELD_LABELS: dict[str, str] = {f.name: f.label for f in ALL}
#: Each date field's role.
FIELD_ROLES: dict[str, Role] = {f.name: f.role for f in ALL if f.role is not None}
#: The words after the command that introduce a date, and the field each fills.
DATE_WORDS: dict[str, str] = {
    word: f.name for f in ALL if f.kind == "date" for word in (f.word, *f.aliases)
}
