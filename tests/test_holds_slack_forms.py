"""Issue 12, item 13: many commands at once with `views.open` slow: every person gets a form
or an ephemeral message to try again, and no work is queued for a trigger surely expired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, wait_until
from tests.support.slack_harness import CHANNEL_ID, USER_ID, SlackHarness

COMMANDS = 60
TRY_AGAIN = "try again"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with live_app(tmp_path / "log.db", slack, sandbox, threads=16) as running:
        yield running


def told(slack: SlackStandIn) -> list[str]:
    return [e.text for e in slack.ephemerals(CHANNEL_ID, USER_ID) if TRY_AGAIN in e.text.lower()]


@pytest.mark.slow
def test_every_command_gets_a_form_or_is_told_to_try_again(
    app: LiveApp, slack: SlackStandIn
) -> None:
    slack.delay(1.0, "views.open")

    def command(_n: int) -> int:
        with SlackHarness(app.server.url, app.harness.signing_secret, standin=slack) as h:
            return h.command("").status_code

    started = time.monotonic()
    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(command, range(COMMANDS)))
    assert statuses == [200] * COMMANDS
    assert time.monotonic() - started < 10

    def all_answered() -> bool:
        return len(slack.calls("views.open", ok=True)) + len(told(slack)) == COMMANDS

    wait_until(all_answered, timeout=12, what="a form or a message for every command")
    opened = len(slack.calls("views.open", ok=True))
    assert opened >= 4  # the pool opened what it could in time
    # A trigger surely expired is not sent to views.open: dropped, and the person told.
    assert len(slack.calls("views.open")) < COMMANDS
    assert slack.calls("chat.postEphemeral")


@pytest.mark.slow
def test_a_form_that_cannot_be_opened_is_told(app: LiveApp, slack: SlackStandIn) -> None:
    slack.fail("views.open", "expired_trigger_id")
    assert app.harness.command("").status_code == 200
    wait_until(lambda: told(slack), timeout=5, what="the ephemeral message")
    [message] = told(slack)
    assert "/record-course" in message
