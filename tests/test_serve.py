"""`python -m bot serve` as a process: refuses bad settings, serves Slack over HTTP."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.local.sandbox import SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import SlackStandIn
from tests.support.repo import ROOT
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import CHANNEL_ID, SlackHarness

SECRET = "serve-test-signing-secret"
TOKEN = "xoxb-serve-test"


@pytest.fixture
def env(tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn) -> dict[str, str]:
    return serve_env(
        tmp_path / "log.db", sandbox, slack, secret=SECRET, token=TOKEN, LOG_LEVEL="DEBUG"
    )


def refuse(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    return result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
        # (HTTP mode with only the signing secret waits for the token: test_setup_mode.py.)
        (
            {"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "xapp-1-A0STANDIN-1-token"},
            "SLACK_BOT_TOKEN is not set",
        ),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "must be a bot token"),
        ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "must be an app-level token"),
        ({"ALLOWED_USERS": ""}, "nobody could record"),
        ({"CMS_SECRET_KEY": ""}, "CMS_SECRET_KEY"),
        ({"BOT_TIMEZONE": "Mars/Olympus"}, "BOT_TIMEZONE"),
        ({"CMS_DIOCESE_ID": "seven"}, "CMS_DIOCESE_ID"),
    ],
)
def test_serve_refuses_to_start_with_bad_settings(
    env: dict[str, str], change: dict[str, str], message: str
) -> None:
    stderr = refuse({**env, **change})
    assert message in stderr
    assert "Traceback" not in stderr
    assert "xoxp-user-token" not in stderr


def test_serve_answers_slack_over_http_and_never_logs_secrets(
    env: dict[str, str], slack: SlackStandIn, sandbox: CMSSandbox, tmp_path: Path
) -> None:
    with serving(env, tmp_path, run=1) as (_process, url):
        assert httpx.get(url.replace("/slack/events", "/healthz")).text == "ok\n"
        with SlackHarness(url, SECRET, standin=slack) as harness:
            assert harness.command("1042 foundations").status_code == 200
            [opened] = slack.wait_for("views.open", ok=True)
            view = opened.response["view"]
            answer = harness.view_submission(
                view, {"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}
            )
            assert answer.json() == {"response_action": "clear"}
            slack.wait_for("chat.update", timeout=10)
        assert len(sandbox.records(1042)) == 1
        replies = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts]
        assert "Safeguarding Foundations" in replies[0].text
    err = (tmp_path / "serve-1.err").read_text()
    for secret in (SECRET, TOKEN, SANDBOX_SECRET_KEY):
        assert secret not in err
    assert not re.search(r"sig=[0-9a-f]{64}", err)
    assert "submission 1: recorded" in err


def test_serve_stops_cleanly_on_sigterm(env: dict[str, str], tmp_path: Path) -> None:
    with serving(env, tmp_path, run=1) as (process, _url):
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    assert process.returncode == 0
    assert time.monotonic() - started < 10


def test_socket_mode_refused_by_slack_says_why(env: dict[str, str], slack: SlackStandIn) -> None:
    slack.fail("apps.connections.open", "invalid_auth", times=None)
    stderr = refuse({**env, "SLACK_APP_TOKEN": "xapp-1-A0TEST-123-abc", "SLACK_SIGNING_SECRET": ""})
    assert "Slack refused the Socket Mode connection (invalid_auth)" in stderr
    assert "Traceback" not in stderr
    assert "xapp-1-A0TEST-123-abc" not in stderr
    [call] = slack.calls("apps.connections.open")
    assert call.token == "xapp-1-A0TEST-123-abc"  # the app-level token, not the bot token
