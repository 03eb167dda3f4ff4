"""Block Kit builders (`bot.slack.views`): exact structure, Slack's limits, purity."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError

from bot.slack.views import (
    ACTION_IDS,
    BLOCK_IDS,
    CALLBACK_ID,
    DATE_BLOCKS,
    DATE_MAX_LENGTH,
    DUPLICATE_CALLBACK_ID,
    MAX_OPTIONS,
    OPTION_LABEL_MAX,
    SELECT_BLOCKS,
    busy_modal,
    duplicate_modal,
    error_modal,
    option,
    options_response,
    record_modal,
)

METADATA = json.dumps({"channel_id": "C0TRAINING"})


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_block_ids_are_the_cms_parameter_names() -> None:
    assert BLOCK_IDS == (
        "contact_id",
        "course_id",
        "qualification_id",
        "booked_at",
        "attended_at",
        "completed_at",
        "expires_at",
    )
    assert SELECT_BLOCKS == ("contact_id", "course_id", "qualification_id")
    assert DATE_BLOCKS == ("booked_at", "attended_at", "completed_at", "expires_at")
    assert dict(ACTION_IDS) == {b: b for b in BLOCK_IDS}


def test_record_modal_shape() -> None:
    view = record_modal(private_metadata=METADATA)
    assert view["type"] == "modal"
    assert view["callback_id"] == CALLBACK_ID == "record_course"
    assert view["private_metadata"] == METADATA
    assert view["title"] == {"type": "plain_text", "text": "Record a course"}
    assert view["submit"] == {"type": "plain_text", "text": "Record"}
    assert view["close"] == {"type": "plain_text", "text": "Cancel"}
    assert [b["block_id"] for b in view["blocks"]] == list(BLOCK_IDS)
    assert all(b["type"] == "input" for b in view["blocks"])


def test_record_modal_selects() -> None:
    blocks = inputs(record_modal(private_metadata=METADATA))
    contact, course, qualification = (blocks[b] for b in SELECT_BLOCKS)
    assert contact == {
        "type": "input",
        "block_id": "contact_id",
        "label": {"type": "plain_text", "text": "Contact"},
        "hint": {
            "type": "plain_text",
            "text": "Search the CMS by name, or type the contact's number.",
        },
        "optional": False,
        "dispatch_action": True,  # the contact card appears when someone is chosen
        "element": {
            "type": "external_select",
            "action_id": "contact_id",
            "placeholder": {"type": "plain_text", "text": "Type a name or a contact number"},
            "min_query_length": 1,
        },
    }
    assert course["optional"] is False
    assert course["element"]["type"] == "external_select"
    assert course["element"]["action_id"] == "course_id"
    assert course["element"]["min_query_length"] == 0
    assert course["label"]["text"] == "Course"
    assert qualification["optional"] is True
    assert qualification["element"]["type"] == "external_select"
    assert qualification["element"]["action_id"] == "qualification_id"


def test_record_modal_dates() -> None:
    blocks = inputs(record_modal(private_metadata=METADATA))
    booked = blocks["booked_at"]
    assert booked == {
        "type": "input",
        "block_id": "booked_at",
        "label": {"type": "plain_text", "text": "Booked"},
        "hint": {"type": "plain_text", "text": "Dates are read day first: 03/04/2025 is 3 April."},
        "optional": True,
        "dispatch_action": True,  # the reading appears under the field as the person types
        "element": {
            "type": "plain_text_input",
            "action_id": "booked_at",
            "placeholder": {
                "type": "plain_text",
                "text": "e.g. 12/03/2025, last Tuesday, 3 weeks ago",
            },
            "max_length": DATE_MAX_LENGTH,
            "dispatch_action_config": {
                "trigger_actions_on": ["on_enter_pressed", "on_character_entered"]
            },
        },
    }
    expires = blocks["expires_at"]
    assert expires["element"]["placeholder"]["text"] == (
        "e.g. 3 years (after completion), 31/03/2028, in 3 years"
    )
    assert "completion date" in expires["hint"]["text"]
    for block_id in DATE_BLOCKS:
        block = blocks[block_id]
        assert block["optional"] is True
        assert block["element"]["type"] == "plain_text_input"
        assert block["element"]["action_id"] == block_id
        assert block["element"]["max_length"] == 100
        assert "initial_value" not in block["element"]
    labels = [blocks[b]["label"]["text"] for b in DATE_BLOCKS]
    assert labels == ["Booked", "Attended", "Completed", "Expires"]


def test_record_modal_prefilled() -> None:
    view = record_modal(
        private_metadata=METADATA,
        initial={"completed_at": "yesterday", "expires_at": "3 years", "contact_id": "ignored"},
        contact_option=("Jane Smith (St Mary's, Anytown)", "1042"),
        course_option=("Safeguarding Foundations", "3"),
        qualification_option=("Foundations certificate", "7"),
    )
    blocks = inputs(view)
    assert blocks["contact_id"]["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Jane Smith (St Mary's, Anytown)", "emoji": True},
        "value": "1042",
    }
    assert blocks["course_id"]["element"]["initial_option"]["value"] == "3"
    assert blocks["qualification_id"]["element"]["initial_option"]["value"] == "7"
    assert blocks["completed_at"]["element"]["initial_value"] == "yesterday"
    assert blocks["expires_at"]["element"]["initial_value"] == "3 years"
    assert "initial_value" not in blocks["booked_at"]["element"]


def test_record_modal_note() -> None:
    view = record_modal(private_metadata=METADATA, note="Reopened: the CMS refused it.")
    assert view["blocks"][0] == {
        "type": "context",
        "elements": [{"type": "plain_text", "text": "Reopened: the CMS refused it."}],
    }
    assert [b["block_id"] for b in view["blocks"][1:]] == list(BLOCK_IDS)


def test_private_metadata_up_to_3000_characters() -> None:
    assert len(record_modal(private_metadata="x" * 3000)["private_metadata"]) == 3000
    with pytest.raises(SlackObjectFormationError, match="private_metadata"):
        record_modal(private_metadata="x" * 3001)


def test_long_and_hostile_texts_are_cut_to_slacks_limits() -> None:
    hostile = "<!channel> " + "x" * 200
    view = record_modal(
        private_metadata=METADATA,
        title="A title much longer than twenty-four characters",
        initial={"completed_at": "y" * 500},
        contact_option=(hostile, "1042"),
        note="n" * 5000,
    )
    assert len(view["title"]["text"]) == 24
    assert view["title"]["text"].endswith("…")
    blocks = inputs(view)
    label = blocks["contact_id"]["element"]["initial_option"]["text"]["text"]
    assert len(label) == OPTION_LABEL_MAX
    assert label.startswith("<!channel>")  # plain_text: shown as typed, never parsed
    assert len(blocks["completed_at"]["element"]["initial_value"]) == DATE_MAX_LENGTH
    assert len(view["blocks"][0]["elements"][0]["text"]) == 3000


def test_option() -> None:
    assert option("Jane Smith", "1042") == {
        "text": {"type": "plain_text", "text": "Jane Smith", "emoji": True},
        "value": "1042",
    }
    long = option("L" * 200, "1")
    assert len(long["text"]["text"]) == 75
    assert long["text"]["text"].endswith("…")
    assert option("", "1042")["text"]["text"] == "1042"
    assert option("<https://evil|click>", "1")["text"] == {
        "type": "plain_text",
        "text": "<https://evil|click>",
        "emoji": True,
    }


def test_option_values_are_never_cut() -> None:
    with pytest.raises(SlackObjectFormationError):
        option("x", "9" * 151)


def test_options_response() -> None:
    assert options_response([("Jane Smith", "1042"), option("Basic Awareness", "1")]) == {
        "options": [option("Jane Smith", "1042"), option("Basic Awareness", "1")]
    }
    many = options_response((f"Course {n}", str(n)) for n in range(250))
    assert len(many["options"]) == MAX_OPTIONS
    assert many["options"][-1]["value"] == "99"
    assert options_response([]) == {"options": []}


def test_busy_and_error_modals_escape_their_text() -> None:
    busy = busy_modal("Looking up <!channel> & friends…")
    assert busy == {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Record a course"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Looking up &lt;!channel&gt; &amp; friends…"},
            }
        ],
    }
    error = error_modal("Something went wrong, sorry about that", "<@U1> " + "e" * 4000)
    assert error["title"]["text"] == "Something went wrong, s…"
    text = error["blocks"][0]["text"]["text"]
    assert text.startswith("&lt;@U1&gt; ")
    assert len(text) == 3000
    assert "submit" not in error
    assert "callback_id" not in error


def test_duplicate_modal() -> None:
    view = duplicate_modal(private_metadata=METADATA, earlier="It was recorded at 10:02 <x>.")
    assert view["callback_id"] == DUPLICATE_CALLBACK_ID == "record_course_duplicate"
    assert view["private_metadata"] == METADATA
    assert view["submit"]["text"] == "Record again"
    assert view["close"]["text"] == "Back"
    [section] = view["blocks"]
    assert "It was recorded at 10:02 &lt;x&gt;." in section["text"]["text"]


def test_builders_are_pure() -> None:
    kwargs: dict[str, Any] = {
        "private_metadata": METADATA,
        "initial": {"booked_at": "last tuesday"},
        "course_option": ("Safeguarding Leadership", "5"),
    }
    first = record_modal(**kwargs)
    first["blocks"].clear()
    assert record_modal(**kwargs) == record_modal(**kwargs)
    assert len(record_modal(**kwargs)["blocks"]) == len(BLOCK_IDS)
    assert busy_modal("x") == busy_modal("x")
    assert kwargs["initial"] == {"booked_at": "last tuesday"}


@given(
    label=st.text(),
    initial=st.dictionaries(st.sampled_from(DATE_BLOCKS), st.text()),
    metadata=st.text(max_size=3000),
)
def test_record_modal_always_builds_within_limits(
    label: str, initial: dict[str, str], metadata: str
) -> None:
    view = record_modal(
        private_metadata=metadata,
        initial=initial,
        contact_option=(label, "1042"),
        course_option=(label, "3"),
        title=label or "Record a course",
    )
    assert [b["block_id"] for b in view["blocks"]] == list(BLOCK_IDS)
    json.dumps(view)
