"""End to end: the real app over HTTP on 127.0.0.1, signed as Slack signs, with the Slack
Web API stand-in and the CMS sandbox behind it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from bot.store import State
from tests.support.live_app import LiveApp, cms_posts, wait_until
from tests.support.slack_harness import CHANNEL_ID, USER_ID, Signing

OUTSIDER = "U0OUTSIDER"


# --- the command and the modal ---------------------------------------------------------------


def test_command_opens_the_modal_on_the_same_trigger_id(app: LiveApp) -> None:
    trigger_id = app.slack.new_trigger_id()
    response = app.harness.command("", trigger_id=trigger_id)
    assert response.status_code == 200
    assert response.text == ""
    [call] = app.slack.wait_for("views.open")
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


def test_command_text_prefills_the_form(app: LiveApp) -> None:
    view = app.open_form("1042 foundations completed yesterday expires 3 years")
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["contact_id"]["initial_option"]["value"] == "1042"
    assert blocks["course_id"]["initial_option"]["value"] == "2"
    assert blocks["course_id"]["initial_option"]["text"]["text"] == "Safeguarding Foundations"
    assert blocks["completed_at"]["initial_value"] == "yesterday"
    assert blocks["expires_at"]["initial_value"] == "3 years"
    assert "initial_value" not in blocks["booked_at"]


def test_a_refused_person_gets_a_polite_ephemeral_answer_and_nothing_else(
    app: LiveApp,
) -> None:
    response = app.harness.command("1042 foundations", user_id=OUTSIDER)
    assert response.status_code == 200
    assert "not on the list" in response.text
    time.sleep(0.2)
    assert app.slack.calls("views.open") == []
    assert [c for c in app.sandbox.calls if c[1] != "/v2/courses"] == []


def test_a_refused_person_cannot_submit_a_form(app: LiveApp) -> None:
    view = app.open_form()
    answer = app.harness.view_submission(
        view, {"contact_id": ("x", "1042"), "course_id": ("y", "2")}, user_id=OUTSIDER
    )
    assert answer.json()["response_action"] == "errors"
    assert cms_posts(app.sandbox) == []
    assert app.store.count() == 0


@pytest.mark.parametrize(
    "signing",
    [Signing.stale(), Signing.wrong_secret(), Signing.forged(), Signing.unsigned()],
    ids=["stale", "wrong-secret", "forged", "unsigned"],
)
def test_forged_or_stale_requests_get_401(app: LiveApp, signing: Signing) -> None:
    response = app.harness.command("1042", signing=signing)
    assert response.status_code == 401
    assert app.slack.calls("views.open") == []


def test_health_check(app: LiveApp) -> None:
    base = app.server.url.removesuffix("/slack/events")
    assert httpx.get(base + "/healthz").text == "ok\n"


# --- pick-lists ---------------------------------------------------------------------------------


def option_values(response: httpx.Response) -> list[tuple[str, str]]:
    return [(o["text"]["text"], o["value"]) for o in response.json()["options"]]


def test_contact_search_by_name_and_by_number(app: LiveApp) -> None:
    found = option_values(app.harness.block_suggestion("contact_id", "Holloway"))
    assert found[0][1] == "1001"
    assert "Maggie Holloway" in found[0][0]
    by_number = option_values(app.harness.block_suggestion("contact_id", "1042"))
    assert by_number[0][1] == "1042"


def test_course_search(app: LiveApp) -> None:
    found = option_values(app.harness.block_suggestion("course_id", "found"))
    assert found == [("Safeguarding Foundations", "2")]
    everything = option_values(app.harness.block_suggestion("course_id", ""))
    assert len(everything) == len(app.sandbox.courses)


def test_contact_search_answers_fast_when_the_cms_is_slow(app: LiveApp) -> None:
    app.sandbox.delay = 5
    started = time.monotonic()
    response = app.harness.block_suggestion("contact_id", "Pritchard")
    elapsed = time.monotonic() - started
    app.sandbox.delay = 0
    assert response.status_code == 200
    assert elapsed < 3


def test_outsiders_get_no_options(app: LiveApp) -> None:
    response = app.harness.block_suggestion("contact_id", "Holloway", user_id=OUTSIDER)
    assert response.json()["options"] == []


# --- submissions ---------------------------------------------------------------------------


def test_bad_dates_come_back_as_field_errors_with_no_cms_call(app: LiveApp) -> None:
    view = app.open_form()
    answer = app.harness.view_submission(
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
    assert cms_posts(app.sandbox) == []
    assert app.store.count() == 0


def test_a_good_submission_gives_one_parent_and_one_thread_reply(app: LiveApp) -> None:
    view = app.open_form()
    started = time.monotonic()
    answer = app.harness.view_submission(
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
    parent, replies = app.thread()
    assert len(replies) == 1
    [record] = app.sandbox.records(1042)
    reply = replies[0].text
    assert "Safeguarding Foundations" in reply
    assert "Safeguarding Foundations certificate" in reply
    assert f"CMS record: {record['id']}" in reply
    assert "Completed: 12 March 2025" in reply
    assert "Expires: 12 March 2028" in reply
    assert f"<@{USER_ID}>" in parent.text
    # The parent is updated with the outcome.
    app.slack.wait_for("chat.update")
    assert f"CMS record {record['id']}" in app.slack.message(CHANNEL_ID, parent.ts).text
    submission = app.store.recent(1)[0]
    assert submission.state is State.RECORDED
    assert submission.reported
    assert submission.message_ts == parent.ts


def test_submitting_the_same_form_twice_records_once(app: LiveApp) -> None:
    view = app.open_form()
    values = {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    first = app.harness.view_submission(view, values)
    second = app.harness.view_submission(view, values)
    assert first.status_code == second.status_code == 200
    app.thread()
    time.sleep(0.3)
    assert len(app.sandbox.records(1042)) == 1
    assert app.store.count() == 1


def test_a_probable_duplicate_asks_before_recording(app: LiveApp) -> None:
    values = {
        "contact_id": ("Joan", "1042"),
        "course_id": ("Foundations", "2"),
        "completed_at": "1/11/2026",
    }
    app.harness.view_submission(app.open_form(), values)
    app.thread()
    answer = app.harness.view_submission(app.open_form(), values)
    body = answer.json()
    assert body["response_action"] == "push"
    pushed = body["view"]
    assert pushed["callback_id"] == "record_course_duplicate"
    assert len(app.sandbox.records(1042)) == 1
    confirmed = app.harness.view_submission(pushed, {})
    assert confirmed.json() == {"response_action": "clear"}
    deadline = time.monotonic() + 10
    while len(app.sandbox.records(1042)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(app.sandbox.records(1042)) == 2


def test_a_cms_400_is_explained_in_the_thread(app: LiveApp) -> None:
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Gone", "999")}
    )
    _parent, [reply] = app.thread()
    assert "The CMS refused this record" in reply.text
    assert "*Course*:" in reply.text
    actions = [b for b in reply.blocks if b["type"] == "actions"]
    assert actions[0]["elements"][0]["action_id"] == REOPEN_ACTION


def test_an_unknown_contact_is_refused_in_the_form_before_sending(app: LiveApp) -> None:
    view = app.open_form()
    answer = app.harness.view_submission(
        view, {"contact_id": ("?", "424242"), "course_id": ("Foundations", "2")}
    )
    assert answer.json()["response_action"] == "errors"
    assert "424242" in answer.json()["errors"]["contact_id"]
    assert app.store.count() == 0
    assert not [c for c in app.sandbox.calls if c[0] == "POST"]


def test_an_unknown_contact_not_looked_up_is_explained_in_the_thread(app: LiveApp) -> None:
    app.bot.people = None  # the look-up was skipped (say, the CMS budget was tight)
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("?", "424242"), "course_id": ("Foundations", "2")}
    )
    _parent, [reply] = app.thread()
    assert "Contact 424242 was not found in the CMS" in reply.text


def test_a_mention_in_a_course_name_is_escaped(app: LiveApp) -> None:
    course = app.sandbox.add_course("<!channel> Safeguarding")
    app.bot.catalogue.refresh()
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("x", str(course["id"]))}
    )
    parent, [reply] = app.thread()
    app.slack.wait_for("chat.update")
    for text in (reply.text, parent.text, app.slack.message(CHANNEL_ID, parent.ts).text):
        assert "<!channel>" not in text
    assert "&lt;!channel&gt; Safeguarding" in reply.text


def test_not_in_channel_sends_the_result_by_direct_message(app: LiveApp) -> None:
    app.slack.leave_channels(CHANNEL_ID)
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    dm = app.slack.dm_channel(USER_ID)
    deadline = time.monotonic() + 10
    while not app.slack.messages(dm) and time.monotonic() < deadline:
        time.sleep(0.02)
    [message] = app.slack.messages(dm)
    assert "not_in_channel" in message.text
    assert "Safeguarding Foundations" in message.text
    assert len(app.sandbox.records(1042)) == 1
    # Marked told just after the message is posted: wait for it rather than race it.
    wait_until(lambda: app.store.recent(1)[0].reported, timeout=10, what="marked reported")


def test_slack_rate_limit_is_waited_out(app: LiveApp) -> None:
    app.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    _parent, replies = app.thread(timeout=15)
    assert len(replies) == 1


def test_reopen_button_opens_the_form_filled_in_as_before(app: LiveApp) -> None:
    view = app.open_form()
    app.harness.view_submission(
        view,
        {
            "contact_id": ("Joan", "1042"),
            "course_id": ("Gone", "999"),
            "completed_at": "last Tuesday",
        },
    )
    app.thread()
    submission = app.store.recent(1)[0]
    app.harness.block_actions(REOPEN_ACTION, value=str(submission.id))
    calls = app.slack.wait_for("views.open", count=2)
    reopened = calls[-1].response["view"]
    # Inputs only: the contact is shown by name in a note under it (issue 14).
    blocks = {b["block_id"]: b["element"] for b in reopened["blocks"] if b["type"] == "input"}
    assert blocks["contact_id"]["initial_option"]["value"] == "1042"
    assert blocks["course_id"]["initial_option"]["value"] == "999"
    assert blocks["completed_at"]["initial_value"] == "last Tuesday"


def test_retry_button_sends_a_failed_submission_again(app: LiveApp) -> None:
    app.sandbox.fail_next(503, times=30, method="POST")
    view = app.open_form()
    app.harness.view_submission(
        view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
    )
    deadline = time.monotonic() + 15
    while app.store.recent(1)[0].state is not State.FAILED and time.monotonic() < deadline:
        time.sleep(0.05)
    submission = app.store.recent(1)[0]
    assert submission.state is State.FAILED
    app.sandbox.clear_faults()
    app.harness.block_actions(RETRY_ACTION, value=str(submission.id))
    deadline = time.monotonic() + 15
    while not app.sandbox.records(1042) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(app.sandbox.records(1042)) == 1
    texts = [m.text for m in app.slack.messages(CHANNEL_ID, thread_ts=submission.message_ts)]
    assert any("I'll keep trying" in t for t in texts)
    assert any("not recorded" in t for t in texts)


# --- the manifest against what the running app answers --------------------------------------


def test_every_manifest_command_is_answered_and_no_other(
    app: LiveApp, manifest: dict[str, Any]
) -> None:
    for entry in manifest["features"]["slash_commands"]:
        assert app.harness.command("", command=entry["command"]).status_code == 200
    assert app.harness.command("", command="/not-in-the-manifest").status_code == 404


def test_every_pick_list_in_the_forms_loads_options(app: LiveApp, manifest: dict[str, Any]) -> None:
    """The manifest's options URL serves every external select of every form."""
    from bot.slack.views import bulk_modal, record_modal

    assert manifest["settings"]["interactivity"]["message_menu_options_url"].endswith(
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
        response = app.harness.block_suggestion(action_id, typed.get(action_id, "22"))
        assert response.status_code == 200, action_id
        assert response.json()["options"], action_id


def test_every_subscribed_event_is_answered(app: LiveApp, manifest: dict[str, Any]) -> None:
    import json

    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
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
        response = app.harness.post(body, content_type="application/json")
        assert response.status_code == 200, event
