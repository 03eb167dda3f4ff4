"""`python -m bot serve` killed (SIGKILL) at each point of a submission's life, then started
again on the same database: every submission ends recorded exactly once in the CMS and told
exactly once (one thread reply, across both runs)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from tests.support.live_app import JOAN, parents, thread_replies, wait_until
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import SlackHarness

SECRET = "crash-test-signing-secret"
TOKEN = "xoxb-crash-test"


@pytest.fixture
def env(tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn) -> dict[str, str]:
    return serve_env(
        tmp_path / "log.db", sandbox, slack, secret=SECRET, token=TOKEN, LOG_LEVEL="INFO"
    )


def row(env: dict[str, str], submission_id: int = 1) -> dict[str, Any] | None:
    """The submission as the database holds it (read-only; None before it exists)."""
    path = env["DATABASE_PATH"]
    if not Path(path).exists():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute("SELECT * FROM submissions WHERE id = ?", [submission_id])
            result = found.fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            return None
    conn.close()
    return dict(result) if result is not None else None


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def crash_and_restart(
    env: dict[str, str],
    tmp_path: Path,
    slack: SlackStandIn,
    *,
    before: Callable[[], None],
    kill_when: Callable[[], object],
    expect: dict[str, Any],
    after_kill: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Submit once, kill the app when `kill_when()` holds, check the row against `expect`,
    start the app again and wait until the outcome has been told; return the final row."""
    with serving(env, tmp_path, run=1) as (process, url):
        harness = SlackHarness(url, SECRET, standin=slack)
        try:
            assert harness.command("").status_code == 200
            view = slack.wait_for("views.open", ok=True)[-1].response["view"]
            before()
            answer = harness.view_submission(view, JOAN)
            assert answer.json() == {"response_action": "clear"}
            wait_until(kill_when, timeout=20, what="the moment to kill")
            kill(process)
        finally:
            harness.close()
    killed = row(env)
    assert killed is not None
    assert {name: killed[name] for name in expect} == expect
    slack.clear_faults()
    after_kill()
    with serving(env, tmp_path, run=2):
        final = wait_until(
            lambda: (r := row(env)) is not None and r["reported"] == 1 and r,
            timeout=30,
            what="the outcome to be told after the restart",
        )
    assert isinstance(final, dict)
    return final


def assert_once(final: dict[str, Any], sandbox: CMSSandbox, slack: SlackStandIn) -> None:
    [record] = sandbox.records(1042)
    assert final["state"] == "recorded"
    assert final["record_id"] == record["id"]
    [reply] = [m for m in thread_replies(slack) if "I'll keep trying" not in m.text]
    assert reply.text.startswith(":white_check_mark: Recorded *Safeguarding Foundations*")
    assert f"CMS record: {record['id']}" in reply.text
    [parent] = parents(slack)
    assert reply.thread_ts == parent.ts == final["message_ts"]


def refused(slack: SlackStandIn, method: str) -> bool:
    return any(c.status == 429 for c in slack.calls(method))


def test_killed_just_after_the_ack(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The parent message is held up by a long rate limit: nothing has gone to the CMS yet.
    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=lambda: slack.rate_limit("chat.postMessage", retry_after=60),
        kill_when=lambda: refused(slack, "chat.postMessage"),
        expect={"state": "pending", "sent_at": None, "reported": 0},
    )
    assert_once(final, sandbox, slack)
    assert [c[:2] for c in sandbox.calls if c[0] == "POST"] == [
        ("POST", "/v2/contacts/1042/courses")
    ]


def test_killed_while_the_post_is_in_flight(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The CMS has made the record but has not answered yet.
    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=lambda: sandbox.stall_next(60, method="POST", commit=True),
        kill_when=lambda: sandbox.records(1042),
        expect={"state": "sending", "record_id": None, "reported": 0},
    )
    assert_once(final, sandbox, slack)
    assert [c for c in sandbox.calls if c[0] == "POST"] == []  # the stalled one never answered


def test_killed_just_after_the_cms_answered(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The CMS answers after a second; by then the parent is posted and the thread reply will
    # be held up by a long rate limit.
    def before() -> None:
        sandbox.stall_next(1.0, method="POST", commit=True)

    limited: list[bool] = []

    def ready() -> bool:
        if not parents(slack):
            return False
        if not limited:
            slack.rate_limit("chat.postMessage", retry_after=60)
            limited.append(True)
        return refused(slack, "chat.postMessage")

    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=before,
        kill_when=ready,
        expect={"state": "recorded", "reported": 0},
    )
    assert_once(final, sandbox, slack)
    assert len([c for c in sandbox.calls if c[0] == "POST"]) == 1


def test_killed_after_the_thread_reply_before_it_was_marked_told(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The reply is posted; the update of the parent message is held up by a rate limit.
    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=lambda: slack.rate_limit("chat.update", retry_after=60),
        kill_when=lambda: refused(slack, "chat.update"),
        expect={"state": "recorded", "reported": 1},
    )
    assert_once(final, sandbox, slack)


def test_killed_while_the_cms_has_not_yet_carried_out_the_post(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The POST reached the CMS, which sits on it (and, here, never carries it out while the
    # test runs): after the restart the bot asks first, finds nothing, and sends it once.
    before_restart: list[int] = []
    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=lambda: sandbox.stall_next(60, method="POST", commit=False),
        kill_when=lambda: not sandbox.faults.pending(),  # the POST has reached the CMS
        expect={"state": "sending", "record_id": None, "reported": 0},
        after_kill=lambda: before_restart.append(len(sandbox.calls)),
    )
    assert_once(final, sandbox, slack)
    # (The form's own look-up of the contact's records came before the crash.)
    reconciled = [
        c
        for c in sandbox.calls[before_restart[0] :]
        if c[:2] == ("GET", "/v2/contacts/1042/courses")
    ]
    assert len(reconciled) == 1
    assert [c[2] for c in sandbox.calls if c[0] == "POST"] == [200]


def test_killed_while_waiting_to_try_the_cms_again(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # The CMS fails (500, nothing made); the bot has said it will keep trying, and waits.
    final = crash_and_restart(
        env,
        tmp_path,
        slack,
        before=lambda: sandbox.fail_next(500, times=1000, method="POST"),
        kill_when=lambda: any("I'll keep trying" in m.text for m in thread_replies(slack)),
        expect={"state": "pending", "record_id": None, "reported": 0, "cms_status": 500},
        after_kill=sandbox.clear_faults,
    )
    assert_once(final, sandbox, slack)
    assert [c[2] for c in sandbox.calls if c[0] == "POST"] == [500, 500, 200]
    assert len([m for m in thread_replies(slack) if "I'll keep trying" in m.text]) == 1
