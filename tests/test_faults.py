"""Faults of the CMS and of Slack, against the running app over HTTP.

For each fault: the person gets one clear final answer (a thread reply, or a direct message,
or, while Slack stays down, the outcome waits unreported and is told after a restart), the
submission log holds the truth (state, CMS status, events), and the CMS holds the record at
most once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.messages import RETRY_ACTION
from bot.store import State
from tests.support.live_app import (
    JOAN,
    LiveApp,
    cms_client,
    cms_posts,
    events,
    live_app,
    parents,
    thread_replies,
    wait_until,
)
from tests.support.slack_harness import USER_ID

RETRYING = "I'll keep trying"


def final_replies(slack: SlackStandIn) -> list[str]:
    """Thread replies other than the one "I'll keep trying" notice."""
    return [m.text for m in thread_replies(slack) if RETRYING not in m.text]


def assert_recorded_once(app: LiveApp, submission_id: int) -> None:
    submission = app.settled(submission_id)
    [record] = app.sandbox.records(1042)
    assert submission.state is State.RECORDED
    assert submission.cms_status == 200
    assert submission.record_id == record["id"]
    [reply] = final_replies(app.slack)
    assert reply.startswith(":white_check_mark: Recorded *Safeguarding Foundations*")
    assert f"CMS record: {record['id']}" in reply
    assert len(parents(app.slack)) == 1


# --- the CMS -------------------------------------------------------------------------------


def test_cms_500s_that_pass_are_retried_and_recorded_once(app: LiveApp) -> None:
    app.sandbox.fail_next(500, times=2, method="POST")
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    notices = [m.text for m in thread_replies(app.slack) if RETRYING in m.text]
    assert len(notices) == 1
    assert [c[2] for c in cms_posts(app.sandbox)] == [500, 500, 200]
    assert events(app.store, submission.id) == [
        "submitted",
        "message_posted",
        "sending",
        "retry_scheduled",
        "sending",
        "recorded",
        "reported (thread)",
    ]


def test_cms_500s_that_last_fail_with_one_clear_answer_and_no_record(app: LiveApp) -> None:
    app.sandbox.fail_next(500, times=100, method="POST")
    submission = app.settled(app.submit(JOAN).id)
    assert submission.state is State.FAILED
    assert submission.cms_status == 500
    assert submission.record_id is None
    assert app.sandbox.records(1042) == []
    [reply] = [m for m in thread_replies(app.slack) if RETRYING not in m.text]
    assert reply.text.startswith(":warning: This was not recorded: The CMS did not answer")
    actions = [b for b in reply.blocks if b["type"] == "actions"]
    buttons = [e["action_id"] for b in actions for e in b["elements"]]
    assert RETRY_ACTION in buttons
    assert events(app.store, submission.id).count("sending") == 3
    assert events(app.store, submission.id)[-2:] == ["failed", "reported (thread)"]


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "not-yet-committed"])
def test_a_cms_timeout_is_reconciled_not_repeated(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox, commit: bool
) -> None:
    # The client gives up after 0.3 s; the CMS answers (or, not committed, carries the write
    # out) after 0.6 s; the client waits 1 s before asking whether the record exists.
    client = cms_client(sandbox, timeout=0.3, settle=1.0)
    with live_app(tmp_path / "log.db", slack, sandbox, cms=client) as app:
        sandbox.stall_next(0.6, method="POST", commit=commit)
        submission = app.submit(JOAN)
        assert_recorded_once(app, submission.id)
        assert len(cms_posts(sandbox)) == 1
        assert ("GET", "/v2/contacts/1042/courses", 200) in sandbox.calls


def test_a_cms_slower_than_the_timeout_and_the_check_gets_the_record_once(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The client gives up after 0.3 s and asks 0.2 s later; the CMS makes the record only
    # after 1.5 s. Sending again at once would make it twice: the next try (which asks the
    # CMS first) waits for the recorder's schedule.
    client = cms_client(sandbox, timeout=0.3, settle=0.2)
    with live_app(tmp_path / "log.db", slack, sandbox, cms=client, retry_delays=(2.0,)) as app:
        sandbox.stall_next(1.5, method="POST", commit=False)
        submission = app.settled(app.submit(JOAN).id)
        sandbox.stop()  # the stalled POST is carried out now, if it has not been yet
        assert_recorded_once(app, submission.id)
        assert len(cms_posts(sandbox)) == 1
        assert events(app.store, submission.id).count("reconciled") == 1


def test_a_dropped_connection_before_the_write_is_sent_again_once(app: LiveApp) -> None:
    app.sandbox.drop_next(method="POST")
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert [c[2] for c in cms_posts(app.sandbox)] == [None, 200]


def test_a_lost_answer_is_reconciled_and_never_posted_again(app: LiveApp) -> None:
    app.sandbox.lose_answer_next()
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert [c[2] for c in cms_posts(app.sandbox)] == [None]


@pytest.mark.parametrize(
    "check", [{"status": 503}, {"status": 200, "body": "<html>maintenance</html>"}], ids=str
)
def test_a_lost_answer_that_cannot_be_checked_stays_sending_until_it_can(
    app: LiveApp, check: dict[str, Any]
) -> None:
    app.sandbox.lose_answer_next()
    app.sandbox.fail_next(times=2, method="GET", path="/v2/contacts/*/courses", **check)
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert [c[2] for c in cms_posts(app.sandbox)] == [None]
    assert "reconciled" in events(app.store, submission.id)


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "not-committed"])
def test_an_answer_that_is_not_json_is_reconciled(app: LiveApp, commit: bool) -> None:
    app.sandbox.fail_next(
        200, method="POST", commit=commit, body="<html><body>Gateway says hi</body></html>"
    )
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert len(cms_posts(app.sandbox)) == (1 if commit else 2)


def test_a_cms_refusal_of_any_length_is_told_within_slacks_limits(app: LiveApp) -> None:
    # The CMS's words go into the reply; Slack refuses a section over 3000 characters and
    # message text far shorter than what a CMS might send.
    huge = "The course id <b>&</b> is invalid. " * 2000
    app.sandbox.fail_next(
        400, method="POST", body={"errors": {"course_id": [huge], "completed_at": [huge]}}
    )
    submission = app.settled(app.submit(JOAN).id)
    assert submission.state is State.REJECTED
    assert app.sandbox.records(1042) == []
    [reply] = thread_replies(app.slack)
    assert reply.text.startswith(":x: The CMS refused this record:")
    for call in app.slack.calls("chat.postMessage") + app.slack.calls("chat.update"):
        assert len(call.args["text"]) <= 4000
        for block in call.args["blocks"]:
            text = block.get("text", {}).get("text", "")
            assert len(text) <= 3000
            assert not re.search(r"&(?!amp;|lt;|gt;)", text)  # no entity cut in half


def test_a_storm_of_429s_is_waited_out_and_never_shown(app: LiveApp) -> None:
    app.sandbox.fail_next(429, times=6, method="POST", headers={"Retry-After": "0"})
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert [c[2] for c in cms_posts(app.sandbox)] == [429] * 6 + [200]
    assert "retry_scheduled" not in events(app.store, submission.id)
    assert [m for m in thread_replies(app.slack) if RETRYING in m.text] == []


def test_a_small_rate_limit_paces_every_submission_through(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    with CMSSandbox(rate_limit=3, window=1.5) as sandbox:
        client = cms_client(sandbox, rate_window=1.5)
        with live_app(tmp_path / "log.db", slack, sandbox, cms=client) as app:
            contacts = [1002, 1004, 1005, 1006, 1007]  # no records yet
            ids = [
                app.submit({"contact_id": ("x", str(c)), "course_id": ("y", "2")}).id
                for c in contacts
            ]
            done = [app.settled(i, timeout=30) for i in ids]
            assert [s.state for s in done] == [State.RECORDED] * 5
            assert [len(sandbox.records(c)) for c in contacts] == [1] * 5
            replies = final_replies(slack)
            assert len(replies) == 5
            assert all(r.startswith(":white_check_mark: Recorded") for r in replies)
            assert all("retry_scheduled" not in events(app.store, i) for i in ids)


# --- Slack -----------------------------------------------------------------------------------


def test_slack_429s_are_waited_out(app: LiveApp) -> None:
    app.slack.rate_limit("chat.postMessage", times=2, retry_after=0)
    submission = app.submit(JOAN)
    assert_recorded_once(app, submission.id)
    assert events(app.store, submission.id)[-1] == "reported (thread)"


def test_a_slack_429_storm_longer_than_the_retries_ends_in_a_direct_message(app: LiveApp) -> None:
    # Four tries each (the client retries three times): the parent fails twice, the DM gets
    # through.
    app.slack.rate_limit("chat.postMessage", times=8, retry_after=0)
    submission = app.settled(app.submit(JOAN).id, timeout=30)
    [record] = app.sandbox.records(1042)
    assert submission.record_id == record["id"]
    assert app.slack.messages("C0TRAINING") == []
    [dm] = app.slack.messages(app.slack.dm_channel(USER_ID))
    assert "ratelimited" in dm.text
    assert f"CMS record: {record['id']}" in dm.text
    assert events(app.store, submission.id).count("parent_failed") == 2
    assert events(app.store, submission.id)[-1] == "reported (dm)"


def test_not_in_channel_tells_the_person_directly(app: LiveApp) -> None:
    app.slack.leave_channels("C0TRAINING")
    submission = app.settled(app.submit(JOAN).id)
    [record] = app.sandbox.records(1042)
    assert submission.state is State.RECORDED
    assert submission.record_id == record["id"]
    assert app.slack.messages("C0TRAINING") == []
    [dm] = app.slack.messages(app.slack.dm_channel(USER_ID))
    assert "not_in_channel" in dm.text
    assert f"CMS record: {record['id']}" in dm.text
    assert events(app.store, submission.id)[-1] == "reported (dm)"
    assert "parent_failed" in events(app.store, submission.id)


@pytest.mark.parametrize("how", ["refuse", "error"])
def test_slack_down_then_back_the_outcome_is_told_without_a_restart(app: LiveApp, how: str) -> None:
    app.bot.reporter.retell_first = 0.3
    view = app.open_form()
    app.slack.go_down(how)  # type: ignore[arg-type]
    submission = app.submit(JOAN, view=view)
    wait_until(
        lambda: events(app.store, submission.id).count("report_failed") >= 2,
        what="the outcome to have been tried twice",
    )
    assert not app.store.get(submission.id).reported
    app.slack.come_up()
    assert_recorded_once(app, submission.id)
    assert events(app.store, submission.id)[-1] == "reported (thread)"


@pytest.mark.parametrize("how", ["refuse", "error"])
def test_slack_down_leaves_the_outcome_unreported_until_a_restart_tells_it(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox, how: str
) -> None:
    database = tmp_path / "log.db"
    with live_app(database, slack, sandbox) as app:
        view = app.open_form()
        slack.go_down(how)  # type: ignore[arg-type]
        submission = app.submit(JOAN, view=view)
        wait_until(
            lambda: "report_failed" in events(app.store, submission.id),
            what="the failed report to be logged",
        )
        stored = app.store.get(submission.id)
        assert stored.state is State.RECORDED
        assert not stored.reported
        assert stored.message_ts is None
        assert len(sandbox.records(1042)) == 1
    slack.come_up()
    assert [m for m in slack.messages() if m.channel != "C0TRAINING" or m.thread_ts] == []
    with live_app(database, slack, sandbox) as app:
        assert_recorded_once(app, submission.id)
        assert events(app.store, submission.id)[-1] == "reported (thread)"
    assert [c[0] for c in cms_posts(sandbox)] == ["POST"]


def test_slack_down_when_the_form_is_asked_for_is_a_warning_not_a_crash(
    app: LiveApp, caplog: pytest.LogCaptureFixture
) -> None:
    app.slack.go_down("refuse")
    assert app.harness.command("1042 foundations").status_code == 200
    wait_until(
        lambda: any("could not open the form" in r.getMessage() for r in caplog.records),
        what="the failed views.open to be logged",
    )
    app.slack.come_up()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert cms_posts(app.sandbox) == []
    assert app.store.count() == 0
