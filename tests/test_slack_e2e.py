"""End to end: the real app over HTTP on 127.0.0.1, signed as Slack signs, with the Slack
Web API stand-in and the CMS sandbox behind it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from bot.store import State
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_harness import CHANNEL_ID, USER_ID, Signing

OUTSIDER = "U0OUTSIDER"


Running = LiveApp


@pytest.fixture
def running(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[Running]:
    with SlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as app:
        yield app


def post_calls(sandbox: CMSSandbox) -> list[Any]:
    return [c for c in sandbox.calls if c[0] == "POST"]


# --- the command and the modal ---------------------------------------------------------------


def test_command_opens_the_modal_on_the_same_trigger_id(running: Running) -> None:
    trigger_id = running.slack.new_trigger_id()
    response = running.harness.command("", trigger_id=trigger_id)
    assert response.status_code == 200
    assert response.text == ""
    [call] = running.slack.wait_for("views.open")
    assert call.ok  # the stand-in accepts a trigger id once, within 3 seconds
    assert call.args["trigger_id"] == trigger_id
    view = call.response["view"]
    assert view["callback_id"] == "record_course"
    assert [b["block_id"] for b in view["blocks"]] == [
        "contact_id",
        "course_id",
        "qualification_id",
        "booked_at",
        "attended_at",
        "completed_at",
        "expires_at",
    ]
    assert '"channel_id":"C0TRAINING"' in view["private_metadata"]


def test_command_text_prefills_the_form(running: Running) -> None:
    view = running.open_form("1042 foundations completed yesterday expires 3 years")
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["contact_id"]["initial_option"]["value"] == "1042"
    assert blocks["course_id"]["initial_option"]["value"] == "2"
    assert blocks["course_id"]["initial_option"]["text"]["text"] == "Safeguarding Foundations"
    assert blocks["completed_at"]["initial_value"] == "yesterday"
    assert blocks["expires_at"]["initial_value"] == "3 years"
    assert "initial_value" not in blocks["booked_at"]


def test_a_refused_person_gets_a_polite_ephemeral_answer_and_nothing_else(
    running: Running,
) -> None:
    response = running.harness.command("1042 foundations", user_id=OUTSIDER)
    assert response.status_code == 200
    assert "not on the list" in response.text
    time.sleep(0.2)
    assert running.slack.calls("views.open") == []
    assert [c for c in running.sandbox.calls if c[1] != "/v2/courses"] == []


def test_a_refused_person_cannot_submit_a_form(running: Running) -> None:
    view = running.open_form()
    answer = running.harness.view_submission(
        view, {"contact_id": ("x", "1042"), "course_id": ("y", "2")}, user_id=OUTSIDER
    )
    assert answer.json()["response_action"] == "errors"
    assert post_calls(running.sandbox) == []
    assert running.store.count() == 0


@pytest.mark.parametrize(
    "signing",
    [Signing.stale(), Signing.wrong_secret(), Signing.forged(), Signing.unsigned()],
    ids=["stale", "wrong-secret", "forged", "unsigned"],
)
def test_forged_or_stale_requests_get_401(running: Running, signing: Signing) -> None:
    response = running.harness.command("1042", signing=signing)
    assert response.status_code == 401
    assert running.slack.calls("views.open") == []


def test_health_check(running: Running) -> None:
    base = running.server.url.removesuffix("/slack/events")
    assert httpx.get(base + "/healthz").text == "ok\n"


# --- pick-lists ---------------------------------------------------------------------------------


def option_values(response: httpx.Response) -> list[tuple[str, str]]:
    return [(o["text"]["text"], o["value"]) for o in response.json()["options"]]


def test_contact_search_by_name_and_by_number(running: Running) -> None:
    found = option_values(running.harness.block_suggestion("contact_id", "Holloway"))
    assert found[0][1] == "1001"
    assert "Maggie Holloway" in found[0][0]
    by_number = option_values(running.harness.block_suggestion("contact_id", "1042"))
    assert by_number[0][1] == "1042"


def test_course_search(running: Running) -> None:
    found = option_values(running.harness.block_suggestion("course_id", "found"))
    assert found == [("Safeguarding Foundations", "2")]
    everything = option_values(running.harness.block_suggestion("course_id", ""))
    assert len(everything) == len(running.sandbox.courses)


def test_contact_search_answers_fast_when_the_cms_is_slow(running: Running) -> None:
    running.sandbox.delay = 5
    started = time.monotonic()
    response = running.harness.block_suggestion("contact_id", "Pritchard")
    elapsed = time.monotonic() - started
    running.sandbox.delay = 0
    assert response.status_code == 200
    assert elapsed < 3


def test_outsiders_get_no_options(running: Running) -> None:
    response = running.harness.block_suggestion("contact_id", "Holloway", user_id=OUTSIDER)
    assert response.json()["options"] == []


# --- submissions ---------------------------------------------------------------------------


def test_bad_dates_come_back_as_field_errors_with_no_cms_call(running: Running) -> None:
    view = running.open_form()
    answer = running.harness.view_submission(
        view,
        {
            "contact_id": ("Joan Ellison", "1042"),
            "course_id": ("Safeguarding Foundations", "2"),
            "booked_at": "<!channel>",
            "completed_at": "31/02/2025",
            "expires_at": "tbc",
        },
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"booked_at", "completed_at", "expires_at"}
    assert post_calls(running.sandbox) == []
    assert running.store.count() == 0


def test_a_good_submission_gives_one_parent_and_one_thread_reply(running: Running) -> None:
    view = running.open_form()
    started = time.monotonic()
    answer = running.harness.view_submission(
        view,
        {
            "contact_id": ("Joan Ellison", "1042"),
            "course_id": ("Safeguarding Foundations", "2"),
            "qualification_id": ("Foundations certificate", "22"),
            "completed_at": "12/03/2025",
            "expires_at": "3 years",
        },
    )
    ack_seconds = time.monotonic() - started
    assert answer.status_code == 200
    assert answer.json() == {"response_action": "clear"}
    assert ack_seconds < 1.0
    parent, replies = running.thread()
    assert len(replies) == 1
    [record] = running.sandbox.records(1042)
    reply = replies[0].text
    assert "Safeguarding Foundations" in reply
    assert "Safeguarding Foundations certificate" in reply
    assert f"CMS record: {record['id']}" in reply
    assert "Completed: 12 March 2025" in reply
    assert "Expires: 12 March 2028" in reply
    assert f"<@{USER_ID}>" in parent.text
    # The parent is updated with the outcome.
    running.slack.wait_for("chat.update")
    assert f"CMS record {record['id']}" in running.slack.message(CHANNEL_ID, parent.ts).text
    submission = running.store.recent(1)[0]
    assert submission.state is State.RECORDED
    assert submission.reported
    assert submission.message_ts == parent.ts


def test_submitting_the_same_form_twice_records_once(running: Running) -> None:
    view = running.open_form()
    values = {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    first = running.harness.view_submission(view, values)
    second = running.harness.view_submission(view, values)
    assert first.status_code == second.status_code == 200
    running.thread()
    time.sleep(0.3)
    assert len(running.sandbox.records(1042)) == 1
    assert running.store.count() == 1


def test_a_probable_duplicate_asks_before_recording(running: Running) -> None:
    values = {
        "contact_id": ("Joan", "1042"),
        "course_id": ("Foundations", "2"),
        "completed_at": "1/11/2026",
    }
    running.harness.view_submission(running.open_form(), values)
    running.thread()
    answer = running.harness.view_submission(running.open_form(), values)
    body = answer.json()
    assert body["response_action"] == "push"
    pushed = body["view"]
    assert pushed["callback_id"] == "record_course_duplicate"
    assert len(running.sandbox.records(1042)) == 1
    confirmed = running.harness.view_submission(pushed, {})
    assert confirmed.json() == {"response_action": "clear"}
    deadline = time.monotonic() + 10
    while len(running.sandbox.records(1042)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(running.sandbox.records(1042)) == 2


def test_a_cms_400_is_explained_in_the_thread(running: Running) -> None:
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Gone", "999")}
    )
    _parent, [reply] = running.thread()
    assert "The CMS refused this record" in reply.text
    assert "*Course*:" in reply.text
    actions = [b for b in reply.blocks if b["type"] == "actions"]
    assert actions[0]["elements"][0]["action_id"] == REOPEN_ACTION


def test_an_unknown_contact_is_explained_in_the_thread(running: Running) -> None:
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("?", "424242"), "course_id": ("Foundations", "2")}
    )
    _parent, [reply] = running.thread()
    assert "Contact 424242 was not found in the CMS" in reply.text


def test_a_mention_in_a_course_name_is_escaped(running: Running) -> None:
    course = running.sandbox.add_course("<!channel> Safeguarding")
    running.bot.catalogue.refresh()
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("x", str(course["id"]))}
    )
    parent, [reply] = running.thread()
    running.slack.wait_for("chat.update")
    for text in (reply.text, parent.text, running.slack.message(CHANNEL_ID, parent.ts).text):
        assert "<!channel>" not in text
    assert "&lt;!channel&gt; Safeguarding" in reply.text


def test_not_in_channel_sends_the_result_by_direct_message(running: Running) -> None:
    running.slack.leave_channels(CHANNEL_ID)
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    dm = running.slack.dm_channel(USER_ID)
    deadline = time.monotonic() + 10
    while not running.slack.messages(dm) and time.monotonic() < deadline:
        time.sleep(0.02)
    [message] = running.slack.messages(dm)
    assert "not_in_channel" in message.text
    assert "Safeguarding Foundations" in message.text
    assert len(running.sandbox.records(1042)) == 1
    assert running.store.recent(1)[0].reported


def test_slack_rate_limit_is_waited_out(running: Running) -> None:
    running.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    _parent, replies = running.thread(timeout=15)
    assert len(replies) == 1


def test_reopen_button_opens_the_form_filled_in_as_before(running: Running) -> None:
    view = running.open_form()
    running.harness.view_submission(
        view,
        {
            "contact_id": ("Joan", "1042"),
            "course_id": ("Gone", "999"),
            "completed_at": "last Tuesday",
        },
    )
    running.thread()
    submission = running.store.recent(1)[0]
    running.harness.block_actions(REOPEN_ACTION, value=str(submission.id))
    calls = running.slack.wait_for("views.open", count=2)
    reopened = calls[-1].response["view"]
    blocks = {b["block_id"]: b["element"] for b in reopened["blocks"]}
    assert blocks["contact_id"]["initial_option"]["value"] == "1042"
    assert blocks["course_id"]["initial_option"]["value"] == "999"
    assert blocks["completed_at"]["initial_value"] == "last Tuesday"


def test_retry_button_sends_a_failed_submission_again(running: Running) -> None:
    running.sandbox.fail_next(503, times=30, method="POST")
    view = running.open_form()
    running.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    deadline = time.monotonic() + 15
    while running.store.recent(1)[0].state is not State.FAILED and time.monotonic() < deadline:
        time.sleep(0.05)
    submission = running.store.recent(1)[0]
    assert submission.state is State.FAILED
    running.sandbox.clear_faults()
    running.harness.block_actions(RETRY_ACTION, value=str(submission.id))
    deadline = time.monotonic() + 15
    while not running.sandbox.records(1042) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(running.sandbox.records(1042)) == 1
    texts = [m.text for m in running.slack.messages(CHANNEL_ID, thread_ts=submission.message_ts)]
    assert any("I'll keep trying" in t for t in texts)
    assert any("not recorded" in t for t in texts)


# --- the manifest against what the running app answers --------------------------------------


def manifest() -> dict[str, Any]:
    import yaml

    path = Path(__file__).resolve().parent.parent / "manifest.yml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_every_manifest_command_is_answered_and_no_other(running: Running) -> None:
    for entry in manifest()["features"]["slash_commands"]:
        assert running.harness.command("", command=entry["command"]).status_code == 200
    assert running.harness.command("", command="/not-in-the-manifest").status_code == 404


def test_every_pick_list_in_the_forms_loads_options(running: Running) -> None:
    """The manifest's options URL serves every external select of every form."""
    from bot.slack.views import bulk_modal, record_modal

    assert manifest()["settings"]["interactivity"]["message_menu_options_url"].endswith(
        "/slack/events"
    )
    selects = [
        block["element"]["action_id"]
        for view in (record_modal(private_metadata="{}"), bulk_modal(private_metadata="{}"))
        for block in view["blocks"]
        if block["type"] == "input" and "external_select" in block["element"]["type"]
    ]
    assert set(selects) == {"contact_id", "course_id", "qualification_id", "contact_ids"}
    typed = {"contact_id": "1042", "contact_ids": "Holloway", "course_id": "2"}
    for action_id in selects:
        response = running.harness.block_suggestion(action_id, typed.get(action_id, "22"))
        assert response.status_code == 200, action_id
        assert response.json()["options"], action_id


def test_every_subscribed_event_is_answered(running: Running) -> None:
    import json

    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0STANDIN",
                "api_app_id": "A0STANDIN",
                "type": "event_callback",
                "event_id": "Ev0001",
                "event_time": 1_700_000_000,
                "event": {"type": event, "user": USER_ID, "tab": "home", "channel": "D0ADMIN"},
            }
        )
        response = running.harness.post(body, content_type="application/json")
        assert response.status_code == 200, event
