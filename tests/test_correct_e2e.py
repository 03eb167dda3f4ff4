"""Correcting a record end to end: the running app over HTTP, signed as Slack signs, the
Slack stand-in and the CMS sandbox behind it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.local.sandbox import CMSSandbox
from bot.slack.messages import CORRECT_ACTION
from bot.store import CorrectionState
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, wait_until
from tests.support.slack_harness import CHANNEL_ID, USER_ID

OUTSIDER = "U0OUTSIDER"
JOAN = {
    "contact_id": ("Joan Ellison", "1042"),
    "course_id": ("Safeguarding Foundations", "2"),
    "qualification_id": ("Safeguarding Foundations certificate", "22"),
    "completed_at": "3/3/2025",
    "expires_at": "3 years",
}

pytestmark = pytest.mark.slow


@pytest.fixture
def running(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as app:
        yield app


def puts(sandbox: CMSSandbox) -> list[Any]:
    return [c for c in sandbox.calls if c[0] == "PUT"]


def recorded(app: LiveApp) -> tuple[int, int, str]:
    """Record Joan's course; the submission id, the CMS record id and the thread."""
    submission = app.submit(JOAN)
    done = app.settled(submission.id)
    assert done.record_id is not None
    assert done.message_ts is not None
    return submission.id, done.record_id, done.message_ts


def open_correction(app: LiveApp, submission_id: int, user_id: str | None = None) -> dict[str, Any]:
    """Click "Correct this record"; the form once it has replaced the loading page."""
    updates = len(app.slack.calls("views.update", ok=True))
    opens = len(app.slack.calls("views.open", ok=True))
    answer = app.harness.block_actions(CORRECT_ACTION, value=str(submission_id), user_id=user_id)
    assert answer.status_code == 200
    [*_, opened] = app.slack.wait_for("views.open", count=opens + 1, ok=True)
    assert opened.response["view"]["callback_id"] == "correct_record_loading"
    [*_, updated] = app.slack.wait_for("views.update", count=updates + 1, ok=True)
    assert updated.args["view_id"] == opened.response["view"]["id"]
    view: dict[str, Any] = updated.response["view"]
    return view


def as_filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What the form holds (its initial values), with `changes` typed over it."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") or {}
        if block["type"] != "input":
            continue
        if "initial_option" in element:
            option = element["initial_option"]
            values[block["block_id"]] = (option["text"]["text"], option["value"])
        elif element.get("initial_value"):
            values[block["block_id"]] = element["initial_value"]
    values.update(changes)
    return values


def replies(app: LiveApp, thread_ts: str) -> list[str]:
    return [
        m.text for m in app.slack.messages(CHANNEL_ID, thread_ts=thread_ts) if m.ts != thread_ts
    ]


def test_a_correction_from_the_thread_reaches_the_cms_once_and_is_told_there(
    running: LiveApp,
) -> None:
    submission_id, record_id, thread = recorded(running)
    view = open_correction(running, submission_id)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "qualification_id",
        "booked_at",
        "attended_at",
        "completed_at",
        "expires_at",
    ]
    text = str(view["blocks"])
    assert "Safeguarding Foundations" in text
    assert "Joan Patricia Ellison (#1042)" in text  # named (issue 14), no longer "contact 1042"
    assert "Recorded by mistake?" in text
    values = as_filled(view)
    assert values["completed_at"] == "3 March 2025"
    answer = running.harness.view_submission(view, as_filled(view, completed_at="4 March 2025"))
    assert answer.json() == {"response_action": "clear"}
    wait_until(lambda: len(replies(running, thread)) == 2, what="the correction's reply")
    told = replies(running, thread)[1]
    assert f"Corrected CMS record {record_id}: completed 3 March 2025 → 4 March 2025" in told
    assert f"<@{USER_ID}>" in told
    assert len(puts(running.sandbox)) == 1
    assert running.sandbox.records(1042)[-1]["completed_at"] == "2025-03-04"
    # Marked told just after the reply is posted: wait for it rather than race it.
    wait_until(
        lambda: (
            running.recorder.corrections.log.of_submissions([submission_id])[submission_id][
                0
            ].reported
        ),
        timeout=10,
        what="the correction marked reported",
    )
    [c] = running.recorder.corrections.log.of_submissions([submission_id])[submission_id]
    assert c.state is CorrectionState.CORRECTED
    assert c.reported
    assert c.user_id == USER_ID
    assert c.thread_ts == thread
    time.sleep(0.3)
    assert len(replies(running, thread)) == 2  # told once
    assert len(puts(running.sandbox)) == 1


def test_nothing_changed_is_said_and_nothing_sent(running: LiveApp) -> None:
    submission_id, record_id, thread = recorded(running)
    view = open_correction(running, submission_id)
    running.harness.view_submission(view, as_filled(view))
    wait_until(lambda: len(replies(running, thread)) == 2, what="the reply")
    assert f"Nothing to correct in CMS record {record_id}" in replies(running, thread)[1]
    assert puts(running.sandbox) == []


def test_two_people_correcting_at_once_never_overwrite(running: LiveApp) -> None:
    submission_id, _record_id, thread = recorded(running)
    first = open_correction(running, submission_id)
    second = open_correction(running, submission_id)
    running.harness.view_submission(first, as_filled(first, completed_at="5 March 2025"))
    wait_until(lambda: len(replies(running, thread)) == 2, what="the first correction")
    running.harness.view_submission(second, as_filled(second, completed_at="4 March 2025"))
    wait_until(lambda: len(replies(running, thread)) == 3, what="the second's answer")
    told = replies(running, thread)[2]
    assert "changed in the CMS after" in told
    assert "completed 3 March 2025 → 5 March 2025" in told
    assert "not sent" in told
    assert running.sandbox.records(1042)[-1]["completed_at"] == "2025-03-05"
    assert len(puts(running.sandbox)) == 1
    # Asked again: the form now holds what the first person made.
    again = open_correction(running, submission_id)
    assert as_filled(again)["completed_at"] == "5 March 2025"


def test_a_lost_answer_is_checked_before_anything_is_sent_again(running: LiveApp) -> None:
    submission_id, _record_id, thread = recorded(running)
    view = open_correction(running, submission_id)
    running.sandbox.lose_answer_next(method="PUT")
    running.harness.view_submission(view, as_filled(view, completed_at="4 March 2025"))
    wait_until(lambda: len(replies(running, thread)) == 2, what="the reply")
    assert "Corrected CMS record" in replies(running, thread)[1]
    assert len(puts(running.sandbox)) == 1


def test_a_person_not_allowed_is_refused(running: LiveApp) -> None:
    submission_id, _record_id, _thread = recorded(running)
    opens = len(running.slack.calls("views.open"))
    answer = running.harness.block_actions(
        CORRECT_ACTION, value=str(submission_id), user_id=OUTSIDER
    )
    assert answer.status_code == 200
    time.sleep(0.3)
    assert len(running.slack.calls("views.open")) == opens
    view = open_correction(running, submission_id)
    answer = running.harness.view_submission(
        view, as_filled(view, completed_at="4 March 2025"), user_id=OUTSIDER
    )
    assert answer.json()["response_action"] == "errors"
    time.sleep(0.3)
    assert puts(running.sandbox) == []


def test_bad_input_comes_back_on_the_form(running: LiveApp) -> None:
    submission_id, _record_id, _thread = recorded(running)
    view = open_correction(running, submission_id)
    answer = running.harness.view_submission(
        view, as_filled(view, completed_at="31/02/2025", booked_at="")
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"completed_at"}
    assert puts(running.sandbox) == []
