"""Issue 12, item 10: retry and reopen by someone else leave a trace, over real HTTP.

The policy (README, "Retrying and reopening"): anyone allowed to record may retry or reopen
anyone's submission; the log and the thread say who did.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from bot.store import State
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, thread_replies, wait_until
from tests.support.slack_harness import USER_ID

JOAN = {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Safeguarding Foundations", "2")}
OTHER = "U0OTHER42"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with live_app(
        tmp_path / "log.db", slack, sandbox, allowed_users=f"{USER_ID},{OTHER}"
    ) as running:
        yield running


def failed(app: LiveApp) -> int:
    app.sandbox.fail_next(500, times=100, method="POST")
    submission = app.settled(app.submit(JOAN).id)
    app.sandbox.clear_faults()
    assert submission.state is State.FAILED
    assert submission.reason
    return submission.id


@pytest.mark.slow
def test_a_retry_by_someone_else_is_logged_and_drops_the_old_reason(app: LiveApp) -> None:
    submission_id = failed(app)
    parent = [m for m in app.slack.messages() if m.thread_ts is None][-1]
    answer = app.harness.block_actions(
        RETRY_ACTION, value=str(submission_id), user_id=OTHER, channel_id=parent.channel
    )
    assert answer.status_code == 200
    done = wait_until(
        lambda: (s := app.store.get(submission_id)).state is State.RECORDED and s.reported and s,
        timeout=10,
        what="the retried submission",
    )
    assert done.reason is None
    assert done.errors is None
    retried = [e for e in app.store.events(submission_id) if e["event"] == "retry_requested"]
    assert len(retried) == 1
    assert retried[0]["detail"]["by_user_id"] == OTHER
    assert retried[0]["detail"]["by_user_name"] == OTHER
    said = wait_until(
        lambda: [m.text for m in thread_replies(app.slack) if "tried again" in m.text],
        timeout=5,
        what="the thread to say who retried",
    )
    assert f"<@{OTHER}>" in said[0]


@pytest.mark.slow
def test_a_reopen_by_someone_else_is_logged(app: LiveApp) -> None:
    submission_id = failed(app)
    opened = len(app.slack.calls("views.open", ok=True))
    app.harness.block_actions(REOPEN_ACTION, value=str(submission_id), user_id=OTHER)
    app.slack.wait_for("views.open", opened + 1, ok=True)
    reopened = [e for e in app.store.events(submission_id) if e["event"] == "reopened"]
    assert len(reopened) == 1
    assert reopened[0]["detail"]["by_user_id"] == OTHER
