"""The sandbox's demo diocese: made-up people, the real safeguarding course names.

Every id here is fixed so that documentation, tests and people can rely on it. None of these
people exist.
"""

from __future__ import annotations

from typing import Any

#: Demo credentials. NOT SECRET: they are printed by `python -m bot sandbox` and only ever
#: open the local sandbox, never a real CMS.
SANDBOX_API_ID = "sandbox"
SANDBOX_SECRET_KEY = "sandbox-secret-not-for-production"  # noqa: S105 (a published demo value)
SANDBOX_DIOCESE_ID = 7

#: The four safeguarding courses, by id.
BASIC_AWARENESS = 1
FOUNDATIONS = 2
LEADERSHIP = 3
SENIOR_LEADERSHIP = 4

COURSES: list[dict[str, Any]] = [
    {
        "id": BASIC_AWARENESS,
        "name": "Safeguarding Basic Awareness",
        "description": "The online introduction for everyone who holds a role in a parish.",
        "national_course_id": 101,
    },
    {
        "id": FOUNDATIONS,
        "name": "Safeguarding Foundations",
        "description": "For everyone with contact with children, young people or vulnerable "
        "adults.",
        "national_course_id": 102,
    },
    {
        "id": LEADERSHIP,
        "name": "Safeguarding Leadership",
        "description": "For clergy, Readers, churchwardens and parish safeguarding officers.",
        "national_course_id": 103,
    },
    {
        "id": SENIOR_LEADERSHIP,
        "name": "Safeguarding Senior Leadership",
        "description": "For bishops, archdeacons and senior diocesan staff.",
        "national_course_id": 104,
    },
    {
        "id": 5,
        "name": "Reader Ministry",
        "description": "Initial training for licensed lay ministers (Readers).",
        "national_course_id": None,
    },
    {
        "id": 6,
        "name": "First Aid at Work",
        "description": "The three-day HSE-approved course.",
        "national_course_id": None,
    },
    {
        "id": 7,
        "name": "Parish Administration",
        "description": "Records, data protection and the parish office.",
        "national_course_id": None,
    },
    {
        "id": 8,
        "name": "Safer Recruitment and People Management",
        "description": "Recruiting and supporting volunteers safely.",
        "national_course_id": 105,
    },
]

#: Qualifications, each tied to one course (the CMS has no endpoint that lists them).
QUALIFICATIONS: list[dict[str, Any]] = [
    {"id": 21, "name": "Safeguarding Basic Awareness certificate", "course_id": 1},
    {"id": 22, "name": "Safeguarding Foundations certificate", "course_id": 2},
    {"id": 23, "name": "Safeguarding Leadership certificate", "course_id": 3},
    {"id": 24, "name": "Safeguarding Senior Leadership certificate", "course_id": 4},
    {"id": 25, "name": "Licensed Lay Minister (Reader)", "course_id": 5},
    {"id": 26, "name": "First Aid at Work certificate", "course_id": 6},
    {"id": 27, "name": "Safer Recruitment certificate", "course_id": 8},
]


def _contact(
    id: int,
    title: str | None,
    forenames: str,
    surname: str,
    known_as: str | None = None,
    parish: str | None = None,
    post: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "title": title,
        "forenames": forenames,
        "surname": surname,
        "known_as_forenames": known_as,
        "parish": parish,
        "post": post,
    }


ASHBY = "St Mary the Virgin, Little Ashby"
THORNBURY = "St Peter, Thornbury"
WELLBROOK = "All Saints, Wellbrook"

#: A dozen contacts; 1010 and 1011 hold no post, so the v2.4 search does not return them,
#: but they can still be addressed by id.
CONTACTS: list[dict[str, Any]] = [
    _contact(1001, "The Revd", "Margaret Anne", "Holloway", "Maggie", ASHBY, "Vicar"),
    _contact(1002, "Mr", "David John", "Pritchard", None, THORNBURY, "Churchwarden"),
    _contact(1003, "Mrs", "Susan", "Okafor", None, THORNBURY, "Parish Safeguarding Officer"),
    _contact(
        1004,
        "Dr",
        "Eleanor Rose",
        "Whitfield",
        "Nell",
        "Holy Trinity, Market Harborough",
        "Reader",
    ),
    _contact(1005, "Mr", "Thomas Edward", "Hughes", "Tom", WELLBROOK, "Treasurer"),
    _contact(
        1006, "Ms", "Priya", "Sharma", None, "St John the Baptist, Eastfield", "Children's Worker"
    ),
    _contact(1007, "Mr", "Gareth Owen", "Llewellyn", None, WELLBROOK, "Organist"),
    _contact(
        1008,
        "Mrs",
        "Catherine Mary",
        "Fitzgerald",
        "Kate",
        "Diocesan Office",
        "Diocesan Safeguarding Adviser",
    ),
    _contact(
        1009,
        "The Revd Canon",
        "Jonathan Mark",
        "Ashworth",
        None,
        "Cathedral",
        "Canon Precentor",
    ),
    _contact(1010, "Miss", "Hannah Louise", "Brennan", None),
    _contact(1011, "Mr", "Robert William", "Fairclough", "Bob"),
    _contact(1042, "Mrs", "Joan Patricia", "Ellison", None, ASHBY, "Tower Captain"),
]

#: A few records already held, so that lists and duplicate checks have something to find.
RECORDS: list[dict[str, Any]] = [
    {
        "id": 5001,
        "contact_id": 1001,
        "course_id": FOUNDATIONS,
        "qualification_id": 22,
        "booked_at": "2022-04-01",
        "attended_at": "2022-05-10",
        "completed_at": "2022-05-10",
        "expires_at": "2025-05-10",
        "updated_at": "2022-05-11T09:30:00+00:00",
    },
    {
        "id": 5002,
        "contact_id": 1001,
        "course_id": LEADERSHIP,
        "qualification_id": 23,
        "booked_at": "2023-01-09",
        "attended_at": "2023-02-14",
        "completed_at": "2023-02-14",
        "expires_at": "2026-02-14",
        "updated_at": "2023-02-15T10:00:00+00:00",
    },
    {
        "id": 5003,
        "contact_id": 1003,
        "course_id": BASIC_AWARENESS,
        "qualification_id": None,
        "booked_at": None,
        "attended_at": None,
        "completed_at": "2024-09-20",
        "expires_at": "2027-09-20",
        "updated_at": "2024-09-20T16:45:00+00:00",
    },
]
