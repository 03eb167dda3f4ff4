"""The README's Slack set-up, step by step, against `python -m bot serve` as a process.

Slack checks the events URL when the app is created, before it is installed, so before the
bot token exists: `serve` must start with only the signing secret, answer the check, and tell
anyone who tries the command that it is not finished setting up. Then the token is set, the
bot restarted, and the same command opens the form.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.setup import NOT_SET_UP
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import Signing, SlackHarness

pytestmark = pytest.mark.slow

SECRET = "setup-signing-secret-41d2"
TOKEN = "xoxb-setup-token-9c3e"


def verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> str:
    return json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge,
                       "type": "url_verification"})  # fmt: skip


def test_the_readme_steps_work_in_order(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    env = serve_env(tmp_path / "log.db", sandbox, slack, secret=SECRET, token=TOKEN)
    # Step 3: only the signing secret (and nobody allowed yet).
    first = {k: v for k, v in env.items() if k not in ("SLACK_BOT_TOKEN", "ALLOWED_USERS")}
    with serving(first, tmp_path, run=1) as (_process, url):
        harness = SlackHarness(url, SECRET, standin=slack)
        # Step 4: Slack's URL verification is answered with its challenge.
        answer = harness.post(verification("abc123"), content_type="application/json")
        assert answer.status_code == 200
        assert answer.json() == {"challenge": "abc123"}
        # Not signed by Slack: refused, as the real app refuses it.
        forged = harness.post(
            verification(), content_type="application/json", signing=Signing.wrong_secret()
        )
        assert forged.status_code == 401
        # Someone tries the command: told, nothing recorded, nothing sent to Slack.
        told = harness.command("1042 foundations")
        assert told.status_code == 200
        assert told.json() == {"response_type": "ephemeral", "text": NOT_SET_UP}
        assert harness.send_payload({"type": "block_suggestion", "value": "jo"}).json() == {
            "options": []
        }
        health = httpx.get(url.replace("/slack/events", "/healthz"), timeout=5)
        assert (health.status_code, health.text) == (200, "setup\n")
        assert slack.calls() == []
        assert sandbox.calls == []
        harness.close()
    err = (tmp_path / "serve-1.err").read_text()
    assert "SLACK_BOT_TOKEN is not set: answering Slack's URL check only" in err
    assert "Traceback" not in err

    # Steps 5-8: installed, token and people set, restarted: the command opens the form.
    with serving(env, tmp_path, run=2) as (_process, url):
        harness = SlackHarness(url, SECRET, standin=slack)
        assert harness.command("1042 foundations").status_code == 200
        [opened] = slack.wait_for("views.open", ok=True)
        assert opened.args["view"]["callback_id"] == "record_course"
        harness.close()


def test_without_any_slack_setting_serve_still_refuses_to_start(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    env = serve_env(tmp_path / "log.db", sandbox, slack, secret="", token="")
    with serving(env, tmp_path, run=1, listens=False) as (process, _url):
        assert process.wait(timeout=30) == 1
    err = (tmp_path / "serve-1.err").read_text()
    assert "SLACK_BOT_TOKEN is not set" in err
    assert "SLACK_SIGNING_SECRET is not set" in err
    assert "Traceback" not in err
