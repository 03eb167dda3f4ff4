"""Splitting the text after `/record-course` (`bot.slack.commandtext`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.commandtext import (
    DATE_WORDS,
    MAX_TEXT_LENGTH,
    CommandPrefill,
    parse_command_text,
)

CASES: list[tuple[str, dict[str, Any]]] = [
    ("", {}),
    ("   ", {}),
    ("1042", {"contact": "1042"}),
    ("#1042", {"contact": "1042"}),
    ("contact 1042", {"contact": "1042"}),
    ("Contact: 1042", {"contact": "1042"}),
    ("foundations", {"course": "foundations"}),
    ("Safeguarding Foundations", {"course": "Safeguarding Foundations"}),
    ("course 3", {"course": "3"}),
    ("course Safeguarding Foundations", {"course": "Safeguarding Foundations"}),
    (
        "1042 foundations completed yesterday expires 3 years",
        {
            "contact": "1042",
            "course": "foundations",
            "dates": {"completed_at": "yesterday", "expires_at": "3 years"},
        },
    ),
    (
        "contact 1042 course 3 booked 12/03/2025 attended last tuesday",
        {
            "contact": "1042",
            "course": "3",
            "dates": {"booked_at": "12/03/2025", "attended_at": "last tuesday"},
        },
    ),
    (
        "foundations 1042 completed 3rd April 2025",
        {"contact": "1042", "course": "foundations", "dates": {"completed_at": "3rd April 2025"}},
    ),
    ("foundations for 1042", {"contact": "1042", "course": "foundations"}),
    ("for contact 1042 leadership", {"contact": "1042", "course": "leadership"}),
    ("for 1042 leadership", {"contact": "1042", "course": "leadership"}),
    (
        "foundations completed yesterday for 1042 expires 3 years",
        {
            "contact": "1042",
            "course": "foundations",
            "dates": {"completed_at": "yesterday", "expires_at": "3 years"},
        },
    ),
    (
        "1042 foundations for 2048",
        {"contact": "1042", "course": "foundations", "leftover": "for 2048"},
    ),
    ("training for leaders", {"course": "training for leaders"}),
    ("level 2 safeguarding", {"course": "level 2 safeguarding"}),
    ("1042 level 2 safeguarding", {"contact": "1042", "course": "level 2 safeguarding"}),
    ("level 2 safeguarding 1042", {"contact": "1042", "course": "level 2 safeguarding"}),
    ("contact 1042 basic awareness", {"contact": "1042", "course": "basic awareness"}),
    ("contact Jane Smith", {"contact": "Jane Smith"}),
    ("qualification 7", {"qualification": "7"}),
    ("qual 7", {"qualification": "7"}),
    ("qualification Foundations certificate", {"qualification": "Foundations certificate"}),
    (
        "booked 1/2/25 attended 3.2.25 completed 2025-02-03 expires 31/03/2028",
        {
            "dates": {
                "booked_at": "1/2/25",
                "attended_at": "3.2.25",
                "completed_at": "2025-02-03",
                "expires_at": "31/03/2028",
            }
        },
    ),
    ("expiry in 3 years", {"dates": {"expires_at": "in 3 years"}}),
    ("expiring 3y", {"dates": {"expires_at": "3y"}}),
    ("EXPIRES +3 years", {"dates": {"expires_at": "+3 years"}}),
    ("completed on Monday", {"dates": {"completed_at": "Monday"}}),
    (
        "completed: yesterday, expires=3y",
        {"dates": {"completed_at": "yesterday", "expires_at": "3y"}},
    ),
    ("completed:yesterday", {"dates": {"completed_at": "yesterday"}}),
    (
        "1042, foundations, completed yesterday; expires 3 years.",
        {
            "contact": "1042",
            "course": "foundations",
            "dates": {"completed_at": "yesterday", "expires_at": "3 years."},
        },
    ),
    # what cannot be placed is kept, never guessed
    ("12/03/2025", {"leftover": "12/03/2025"}),
    ("1042 12/03/2025", {"contact": "1042", "leftover": "12/03/2025"}),
    ("completed", {"leftover": "completed"}),
    ("completed expires 3 years", {"dates": {"expires_at": "3 years"}, "leftover": "completed"}),
    (
        "completed yesterday completed today",
        {"dates": {"completed_at": "yesterday"}, "leftover": "completed today"},
    ),
    ("1042 2048", {"contact": "1042", "leftover": "2048"}),
    ("contact 1 contact 2", {"contact": "1", "leftover": "contact 2"}),
    ("course", {"leftover": "course"}),
    # a number among words is part of the name, as in "level 2 safeguarding"
    ("foundations 1042 leadership", {"course": "foundations 1042 leadership"}),
    ("12345678901", {"course": "12345678901"}),  # too long for an id: taken as text
    # Slack markup is never placed in a field
    ("<!channel>", {"leftover": "<!channel>"}),
    ("course <!channel>", {"leftover": "course <!channel>"}),
    (
        "1042 <https://evil|click> foundations",
        {"contact": "1042", "course": "foundations", "leftover": "<https://evil|click>"},
    ),
    ("contact <@U123> 1042", {"contact": "1042", "leftover": "<@U123>"}),
    # Unicode
    ("１０４２ Foundations", {"contact": "1042", "course": "Foundations"}),  # full-width digits
    ("1042\u00a0foundations", {"contact": "1042", "course": "foundations"}),  # no-break space
    ("1042 zero\u200bwidth", {"contact": "1042", "course": "zero width"}),
    ("١٠٤٢", {"course": "١٠٤٢"}),  # not ASCII digits: not an id
    ("Formation à la sécurité ✝", {"course": "Formation à la sécurité ✝"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(t)[:40] for t, _ in CASES])
def test_parse_command_text(text: str, expected: dict[str, Any]) -> None:
    prefill = parse_command_text(text)
    assert prefill == CommandPrefill(
        contact=expected.get("contact"),
        course=expected.get("course"),
        qualification=expected.get("qualification"),
        dates=expected.get("dates", {}),
        leftover=expected.get("leftover", ""),
    )


def test_ids_as_numbers() -> None:
    prefill = parse_command_text("contact 1042 course 3 qual 7")
    assert (prefill.contact_id, prefill.course_id, prefill.qualification_id) == (1042, 3, 7)
    named = parse_command_text("contact Jane course foundations")
    assert (named.contact_id, named.course_id, named.qualification_id) == (None, None, None)


def test_date_words_name_cms_fields() -> None:
    assert set(DATE_WORDS.values()) == {"booked_at", "attended_at", "completed_at", "expires_at"}


def test_dates_cannot_be_changed_afterwards() -> None:
    prefill = parse_command_text("completed yesterday")
    with pytest.raises(TypeError):
        prefill.dates["completed_at"] = "today"  # type: ignore[index]


def test_huge_text_is_capped() -> None:
    prefill = parse_command_text("completed " + "yesterday " * 10_000)
    assert len(prefill.dates["completed_at"]) <= MAX_TEXT_LENGTH


@given(st.text())
def test_never_raises_and_places_only_what_was_typed(text: str) -> None:
    prefill = parse_command_text(text)
    for value in [prefill.contact, prefill.course, prefill.qualification, *prefill.dates.values()]:
        assert value is None or (value and value == value.strip())
    assert set(prefill.dates) <= set(DATE_WORDS.values())
    for value in [prefill.contact, prefill.course, prefill.qualification]:
        assert value is None or ("<" not in value and ">" not in value)


@given(
    st.lists(
        st.sampled_from(
            [
                "1042",
                "contact",
                "course",
                "3",
                "foundations",
                "completed",
                "expires",
                "yesterday",
                "3 years",
                "booked",
                "on",
                "for",
                "<!channel>",
                "12/03/2025",
                ":",
                "qual",
                ",",
            ]
        ),
        max_size=30,
    )
)
def test_never_raises_on_jumbled_field_words(words: list[str]) -> None:
    prefill = parse_command_text(" ".join(words))
    assert prefill.contact is None or prefill.contact_id is not None or "contact" in words
