"""Issue 12, item 4: the user-group check never holds the 3-second ack, over real HTTP.

`usergroups.users.list` slow (5 s) or rate-limited at the Slack stand-in: the command is
answered well under 3 s, and a failed lookup is not asked again on every command.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, wait_until
from tests.support.slack_harness import USER_ID

GROUP = "S0TRAINERS"
LOOKUP = "usergroups.users.list"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        standin.set_usergroup(GROUP, [USER_ID])
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with live_app(
        tmp_path / "log.db", slack, sandbox, allowed_users="", allowed_usergroup=GROUP
    ) as running:
        yield running


def timed_command(app: LiveApp) -> tuple[float, str]:
    start = time.monotonic()
    response = app.harness.command("")
    elapsed = time.monotonic() - start
    assert response.status_code == 200, response.text
    return elapsed, response.text


@pytest.mark.slow
def test_a_slow_lookup_does_not_hold_the_ack(app: LiveApp, slack: SlackStandIn) -> None:
    slack.delay(5.0, LOOKUP)
    elapsed, text = timed_command(app)
    assert elapsed < 1.5
    assert "try again" in text.lower()  # not yet known: said so, not refused for good
    # Commands meanwhile do not start lookups of their own, and stay fast.
    for _ in range(3):
        elapsed, _text = timed_command(app)
        assert elapsed < 1.5
    assert len(slack.calls(LOOKUP)) <= 1
    wait_until(lambda: slack.calls(LOOKUP, ok=True), timeout=8, what="the slow lookup")
    slack.delay(0, LOOKUP)
    elapsed, text = timed_command(app)
    assert elapsed < 1.5
    assert text == ""  # acked with nothing: the form opens
    slack.wait_for("views.open", ok=True)


@pytest.mark.slow
def test_a_slow_refresh_answers_from_what_was_known(app: LiveApp, slack: SlackStandIn) -> None:
    app.open_form()  # the members are known now
    app.bot.permissions._max_age = 0.0  # every command finds them stale
    slack.delay(5.0, LOOKUP)
    elapsed, text = timed_command(app)
    assert elapsed < 1.5
    assert text == ""


@pytest.mark.slow
def test_a_rate_limited_lookup_is_not_asked_again_on_every_command(
    app: LiveApp, slack: SlackStandIn
) -> None:
    slack.rate_limit(LOOKUP, times=100, retry_after=0)
    for _ in range(6):
        elapsed, _text = timed_command(app)
        assert elapsed < 1.5
    wait_until(lambda: not app.bot.permissions._lookup, timeout=8, what="the lookup to end")
    before = len(slack.calls(LOOKUP))
    for _ in range(6):
        elapsed, text = timed_command(app)
        assert elapsed < 1.5
        assert "try again" in text.lower()
    assert len(slack.calls(LOOKUP)) == before  # failed a moment ago: not asked again
    assert before <= 4  # one lookup, with the client's three retries of a 429
