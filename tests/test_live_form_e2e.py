"""End to end over HTTP (issue 14): the form answers back, with the Slack stand-in (which
keeps input state across `views.update`) and the CMS sandbox behind the real app."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.dates._calendar import full_date
from bot.local.sandbox import CMSSandbox
from bot.local.sandbox.demo import BASIC_AWARENESS
from bot.local.slack_requests import API_APP_ID, team_json, user_json
from bot.slack.live_form import note_block_id
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


def dispatch(app: LiveApp, view_id: str, block_id: str, value: Any) -> dict[str, Any]:
    """The person types `value` into `block_id` and pauses: Slack sends the action."""
    view = app.slack.type_into(view_id, {block_id: value})
    action: dict[str, Any] = {
        "action_id": block_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    state = view["state"]["values"][block_id][block_id]
    if "value" in state:
        action.update(type="plain_text_input", value=state["value"])
    else:
        action.update(type="external_select", selected_option=state["selected_option"])
    payload = {
        "type": "block_actions",
        "user": user_json(),
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": app.slack.new_trigger_id(),
        "team": team_json(),
        "container": {"type": "view", "view_id": view_id},
        "view": view,
        "actions": [action],
    }
    started = time.monotonic()
    answer = app.harness.send_payload(payload)
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - started < 1.0
    return view


def note(view: dict[str, Any], block_id: str) -> str | None:
    for block in view["blocks"]:
        if block.get("block_id") == note_block_id(block_id):
            return str(block["elements"][0]["text"])
    return None


def wait_note(app: LiveApp, view_id: str, block_id: str, contains: str) -> dict[str, Any]:
    def shown() -> dict[str, Any] | None:
        view = app.slack.view(view_id)
        text = note(view, block_id)
        return view if text and contains in text else None

    return wait_until(shown, timeout=10, what=f"a note under {block_id} with {contains!r}")


def test_a_reading_appears_under_each_date_field_and_typed_values_survive(app: LiveApp) -> None:
    view = app.open_form()
    view_id = view["id"]
    today = app.recorder.today()
    typed = {
        "booked_at": "3 weeks ago",
        "attended_at": "yesterday",
        "completed_at": "yesterday",
        "expires_at": "3 years",
    }
    for block_id, text in typed.items():
        dispatch(app, view_id, block_id, text)
        wait_note(app, view_id, block_id, "✓")
    shown = app.slack.view(view_id)
    yesterday = today - dt.timedelta(days=1)
    assert full_date(yesterday) in (note(shown, "attended_at") or "")
    expiry = note(shown, "expires_at") or ""
    assert "3 years after completion" in expiry
    # every typed value survived every update; input ids never changed
    values = shown["state"]["values"]
    assert {b: values[b][b]["value"] for b in typed} == typed
    assert [b["block_id"] for b in shown["blocks"] if b["type"] == "input"] == [
        b["block_id"] for b in view["blocks"] if b["type"] == "input"
    ]
    assert shown["private_metadata"] == view["private_metadata"]
    assert shown["callback_id"] == view["callback_id"]


def test_a_refusal_and_a_between_field_problem_show_as_they_appear(app: LiveApp) -> None:
    view_id = app.open_form()["id"]
    dispatch(app, view_id, "booked_at", "the day after the thing")
    wait_note(app, view_id, "booked_at", "⚠️")
    dispatch(app, view_id, "completed_at", "3 weeks ago")
    dispatch(app, view_id, "attended_at", "yesterday")
    text = note(wait_note(app, view_id, "completed_at", "before"), "completed_at")
    assert text is not None
    assert "check both dates" in text


def test_the_contact_card_names_the_person_and_lists_their_records(app: LiveApp) -> None:
    view_id = app.open_form()["id"]
    dispatch(app, view_id, "contact_id", ("Contact #1003", "1003"))
    shown = wait_note(app, view_id, "contact_id", "Okafor")
    text = note(shown, "contact_id") or ""
    assert "Parish Safeguarding Officer" in text
    assert "Safeguarding Basic Awareness" in text
    assert "20 September 2024" in text


def test_an_unknown_contact_number_is_refused_before_sending(app: LiveApp) -> None:
    view = app.open_form()
    answer = app.harness.view_submission(
        view, {"contact_id": ("Contact #999999", "999999"), "course_id": ("x", "1")}
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert "999999" in body["errors"]["contact_id"]
    assert app.store.recent(5) == []
    assert app.sandbox.state.records(999999) == []


def test_an_existing_cms_record_asks_record_it_again(app: LiveApp) -> None:
    view = app.open_form()
    answer = app.harness.view_submission(
        view,
        {
            "contact_id": ("Susan Okafor", "1003"),
            "course_id": ("Safeguarding Basic Awareness", str(BASIC_AWARENESS)),
            "completed_at": "20/09/2024",
        },
    )
    body = answer.json()
    assert body["response_action"] == "push", body
    text = json.dumps(body["view"])
    assert "5003" in text
    assert "Record it again" in text
    assert app.store.recent(5) == []


def test_a_late_update_never_overwrites_a_newer_one(app: LiveApp) -> None:
    view_id = app.open_form()["id"]
    for text in ("y", "ye", "yes", "yesterday"):
        dispatch(app, view_id, "completed_at", text)
    wait_note(app, view_id, "completed_at", "✓")
    time.sleep(0.5)
    shown = app.slack.view(view_id)
    assert shown["state"]["values"]["completed_at"]["completed_at"]["value"] == "yesterday"
    assert "✓" in (note(shown, "completed_at") or "")
